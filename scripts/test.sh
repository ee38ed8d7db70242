#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs packages, builds with
# -Werror, then ctest, whose `stack` fixture starts a private MariaDB + Redis on
# loopback and stops them at the end. Exit status = the suite's.
#   URLMON_SANITIZE=1 scripts/test.sh   # the same under AddressSanitizer + UBSan
#   URLMON_TEST_ARGS="-R api" scripts/test.sh   # extra ctest arguments
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash scripts/install-deps.sh

build="build-test"
cmake_args=(-DURLMON_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${URLMON_SANITIZE:-0}" = 1 ]; then
    build="build-asan"
    cmake_args+=(-DURLMON_SANITIZE=ON)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
build=${URLMON_BUILD_DIR:-$build}
cmake -S . -B "$build" "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"

cd "$build"
# shellcheck disable=SC2086 # URLMON_TEST_ARGS is a list of ctest words
ctest --output-on-failure --timeout 900 ${URLMON_TEST_ARGS:-}
