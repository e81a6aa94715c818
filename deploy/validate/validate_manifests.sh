#!/usr/bin/env bash
# Validates deploy/kubernetes and deploy/sidecar offline against the Kubernetes schemas of the
# npm package kubernetes-models, and renders the kustomization with kubectl where installed.
# Skips (exit 0, saying why) when node/npm are missing or the npm registry is unreachable.
# The packages go to a cache outside the repository: TASKS_VALIDATE_CACHE, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/tasks-manager-validate.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dirs=(deploy/kubernetes deploy/sidecar)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "skipped: node not found"
  exit 0
fi

cache="${TASKS_VALIDATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tasks-manager-validate}"
mkdir -p "$cache"
# Install once; again only when the pinned versions change.
stamp="$(cat "$here/package.json" "$here"/package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$cache/.stamp" || "$(cat "$cache/.stamp")" != "$stamp" || ! -d "$cache/node_modules/kubernetes-models" ]]; then
  cp "$here/package.json" "$cache/package.json"
  if [[ -f "$here/package-lock.json" ]]; then cp "$here/package-lock.json" "$cache/package-lock.json"; fi
  echo "installing kubernetes-models and yaml into $cache"
  if ! (cd "$cache" && npm install --no-audit --no-fund --loglevel=error --fetch-timeout=30000 \
          --fetch-retries=1 >"$cache/npm-install.log" 2>&1); then
    tail -5 "$cache/npm-install.log" >&2 || true
    echo "skipped: npm registry unreachable"
    exit 0
  fi
  echo "$stamp" >"$cache/.stamp"
fi

status=0
(cd "$root" && node "$here/validate.mjs" "$cache" "$root" "${dirs[@]}") || status=1

if command -v kubectl >/dev/null 2>&1; then
  if out="$(kubectl kustomize "$root/deploy/kubernetes" 2>&1)"; then
    echo "ok: kubectl kustomize deploy/kubernetes rendered $(grep -c '^kind:' <<<"$out") objects"
  else
    echo "INVALID kubectl kustomize deploy/kubernetes:" >&2
    echo "$out" >&2
    status=1
  fi
  # The TLS component over the base, in a throwaway overlay (kustomize takes relative paths only):
  # the three probes must move to the plaintext health listener, as TLS on 50051 fails them.
  overlay="$(mktemp -d)"
  printf 'resources:\n  - %s\ncomponents:\n  - %s\n' \
    "$(realpath --relative-to="$overlay" "$root/deploy/kubernetes")" \
    "$(realpath --relative-to="$overlay" "$root/deploy/kubernetes/tls")" >"$overlay/kustomization.yaml"
  if out="$(kubectl kustomize "$overlay" 2>&1)" && [[ "$(grep -c '^ *port: 8081$' <<<"$out")" == 3 ]] &&
     grep -q 'TASKS_HEALTH_LISTEN_ADDRESS' <<<"$out"; then
    echo "ok: deploy/kubernetes with the tls component probes the health listener (8081)"
  else
    echo "INVALID deploy/kubernetes with the tls component (probes not all on 8081):" >&2
    echo "$out" >&2
    status=1
  fi
  rm -rf "$overlay"
else
  echo "kubectl not found: kustomize rendering skipped"
fi
exit "$status"
