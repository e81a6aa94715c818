#!/usr/bin/env bash
# CI stages after the test suite, each under a time budget (seconds; a stage over it fails):
#   fuzz  the libFuzzer targets of fuzz/, each run FUZZ_SECONDS on its committed seed corpus;
#   tsan  the Hub cache and registry tests under ThreadSanitizer;
#   asan  the whole test suite (ctest, as in the default run) built with AddressSanitizer and
#         UndefinedBehaviorSanitizer, leaks included: the servers the tests start are sanitized
#         too. Building everything also puts every source through clang's thread safety analysis.
# Every clang build fails on a thread safety analysis warning (-Wthread-safety).
# Usage: scripts/ci-extra.sh [stage...]   (default: all three, in that order; a failed stage stops
# the run)
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZERS=(request_fuzzer hub_json_fuzzer registry_fuzzer model_path_fuzzer)

# Runs one fuzzer from the committed seeds; new inputs go to a scratch corpus, a crash input to
# build/fuzz/artifacts/. Prints how many inputs it ran.
run_fuzzer() {
  local name=$1 log=build/fuzz/logs/$1.log scratch
  scratch=$(mktemp -d)
  mkdir -p build/fuzz/logs build/fuzz/artifacts
  if ! build/fuzz/fuzz/"$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -print_final_stats=1 \
      -artifact_prefix=build/fuzz/artifacts/"$name"- "$scratch" fuzz/corpus/"$name" >"$log" 2>&1; then
    tail -n 40 "$log"
    rm -rf "$scratch"
    echo "fuzz: $name failed; reproduce with build/fuzz/fuzz/$name build/fuzz/artifacts/$name-*"
    return 1
  fi
  rm -rf "$scratch"
  echo "fuzz: $name: $(grep -o 'number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') runs"
}

stage_fuzz() {
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
  for name in "${FUZZERS[@]}"; do run_fuzzer "$name"; done
}

stage_tsan() {
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan
  # Debian's gRPC is not built with ThreadSanitizer: only test binaries without it run here.
  for test in hub_cache_test registry_test; do
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" build/tsan/tests/"$test" --gtest_brief=1
  done
}

stage_asan() {
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  ctest --preset asan -j2
}

# One stage, as its own process so that `timeout` ends it with everything it started.
if [[ ${1:-} == --stage ]]; then
  "stage_$2"
  exit
fi

scripts/deps.sh
# Each budget is two to three times what the stage takes from a clean build dir when it shares the
# machine's cores with another build (README, "Development", has the last CI run's times; asan
# builds every target and runs the whole suite). Together they keep the whole of .ci/run, release
# build and default tests included, near 80 minutes even if every stage used all of its budget.
declare -A budgets=([fuzz]=900 [tsan]=600 [asan]=2400)
stages=("$@")
((${#stages[@]})) || stages=(fuzz tsan asan)
for stage in "${stages[@]}"; do
  [[ -v "budgets[$stage]" ]] || { echo "unknown stage $stage (fuzz, tsan, asan)"; exit 2; }
  echo "=== stage $stage (budget ${budgets[$stage]}s)"
  start=$SECONDS
  status=0
  timeout "${budgets[$stage]}" "$0" --stage "$stage" || status=$?
  if ((status == 124)); then echo "=== stage $stage: over its budget of ${budgets[$stage]}s"; fi
  echo "=== stage $stage: $( ((status == 0)) && echo ok || echo FAILED) in $((SECONDS - start))s"
  ((status == 0)) || exit "$status"
done
