#!/usr/bin/env bash
# End to end with the real binaries: tasks-server on a free loopback port, tasks-cli against it.
# Usage: cli_test.sh <tasks-server> <tasks-cli> <fake-hub> <tests/hub folder> <tasks-bench>
set -uo pipefail
server_bin=$1
cli_bin=$2
fake_hub_bin=$3
hub_dir=$4
bench_bin=$5
repo=$(cd "$hub_dir/../.." && pwd)
work=$(mktemp -d)
server_pid=""
hub_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill -9 "$server_pid" 2>/dev/null
  if [[ -n $hub_pid ]]; then
    kill "$hub_pid" 2>/dev/null
    wait "$hub_pid" 2>/dev/null
  fi
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
# The checks written against Optimum 1.23.3's facts ask for that generation; the server's default
# is the newest.
cli123() { cli --optimum-version 1.23 "$@"; }

check "--version names the source commit" \
  bash -c '"$1" --version | grep -Eq "^tasks-server [0-9.]+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)$"' \
  _ "$server_bin"
check "server starts" start_server --log_format json
check "startup line is one JSON object" \
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$work/server.log"
check "without --cache_max_bytes the cache bound is chosen and logged" \
  contains "$(cat "$work/server.log")" '"msg":"cache bound '

out=$(cli123 --json get-all-tasks)
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

out=$(cli123 list-exporters)
check "list-exporters names every backend" \
  bash -c 'for e in onnx tflite openvino neuron; do grep -q "$e" <<<"$1" || exit 1; done' _ "$out"

cli health >/dev/null
check "health is SERVING" test $? -eq 0

# An inference call (a path outside any model root: refused before any Hub request) is logged
# as a JSON object of its own, with its request id, among the server's other JSON lines.
cli determine-framework /etc >/dev/null 2>&1
check "a path outside the model roots exits PERMISSION_DENIED (7)" test $? -eq 7
# Call lines are batched: they reach the log within a second.
for _ in $(seq 50); do grep -q '"logger":"rpc"' "$work/server.log" && break; sleep 0.1; done
check "every log line is a JSON object, and the call has one with its request id" python3 -c '
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
calls = [l for l in lines if l["logger"] == "rpc"]
assert len(calls) == 1, calls
assert calls[0]["method"].endswith("/DetermineFramework") and calls[0]["code"] == "PERMISSION_DENIED"
assert len(calls[0]["request_id"]) == 16, calls[0]' "$work/server.log"

