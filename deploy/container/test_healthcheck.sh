#!/usr/bin/env bash
# The image's HEALTHCHECK, taken from the Dockerfile and run against a native tasks-server in
# both modes the image supports: plaintext (it asks TASKS_SERVER) and TLS with the health-only
# listener (it asks TASKS_HEALTH_LISTEN_ADDRESS, here 0.0.0.0 as in a container). Also checks
# that without that listener the check fails against TLS, as the image's check once did.
#   deploy/container/test_healthcheck.sh BUILD_DIR      (ctest: healthcheck_test)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: test_healthcheck.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The CMD of the HEALTHCHECK instruction (continuation lines joined), tasks-cli from the build.
mapfile -t check < <(/usr/bin/python3 - "$repo/Dockerfile" "$build/tasks-cli" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
line = next(l for l in text.splitlines() if l.startswith("HEALTHCHECK"))
for word in json.loads(line.split(" CMD ", 1)[1]):
    print(word.replace("/usr/local/bin/tasks-cli", sys.argv[2]))
PY
)
free_port() {
  /usr/bin/python3 -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# healthy <env assignments...>: the HEALTHCHECK's exit code is 0 within 30 s.
healthy() {
  for _ in $(seq 300); do
    env -i "$@" "${check[@]}" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
failures=0
expect() {  # expect <description> <command...>
  if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1" >&2; failures=$((failures + 1)); fi
}

cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -keyout ca.key -out ca.pem -subj /CN=ca 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
openssl x509 -req -days 1 -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -out server.pem -extfile <(echo "subjectAltName=DNS:localhost,IP:127.0.0.1") 2>/dev/null

plain=$(free_port)
"$build/tasks-server" --listen_address "127.0.0.1:$plain" --offline --hf_cache_dir "$work" \
  --log_level warn &
pids+=($!)
expect "plaintext: the HEALTHCHECK passes through TASKS_SERVER" \
  healthy TASKS_SERVER="127.0.0.1:$plain"

tls=$(free_port)
health=$(free_port)
"$build/tasks-server" --listen_address "127.0.0.1:$tls" --offline --hf_cache_dir "$work" \
  --tls_cert server.pem --tls_key server.key --health_listen_address "0.0.0.0:$health" \
  --log_level warn &
pids+=($!)
expect "TLS: the HEALTHCHECK passes through the health-only listener" \
  healthy TASKS_SERVER="127.0.0.1:$tls" TASKS_HEALTH_LISTEN_ADDRESS="0.0.0.0:$health"
expect "TLS without the health-only listener: the HEALTHCHECK fails" \
  bash -c '! env -i TASKS_SERVER="127.0.0.1:$0" "${@}" >/dev/null 2>&1' "$tls" "${check[@]}"

if ((failures)); then
  echo "test_healthcheck: $failures check(s) failed" >&2
  exit 1
fi
echo "test_healthcheck: all checks passed"
