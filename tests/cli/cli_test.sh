#!/usr/bin/env bash
# End to end with the real binaries: tasks-server on a free loopback port, tasks-cli against it.
# Usage: cli_test.sh <tasks-server> <tasks-cli>
set -uo pipefail
server_bin=$1
cli_bin=$2
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill -9 "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
passes=0
check() {  # check <description> <command...>: the command must succeed
  if "${@:2}"; then passes=$((passes + 1)); else echo "FAIL: $1" >&2; failures=$((failures + 1)); fi
}
contains() { grep -qF -- "$2" <<<"$1"; }

# Starts the server with extra args; sets server_pid and port (read from its startup line).
start_server() {
  "$server_bin" --listen_address 127.0.0.1:0 "$@" 2>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$work/server.log" | head -1)
    [[ -n $port ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

cli() { "$cli_bin" --server "127.0.0.1:$port" "$@"; }

check "server starts" start_server --log_format json
check "startup line is one JSON object" \
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$work/server.log"

out=$(cli --json get-all-tasks)
check "get-all-tasks --json exits 0" test $? -eq 0
check "get-all-tasks lists 27 tasks" \
  python3 -c 'import json,sys; assert len(json.loads(sys.argv[1])["tasks"]) == 27' "$out"

out=$(cli get-supported-tasks-for-model-type gpt2 --exporter onnx --library-name transformers)
check "supported tasks table shows the config class" contains "$out" "GPT2OnnxConfig"
check "supported tasks table shows -with-past keys" contains "$out" "text-generation-with-past"

out=$(cli --json get-model-class-for-task automatic-speech-recognition --model-type whisper)
check "model class resolves ASR for whisper" contains "$out" "AutoModelForSpeechSeq2Seq"

out=$(cli get-exporter-config-constructor --exporter onnx --model-type bert \
  --exporter-config-kwargs '{"int_dtype": "int32"}')
check "exporter config constructor" contains "$out" "BertOnnxConfig"

cli get-supported-tasks-for-model-type bert --exporter onxx >/dev/null 2>"$work/err"
code=$?
check "unknown exporter exits INVALID_ARGUMENT (3)" test "$code" -eq 3
check "error names the exception" contains "$(cat "$work/err")" "KeyError"
check "error suggests the exporter" contains "$(cat "$work/err")" "onnx"

cli get-supported-tasks-for-model-type bertt --exporter onnx >/dev/null 2>&1
check "unknown model type exits NOT_FOUND (5)" test $? -eq 5

out=$(cli list-exporters)
check "list-exporters names every backend" \
  bash -c 'for e in onnx tflite openvino neuron; do grep -q "$e" <<<"$1" || exit 1; done' _ "$out"

cli health >/dev/null
check "health is SERVING" test $? -eq 0

"$cli_bin" --server 127.0.0.1:1 --timeout 2 get-all-tasks >/dev/null 2>&1
check "no server exits UNAVAILABLE (14)" test $? -eq 14

kill -TERM "$server_pid"
wait "$server_pid"
code=$?
server_pid=""
check "SIGTERM stops the server with exit 0" test "$code" -eq 0
check "shutdown is logged" contains "$(cat "$work/server.log")" "stopped"

# Flags from the environment, and a registry that does not load.
mkdir "$work/bad"
printf 'exporter: "x"\nregistration { library: "nope" }\n' >"$work/bad/x.txtpb"
TASKS_REGISTRY_DIR="$work/bad" "$server_bin" --listen_address 127.0.0.1:0 2>"$work/bad.log"
check "a bad registry file stops start-up" test $? -ne 0
check "and the error names file:line" contains "$(cat "$work/bad.log")" "$work/bad/x.txtpb:2"

echo "$passes passed, $failures failed"
((failures == 0))
