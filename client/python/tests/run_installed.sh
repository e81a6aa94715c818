#!/usr/bin/env bash
# The client as a user gets it: builds the sdist and wheel from a copy of the sources in a clean
# temp folder (Debian's python3-build),
# installs it offline into a fresh virtual environment (--system-site-packages: Debian's
# python3-grpcio, python3-protobuf and python3-pytest satisfy it), then runs this test suite from
# a copy outside the checkout, so nothing can import the source tree by accident.
#   run_installed.sh REPO_DIR [pytest arguments]
# FAKE_HUB_BIN and TASKS_SERVER_BIN name the binaries the tests start (see conftest.py).
set -euo pipefail
repo=$(cd "$1" && pwd)
shift
python=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/tasks-client.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The sources setup.py reads, in the repository's layout: client/python, proto/, VERSION.
mkdir -p "$work/src/client"
tar -C "$repo" --exclude=__pycache__ --exclude=build --exclude='*.egg-info' -cf - \
  client/python/pyproject.toml client/python/setup.py client/python/README.md \
  client/python/tasks_manager_client proto VERSION | tar -C "$work/src" -xf -
# The sdist, then the wheel from it in a fresh folder: the sdist must carry what the build needs.
"$python" -m build --no-isolation --outdir "$work/dist" "$work/src/client/python" \
  >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

# The system pip installs into the venv (--python): a venv's own pip costs ~20 s to set up.
"$python" -m venv --without-pip --system-site-packages "$work/venv"
"$python" -m pip --python "$work/venv/bin/python" install -q --no-index \
  "$work"/dist/tasks_manager_client-*.whl

cp -r "$repo/client/python/tests" "$work/tests"
cd "$work/tests"
TASKS_REPO_DIR="$repo" "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$@" .