# Generations: the server ships 1.23, 1.27 and 2.1; --optimum-version (or TASKS_OPTIMUM_VERSION) sends
# the optimum-version metadata on every call. Expected values come from tests/reference*/.
reference_tasks() {  # reference_tasks <reference folder>: get_all_tasks() of that generation
  python3 -c 'import json, sys
t = json.load(open(sys.argv[1] + "/tasks.json"))["all_tasks"]
print(*t["by_environment"][t["default_environment"]])' "$1"
}
tasks_of() { python3 -c 'import json, sys; print(*json.loads(sys.argv[1])["tasks"])' "$1"; }
out=$(cli generations --format json)
check "generations --format json exits 0" test $? -eq 0
check "generations: 1.23, 1.27 then 2.1, the newest answering by default" python3 -c '
import json, sys
generations = json.loads(sys.argv[1])["generations"]
assert [g["name"] for g in generations] == ["1.23", "1.27", "2.1"], generations
assert [g["name"] for g in generations if g["is_default"]] == ["2.1"], generations
assert generations[0]["optimum_version"] == "1.23.3", generations[0]' "$out"
shipped=$(python3 -c 'import json, sys
print(*[g["name"] for g in json.loads(sys.argv[1])["generations"]])' "$out")
out=$(cli generations)
check "generations as a table marks the default" contains "$out" "default, latest"
check "and names the paired packages" contains "$out" "optimum-onnx 0.1.0"
check "--optimum-version 1.23 answers as Optimum 1.23.3" test \
  "$(tasks_of "$(cli --json --optimum-version 1.23 get-all-tasks)")" = \
  "$(reference_tasks "$repo/tests/reference")"
check "--optimum-version 1.27.0 answers as Optimum 1.27" test \
  "$(tasks_of "$(cli --json --optimum-version 1.27.0 get-all-tasks)")" = \
  "$(reference_tasks "$repo/tests/reference-1.27")"
check "--optimum-version 2.1.0 answers as Optimum 2.1" test \
  "$(tasks_of "$(cli --json --optimum-version 2.1.0 get-all-tasks)")" = \
  "$(reference_tasks "$repo/tests/reference-2.1")"
check "TASKS_OPTIMUM_VERSION is --optimum-version" test \
  "$(tasks_of "$(TASKS_OPTIMUM_VERSION=1.23 cli --json get-all-tasks)")" = \
  "$(reference_tasks "$repo/tests/reference")"
check "without it the default generation answers" test \
  "$(tasks_of "$(cli --json get-all-tasks)")" = "$(reference_tasks "$repo/tests/reference-2.1")"
cli --optimum-version 1.9 get-all-tasks >/dev/null 2>"$work/err"
check "an unknown generation exits INVALID_ARGUMENT (3)" test $? -eq 3
check "and names the shipped ones" contains "$(cat "$work/err")" "2.1"

# docs/support-matrix-<generation>.md is `matrix` of each shipped generation, and
# docs/support-matrix-diff-<from>-<to>.md the diff between consecutive ones and from the oldest
# to the newest; TASKS_UPDATE_GOLDEN=1 rewrites them.
golden() {  # golden <file name>: docs/<file name> is $work/<file name>
  if [[ ${TASKS_UPDATE_GOLDEN:-} == 1 ]]; then cp "$work/$1" "$repo/docs/$1"; fi
  check "docs/$1 is what the shipped registries give (TASKS_UPDATE_GOLDEN=1)" \
    diff -u "$repo/docs/$1" "$work/$1"
}
previous=""
for generation in $shipped; do
  cli --optimum-version "$generation" matrix >"$work/support-matrix-$generation.md"
  check "matrix of $generation exits 0" test $? -eq 0
  golden "support-matrix-$generation.md"
  if [[ -n $previous ]]; then
    cli matrix --diff "$previous" "$generation" >"$work/support-matrix-diff-$previous-$generation.md"
    check "matrix --diff $previous $generation exits 0" test $? -eq 0
    golden "support-matrix-diff-$previous-$generation.md"
  fi
  previous=$generation
done
oldest=${shipped%% *}
if [[ $oldest != "$previous" && $shipped == *" "*" "* ]]; then
  cli matrix --diff "$oldest" "$previous" >"$work/support-matrix-diff-$oldest-$previous.md"
  check "matrix --diff $oldest $previous exits 0" test $? -eq 0
  golden "support-matrix-diff-$oldest-$previous.md"
fi
check "the markdown matrix has a table per exporter and library" \
  contains "$(cat "$work/support-matrix-1.23.md")" "## openvino · transformers"
out=$(cli123 matrix --exporter tflite --format csv)
check "matrix CSV: a header and tflite's 90 rows" test "$(wc -l <<<"$out")" -eq 91
cli matrix --task text-genration >/dev/null 2>"$work/err"
check "matrix with an unknown task exits INVALID_ARGUMENT (3)" test $? -eq 3
check "and suggests the task" contains "$(cat "$work/err")" "Did you mean 'text-generation'?"

# The upgrade diff, its filters and formats, against the reference tables.
out=$(cli matrix --diff 1.23 2.1 --exporter tflite --format csv)
check "diff CSV: every tflite row of 1.23 is removed in 2.1" python3 -c '
import csv, io, json, sys
rows = list(csv.DictReader(io.StringIO(sys.argv[1])))
counts = json.load(open(sys.argv[2] + "/supported_model_types.json"))["counts"]
pairs = sum(c["model_type_task_pairs_per_exporter"].get("tflite", 0) for c in counts.values())
assert len(rows) == pairs > 0, (len(rows), pairs)
assert {(r["change"], r["exporter"], r["model_type_after"]) for r in rows} == {("removed", "tflite", "")}
' "$out" "$repo/tests/reference"
out=$(cli matrix --diff 1.23 2.1 --exporter onnx --model-type qwen3 --format json)
check "diff JSON: qwen3's onnx keys are added in 2.1" python3 -c '
import json, sys
response = json.loads(sys.argv[1])
assert (response["from_generation"], response["to_generation"]) == ("1.23", "2.1"), response
keys = [c["after"]["task"] + ("-with-past" if c["after"]["use_past"] else "")
      for c in response["changes"] if c["kind"] == "ADDED"]
assert len(keys) == len(response["changes"]), response
onnx = json.load(open(sys.argv[2] + "/backends/onnx.json"))
assert sorted(keys) == sorted(onnx["registered_by_decorators"]["transformers"]["qwen3"]), keys
' "$out" "$repo/tests/reference-2.1"
out=$(cli matrix --diff 1.23 2.1 --exporter onnx --model-type gpt-neo --format text)
check "diff table: gpt-neo is spelled gpt_neo in 2.1" contains "$out" "gpt-neo → gpt_neo"
cli matrix --diff 1.23 2.1 --exporter tflit >/dev/null 2>"$work/err"
check "diff with an exporter neither knows exits INVALID_ARGUMENT (3)" test $? -eq 3
check "and suggests 2.1's" contains "$(cat "$work/err")" "onnx"
cli matrix --diff 1.23 >/dev/null 2>&1
check "--diff takes two generations" test $? -ne 0

"$cli_bin" --server 127.0.0.1:1 --timeout 2 get-all-tasks >/dev/null 2>&1
check "no server exits UNAVAILABLE (14)" test $? -eq 14
"$cli_bin" --server 127.0.0.1:1 --deadline 1 health >/dev/null 2>&1
check "--deadline is --timeout's other name" test $? -eq 14

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

# The Hub side, against the fake Hub: flags and environment wire the server to it.
"$fake_hub_bin" --fixtures "$hub_dir/fixtures" >"$work/hub.out" 2>&1 &
hub_pid=$!
for _ in $(seq 100); do
  hub_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/hub.out")
  [[ -n $hub_port ]] && break
  sleep 0.1
done
check "fake hub starts" test -n "$hub_port"
llama_token=hf_fakeHubLlama2GatedAccess0000000000
HF_ENDPOINT="http://127.0.0.1:$hub_port" TASKS_MODEL_ROOT="$hub_dir/local_models" \
  check "server starts against the fake Hub" \
  start_server --hf_cache_dir "$work/no-cache" --log_level debug

out=$(cli --json infer-task-from-model google-bert/bert-base-uncased)
check "infer-task-from-model on the Hub" contains "$out" '"task":"fill-mask"'
out=$(cli determine-framework "$hub_dir/local_models/distilbert-pt")
check "determine-framework on a local folder" contains "$out" "pt"
cli resolve-export meta-llama/Llama-2-7b-hf --exporter onnx >/dev/null 2>&1
check "a gated model without a token is PERMISSION_DENIED (7)" test $? -eq 7
out=$(HF_TOKEN=$llama_token cli resolve-export meta-llama/Llama-2-7b-hf --exporter onnx)
check "a gated model with its token resolves" contains "$out" "LlamaOnnxConfig"
cat >"$work/batch.txt" <<'BATCH'
# one model per line, or a JSON object
google-bert/bert-base-uncased
example-org/no-such-model

{"id": "gpt2", "model": "openai-community/gpt2", "task": "text-generation"}
BATCH
out=$(cli resolve-export --exporter onnx --batch "$work/batch.txt")
check "resolve-export --batch exits 0 with failed items" test $? -eq 0
check "--batch prints a JSON line per item" test "$(wc -l <<<"$out")" -eq 3
check "--batch: a plain line's id is the model" \
  contains "$out" '{"id":"google-bert/bert-base-uncased","answer":{'
check "--batch: a failed item carries its error" \
  contains "$out" '{"id":"example-org/no-such-model","error":{"code":"NOT_FOUND"'
check "--batch: JSON lines keep their id and fields" contains "$out" '"task_with_past":"text-generation-with-past"'
out=$(echo google-bert/bert-base-uncased | cli123 resolve-export --exporter tflite --batch -)
check "--batch - reads stdin" contains "$out" '"config_class":"BertTFLiteConfig"'
echo '{"model": "x", "tsak": "y"}' | cli resolve-export --exporter onnx --batch - 2>"$work/err"
check "--batch: a misspelt field exits INVALID_ARGUMENT (3)" test $? -eq 3
check "and names the line" contains "$(cat "$work/err")" "line 1"
out=$(cli --json cache-stats)
check "cache-stats counts upstream requests" contains "$out" "model_info OK"
cli determine-framework /etc >/dev/null 2>&1
check "a path outside the model roots is PERMISSION_DENIED (7)" test $? -eq 7
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=""
check "the token never reaches the server's log" bash -c '! grep -qF "$1" "$2"' _ \
  "$llama_token" "$work/server.log"

HF_HUB_OFFLINE=1 check "server starts offline" start_server --hf_cache_dir "$hub_dir/hf_cache"
out=$(cli infer-library-from-model sentence-transformers/all-MiniLM-L6-v2)
check "offline answers come from the cache folder" contains "$out" "hf-cache-dir"
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=""

# TLS: certificates from the openssl tool; the server's names only localhost, so a client
# dialling 127.0.0.1 must say which name to expect (--tls_server_name).
mkdir "$work/tls"
(
  cd "$work/tls" || exit 1
  new_key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
  openssl req -x509 $new_key -keyout ca.key -out ca.pem -subj /CN=test-ca &&
    printf 'subjectAltName=DNS:localhost\n' >server.ext &&
    openssl req -new $new_key -keyout server.key -out server.csr -subj /CN=localhost &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
      -days 1 -extfile server.ext &&
    openssl req -new $new_key -keyout client.key -out client.csr -subj /CN=client &&
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem \
      -days 1
) >"$work/tls/openssl.log" 2>&1
check "openssl makes the test certificates" test $? -eq 0
check "server starts with mutual TLS" start_server --tls_cert "$work/tls/server.pem" \
  --tls_key "$work/tls/server.key" --tls_client_ca "$work/tls/ca.pem"
tls=(--tls_ca "$work/tls/ca.pem" --tls_server_name localhost)
client_cert=(--tls_cert "$work/tls/client.pem" --tls_key "$work/tls/client.key")
cli "${tls[@]}" "${client_cert[@]}" health >/dev/null
check "health over mutual TLS" test $? -eq 0
cli "${tls[@]}" health >/dev/null 2>&1
check "without a client certificate: UNAVAILABLE (14)" test $? -eq 14
cli --tls_ca "$work/tls/ca.pem" "${client_cert[@]}" health >/dev/null 2>&1
check "127.0.0.1 is not the certificate's name: UNAVAILABLE (14)" test $? -eq 14
cli health >/dev/null 2>&1
check "a plaintext client: UNAVAILABLE (14)" test $? -eq 14
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=""
"$server_bin" --listen_address 127.0.0.1:0 --tls_cert "$work/tls/missing.pem" \
  --tls_key "$work/tls/server.key" 2>"$work/tls.log"
check "a missing certificate stops start-up" test $? -ne 0
check "and the error names the file" contains "$(cat "$work/tls.log")" "$work/tls/missing.pem"

# SIGHUP reloads the registries: a file added to a --registry_dir answers afterwards; a broken
# one fails the reload, which keeps the previous registry.
wait_for_log() {  # wait_for_log <text>: until the server's log holds it (at most 10 s)
  for _ in $(seq 100); do
    grep -qF -- "$1" "$work/server.log" && return 0
    sleep 0.1
  done
  return 1
}
mkdir "$work/extra"
check "server starts with an empty --registry_dir" start_server --registry_dir "$work/extra"
cli get-supported-tasks-for-model-type brand-new --exporter mine >/dev/null 2>&1
check "a model type not yet loaded is NOT_FOUND (5)" test $? -eq 5
cat >"$work/extra/mine.txtpb" <<'TXTPB'
exporter: "mine"
registration { library: "transformers" model_type: "brand-new" config_class: "NewConfig"
               task: ["text-generation"] }
TXTPB
kill -HUP "$server_pid"
check "SIGHUP reloads the registry" wait_for_log "registry reloaded"
out=$(cli get-supported-tasks-for-model-type brand-new --exporter mine)
check "after SIGHUP the new exporter answers" contains "$out" "NewConfig"
printf 'exporter: "x"\nregistration { library: "nope" }\n' >"$work/extra/zz.txtpb"
kill -HUP "$server_pid"
check "a broken file fails the reload, logged with file:line" wait_for_log "$work/extra/zz.txtpb:2"
out=$(cli get-supported-tasks-for-model-type brand-new --exporter mine)
check "and the previous registry still answers" contains "$out" "NewConfig"
kill -TERM "$server_pid"
wait "$server_pid"
check "SIGTERM after SIGHUPs still stops with exit 0" test $? -eq 0
server_pid=""

# SIGTERM in the middle of a load: the server drains and exits 0. Calls finished, or were refused
# once it stopped listening (UNAVAILABLE); gRPC 1.51 itself fails with CANCELLED the calls it had
# received but not yet handed to the service when it shut down (grpc/grpc#41785): those sent
# before the client saw the server go away. Calls the service had begun all finish
# (tests/service/fault_load_test.cc).
check "server starts for the load" start_server --offline --hf_cache_dir "$work/none"
"$bench_bin" --target "127.0.0.1:$port" --mix registry --concurrency 32 --duration 3 \
  --warmup 0 --optimum_version 1.23 >"$work/load.json" &
bench_pid=$!
sleep 1
kill -TERM "$server_pid"
wait "$server_pid"
check "SIGTERM under load stops the server with exit 0" test $? -eq 0
server_pid=""
wait "$bench_pid"
check "the load's calls succeeded, or were refused as the server stopped" python3 -c '
import json, sys
report = json.load(open(sys.argv[1]))
assert report["total"]["count"] > 100, report["total"]
assert set(report["errors"]) <= {"UNAVAILABLE", "CANCELLED"}, report["errors"]' "$work/load.json"

echo "$passes passed, $failures failed"
((failures == 0))
