#!/usr/bin/env bash
# Builds the image and checks it end to end on loopback: SERVING, a registry call, an inference
# call against the tests' fake Hub, the unix-socket mode, and a clean SIGTERM stop as PID 1.
# Slow (builds the image, whose build stage runs every test), so not part of ctest. By hand:
#
#   deploy/container/test_container.sh [BUILD_DIR]    # BUILD_DIR (default build/release) holds
#                                                     # the native fake-hub and tasks-cli
#   BASE_IMAGE=localhost/debian:bookworm-slim deploy/container/test_container.sh   # another base
#                                                     # (default localhost/debian:bookworm)
#
# Needs root (podman) and ../shared/tools/container-env.sh next to the repository; without it
# the test says so and skips (exit 0).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${1:-build/release}
[[ $build_dir == /* ]] || build_dir=$repo/$build_dir
base_image=${BASE_IMAGE:-localhost/debian:bookworm}
image="tasks-manager:test"
grace=15  # podman stop's timeout; the server's own drain (10 s default) must fit in it

env_script=$repo/../shared/tools/container-env.sh
if [[ ! -f $env_script ]]; then
  echo "test_container: $env_script missing (no podman setup here): skipped"
  exit 0
fi
# shellcheck source=/dev/null
source <(bash "$env_script") || { echo "test_container: container-env.sh failed" >&2; exit 1; }
for bin in fake-hub tasks-cli; do
  path=$build_dir/tests/$bin
  [[ $bin == tasks-cli ]] && path=$build_dir/$bin
  [[ -x $path ]] || { echo "test_container: $path missing; build $build_dir first" >&2; exit 1; }
done
cli=$build_dir/tasks-cli

work=$(mktemp -d)
containers=()
hub_pid=""
cleanup() {
  for c in "${containers[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
  [[ -n $hub_pid ]] && { kill "$hub_pid" 2>/dev/null; wait "$hub_pid" 2>/dev/null; }
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
check() {  # check <description> <command...>
  if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1" >&2; failures=$((failures + 1)); fi
}
free_port() {
  /usr/bin/python3 -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_serving <server address>: polls health every 0.1 s for at most 30 s.
wait_serving() {
  for _ in $(seq 300); do
    "$cli" --server "$1" --deadline 1 health >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# stop_clean <container>: SIGTERM, exit 0 within the grace period, "stopped" logged.
stop_clean() {
  local start end code
  start=$(date +%s.%N)
  podman stop -t "$grace" "$1" >/dev/null
  end=$(date +%s.%N)
  code=$(podman inspect --format '{{.State.ExitCode}}' "$1")
  echo "  $1 stopped in $(elapsed "$start" "$end") s, exit code $code"
  [[ $code == 0 ]] &&
    awk -v t="$(elapsed "$start" "$end")" -v g="$grace" 'BEGIN { exit !(t < g) }' &&
    podman logs "$1" 2>&1 | grep -q '"msg":"stopped"\| stopped$'
}

# 1. Build (the build stage runs ctest; a failing test fails the build). --format docker keeps
# the HEALTHCHECK, which the OCI image format has no field for.
build_start=$(date +%s)
if ! podman build --pull=never --format docker --build-arg BASE_IMAGE="$base_image" \
  --build-arg TASKS_VERSION="$(cat "$repo/VERSION")" \
  --build-arg TASKS_COMMIT="$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null)" \
  -t "$image" "$repo" >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log" >&2
  echo "FAIL: image build" >&2
  exit 1
fi
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "image $image (base $base_image) built in $(($(date +%s) - build_start)) s;" \
  "size $size bytes ($((size / 1024 / 1024)) MiB)"
# The OCI labels say what --version says: "tasks-server <version> (commit <commit>)".
labels=$(podman image inspect --format \
  '{{index .Labels "org.opencontainers.image.version"}} (commit {{index .Labels "org.opencontainers.image.revision"}})' \
  "$image")
check "OCI labels match --version ($labels)" \
  test "$(podman run --rm --network=none "$image" --version)" = "tasks-server $labels"
# The version is defined once, in VERSION: a build argument that differs stops the build before
# the compile (seconds: the layers before the check are cached by now).
wrong_version_stops_build() {
  local out
  out=$(podman build --pull=never --format docker --build-arg BASE_IMAGE="$base_image" \
    --build-arg TASKS_VERSION=0.0.0-not-VERSION -t tasks-manager:wrong-version "$repo" 2>&1) &&
    return 1
  grep -q "pass --build-arg TASKS_VERSION=$(cat "$repo/VERSION") " <<<"$out"
}
check "a TASKS_VERSION other than VERSION's stops the build" wrong_version_stops_build

# 2. The fake Hub on a free loopback port (it prints its address once it accepts).
"$build_dir/tests/fake-hub" --fixtures "$repo/tests/hub/fixtures" >"$work/hub.out" 2>&1 &
hub_pid=$!
for _ in $(seq 100); do
  hub_address=$(sed -n 's/^listening on //p' "$work/hub.out")
  [[ -n $hub_address ]] && break
  sleep 0.1
done
[[ -n ${hub_address:-} ]] || { echo "FAIL: fake hub did not start" >&2; exit 1; }

# 3. TCP on loopback, as the image is configured, with a read-only root filesystem (as the
# Kubernetes manifests run it).
port=$(free_port)
tcp=tasks-test-tcp-$$
containers+=("$tcp")
run_start=$(date +%s.%N)
podman run -d --name "$tcp" --network=host --read-only \
  -e TASKS_LISTEN_ADDRESS="127.0.0.1:$port" -e TASKS_SERVER="127.0.0.1:$port" \
  -e HF_ENDPOINT="http://$hub_address" "$image" >/dev/null ||
  { echo "FAIL: podman run" >&2; exit 1; }
if wait_serving "127.0.0.1:$port"; then
  echo "  podman run to SERVING: $(elapsed "$run_start" "$(date +%s.%N)") s"
else
  echo "FAIL: not SERVING within 30 s" >&2
  podman logs "$tcp" >&2
  exit 1
fi
tasks=$("$cli" --server "127.0.0.1:$port" get-supported-tasks-for-model-type bert --exporter onnx \
  --library-name transformers 2>&1)
check "registry call lists fill-mask for bert" grep -q fill-mask <<<"$tasks"
task=$("$cli" --server "127.0.0.1:$port" infer-task-from-model google-bert/bert-base-uncased 2>&1)
check "inference call through the fake Hub answers fill-mask" grep -q fill-mask <<<"$task"
check "the server runs as uid 10001" test "$(podman exec "$tcp" id -u)" = 10001
check "the image's HEALTHCHECK passes" podman healthcheck run "$tcp"
check "logs are JSON lines" bash -c "podman logs '$tcp' 2>&1 | head -1 | grep -q '^{'"
check "SIGTERM as PID 1: exit 0 within ${grace}s, 'stopped' logged" stop_clean "$tcp"

# 4. A unix socket on a shared volume and no network at all (the sidecar shape).
mkdir -p "$work/sock" && chmod 777 "$work/sock"
uds=tasks-test-uds-$$
containers+=("$uds")
podman run -d --name "$uds" --network=none -v "$work/sock:/tmp/x" \
  -e TASKS_LISTEN_ADDRESS=unix:/tmp/x/sock -e TASKS_SERVER=unix:/tmp/x/sock -e HF_HUB_OFFLINE=1 \
  "$image" >/dev/null || { echo "FAIL: podman run (unix socket)" >&2; exit 1; }
check "unix socket: SERVING" wait_serving "unix:$work/sock/sock"
tasks=$("$cli" --server "unix:$work/sock/sock" get-supported-tasks-for-model-type bert \
  --exporter onnx --library-name transformers 2>&1)
check "unix socket: registry call" grep -q fill-mask <<<"$tasks"
check "unix socket: the image's HEALTHCHECK passes" podman healthcheck run "$uds"
check "unix socket: clean stop" stop_clean "$uds"

if ((failures)); then
  echo "test_container: $failures check(s) failed" >&2
  exit 1
fi
echo "test_container: all checks passed"
