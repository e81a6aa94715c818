#!/usr/bin/env bash
# Builds everything (release preset) and runs the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release
cmake --build --preset release
ctest --preset release "$@"
