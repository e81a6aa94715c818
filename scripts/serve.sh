#!/usr/bin/env bash
# Builds the release binaries and starts the server with its embedded registries on
# 127.0.0.1:50051 (override with flags, e.g. --listen_address 0.0.0.0:50051, or TASKS_* env).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target tasks-server tasks-cli
exec build/release/tasks-server "$@"
