#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs packages, builds with
# -Werror, then ctest, whose `stack` fixture starts a private MariaDB + Redis on
# loopback and stops them at the end. Exit status = the suite's.
#   URLMON_SANITIZE=1 scripts/test.sh   # the same under AddressSanitizer + UBSan
#   URLMON_TSAN=1 scripts/test.sh       # the compute tests under ThreadSanitizer (a report
#                                       # in urlmon's own code fails the test)
#   URLMON_TEST_ARGS="-R api" scripts/test.sh   # extra ctest arguments
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash scripts/install-deps.sh

build="build-test"
# The test build is a coverage build: the suite runs once, and scripts/coverage.sh
# reports line and branch coverage from it and holds them to tests/coverage-floor.
cmake_args=(-DURLMON_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DURLMON_COVERAGE=ON)
coverage=1
if [ "${URLMON_SANITIZE:-0}" = 1 ]; then
    build="build-asan"
    coverage=0
    cmake_args=(-DURLMON_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DURLMON_SANITIZE=ON)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
if [ "${URLMON_TSAN:-0}" = 1 ]; then
    build="build-tsan"
    cmake_args+=(-DURLMON_TSAN=ON)
    # libevent and the MySQL/curl client libraries are not instrumented: their reports
    # (fd reuse across threads, ...) are suppressed; any report in urlmon's code fails
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$ROOT/tests/tsan.supp}
    URLMON_TEST_ARGS=${URLMON_TEST_ARGS:--R test_engine|compute -E scale|load}
fi
build=${URLMON_BUILD_DIR:-$build}
cmake -S . -B "$build" "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"

if [ "$coverage" = 1 ]; then
    find "$build" -name '*.gcda' -delete # counts from this run only
fi
rc=0
# shellcheck disable=SC2086 # URLMON_TEST_ARGS is a list of ctest words
(cd "$build" && ctest --output-on-failure --timeout 900 ${URLMON_TEST_ARGS:-}) || rc=$?
if [ "$coverage" = 1 ] && [ -z "${URLMON_TEST_ARGS:-}" ]; then
    bash scripts/coverage.sh "$build" || { [ "$rc" -ne 0 ] || rc=1; }
fi
exit "$rc"
