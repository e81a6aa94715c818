#!/usr/bin/env bash
# Installs the Debian 12 packages the build and tests need, if any is missing (as root, or with
# sudo). Everything comes from Debian's archive; nothing else is downloaded.
#   scripts/deps.sh           all of them (CI: scripts/test.sh and scripts/ci-extra.sh)
#   scripts/deps.sh --build   the image's build stage: what builds the binaries and runs the tests
#                             of what the image ships (the Dockerfile's ctest leaves out the
#                             labels deploy and python_client, which check files it does not ship)
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config python3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libspdlog-dev libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  libcurl4-openssl-dev libssl-dev libcpp-httplib-dev openssl
  libhiredis-dev redis-server  # the fleet cache (server/fleet_cache/) and its tests
  python3-grpcio python3-protobuf  # the Python test drivers (bench/run_bench.py and others)
)
if [[ "${1:-}" != --build ]]; then
  packages+=(
    python3-yaml prometheus  # deploy/validate (prometheus: its promtool checks the alert rules)
    python3-pytest python3-venv python3-pip python3-setuptools python3-wheel python3-build
    python3-mypy  # client/python, as python_client_test builds, installs and type-checks it
    clang libclang-rt-14-dev llvm  # scripts/ci-extra.sh: sanitizers, libFuzzer, llvm-symbolizer
  )
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
((${#missing[@]} == 0)) && exit 0
echo "deps: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) == 0 ]] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
