#!/usr/bin/env bash
# ctest deploy_manifests_test: validate_manifests.py passes on deploy/ as it is, rendered (where
# kubectl is) and as written, and fails on copies of it broken the ways it is there to catch.
#   deploy/validate/validate_manifests_test.sh [BUILD_DIR]   (its tasks-server: metric names)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
validate=(/usr/bin/python3 "$here/validate_manifests.py")
server=()
if [[ -n "${1:-}" ]]; then server=(--server "$1/tasks-server"); fi

"${validate[@]}" "${server[@]}"
"${validate[@]}" --no-render

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# expect_invalid NAME MESSAGE FILE SED-SCRIPT: the copy with FILE edited fails, saying MESSAGE,
# as written and also rendered when RENDER=1 and kubectl is there (rendering takes seconds), only
# rendered when RENDER=only (checks of what components make); with SERVER=1, the metric names
# checked against the server too.
expect_invalid() {
  local name="$1" message="$2" file="$3" script="$4" modes=(--no-render) extra=()
  if [[ "${RENDER:-}" == only ]]; then modes=(); fi
  if [[ -n "${RENDER:-}" ]] && command -v kubectl >/dev/null 2>&1; then modes+=(""); fi
  if ((${#modes[@]} == 0)); then echo "skipped: $name (needs kubectl)"; return; fi
  if [[ "${SERVER:-}" == 1 ]]; then extra=("${server[@]}"); fi
  rm -rf "$scratch/deploy" && cp -r "$root/deploy" "$scratch/deploy"
  sed -i "$script" "$scratch/$file"
  if cmp -s "$root/$file" "$scratch/$file"; then
    echo "FAIL $name: the edit changed nothing in $file" >&2; exit 1
  fi
  for mode in "${modes[@]}"; do
    if out="$("${validate[@]}" --root "$scratch" $mode "${extra[@]}" 2>&1)"; then
      echo "FAIL $name ${mode:-rendered}: accepted" >&2; exit 1
    fi
    if ! grep -q -- "$message" <<<"$out"; then
      echo "FAIL $name ${mode:-rendered}: no \"$message\" in:" >&2; echo "$out" >&2; exit 1
    fi
    echo "ok: $name ${mode:-rendered} rejected"
  done
}

dep=deploy/kubernetes/base/deployment.yaml
expect_invalid misspelt-field "unknown field 'readOnlyRootFileSystem'" "$dep" \
  's/readOnlyRootFilesystem: true/readOnlyRootFileSystem: true/'
expect_invalid wrong-type "is not a number" "$dep" \
  's/terminationGracePeriodSeconds: 45/terminationGracePeriodSeconds: "45"/'
expect_invalid duplicate-key "duplicate key" "$dep" \
  's/^  revisionHistoryLimit: 5/  revisionHistoryLimit: 5\n  revisionHistoryLimit: 6/'
expect_invalid replicas "the HPA owns it" "$dep" 's/^  revisionHistoryLimit: 5/  replicas: 2\n&/'
expect_invalid memory "memory request differs" "$dep" '0,/memory: 288Mi/s//memory: 192Mi/'
expect_invalid drain-short-of-hub "shorter than the Hub wait" deploy/kubernetes/base/config.env \
  's/TASKS_SHUTDOWN_GRACE_PERIOD=35/TASKS_SHUTDOWN_GRACE_PERIOD=20/'
expect_invalid grace "terminationGracePeriodSeconds 30 <" "$dep" \
  's/terminationGracePeriodSeconds: 45/terminationGracePeriodSeconds: 30/'
expect_invalid lent-token "TASKS_ANONYMOUS_USES_SERVER_TOKEN is on" deploy/kubernetes/base/config.env \
  's/TASKS_ANONYMOUS_USES_SERVER_TOKEN=false/TASKS_ANONYMOUS_USES_SERVER_TOKEN=true/'
expect_invalid any-namespace "admits namespaces not named" deploy/kubernetes/base/networkpolicy.yaml \
  's/- key: kubernetes.io\/metadata.name/- key: team/'
expect_invalid no-digest "no digest" deploy/kubernetes/overlays/production/kustomization.yaml \
  '/digest: sha256/d'
expect_invalid missing-file "does not exist" deploy/kubernetes/base/kustomization.yaml \
  's/registry.d\/90-local.txtpb/registry.d\/91-missing.txtpb/'
expect_invalid crd-field "unknown field 'fro'" \
  deploy/kubernetes/components/monitoring/prometheusrule.yaml '0,/for: 10m/s//fro: 10m/'
RENDER=1 expect_invalid patch-field "unknown field 'readinessProbes'" \
  deploy/kubernetes/components/tls/kustomization.yaml 's/readinessProbe:/readinessProbes:/'
redis=deploy/kubernetes/components/redis
RENDER=1 expect_invalid redis-field "unknown field 'readOnlyRootFileSystem'" \
  "$redis/deployment.yaml" \
  's/readOnlyRootFilesystem: true/readOnlyRootFileSystem: true/'
RENDER=only expect_invalid redis-policy "without maxmemory-policy allkeys-lru" "$redis/redis.conf" \
  's/^maxmemory-policy allkeys-lru/maxmemory-policy noeviction/'
RENDER=only expect_invalid redis-maxmemory "is not below 80 %" "$redis/redis.conf" \
  's/^maxmemory 192mb/maxmemory 256mb/'
RENDER=only expect_invalid redis-egress "admits no egress to Redis" "$redis/kustomization.yaml" \
  's/port: 6379/port: 6380/'
RENDER=only expect_invalid redis-key "without TASKS_CACHE_KEY_FILE" "$redis/kustomization.yaml" \
  's/name: TASKS_CACHE_KEY_FILE/name: TASKS_CACHE_KEY_PATH/'
RENDER=1 expect_invalid sidecar-redis-field "unknown field 'volumeMount'" \
  deploy/sidecar/fleet-cache/kustomization.yaml '0,/volumeMounts:/s//volumeMount:/'
rules=deploy/kubernetes/components/monitoring/prometheusrule.yaml
if command -v promtool >/dev/null 2>&1; then
  expect_invalid promql "promtool check rules" "$rules" '0,/> 0.05/s//> > 0.05/'
fi
if ((${#server[@]})); then
  SERVER=1 expect_invalid metric-name "tasks_hub_stale_served_total: no such metric" "$rules" \
    's/tasks_hub_cache_stale_served_total/tasks_hub_stale_served_total/'
fi
echo "ok: every broken copy rejected"
