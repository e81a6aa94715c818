#!/usr/bin/env bash
# Derives a slim Debian image from a full one, offline, the way Debian's official `*-slim` images
# are made (debuerreotype's slimify): dpkg is told to leave out documentation (but the copyright
# files), manual and info pages and translations from then on, what is already there of them goes,
# and so do apt's package lists and caches. The result is squashed into one layer, so the removed
# files take no space. For a BASE_IMAGE where no registry offers debian:bookworm-slim:
#
#   deploy/container/slim_base.sh [FROM [TO]]
#       (default localhost/debian:bookworm -> localhost/debian:bookworm-slim)
#   podman build --pull=never --build-arg BASE_IMAGE=localhost/debian:bookworm-slim ...
#
# Needs podman (../shared/tools/container-env.sh on our machines, sourced first).
set -euo pipefail
from=${1:-localhost/debian:bookworm}
to=${2:-localhost/debian:bookworm-slim}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/slim.cfg" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
cat >"$work/Containerfile" <<CONTAINERFILE
FROM $from
COPY slim.cfg /etc/dpkg/dpkg.cfg.d/slim
RUN find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete \\
 && find /usr/share/doc -mindepth 1 -type d -empty -delete \\
 && rm -rf /usr/share/man/* /usr/share/info/* /usr/share/groff/* /usr/share/lintian/* \\
 && find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/log/*
CONTAINERFILE
podman build --pull=never --squash-all -t "$to" "$work" >&2
podman image inspect --format "$to: {{.Size}} bytes" "$to"
