#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + LeakSanitizer) and runs each for
# a bounded time on its seed corpus (tests/fuzz/corpus/<name>). Fails on any crash, leak
# or sanitizer report.   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
seconds=${1:-60}
build=${URLMON_FUZZ_BUILD:-build-fuzz}
CC=clang cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DURLMON_FUZZ=ON -DURLMON_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=(fuzz_qentry fuzz_urlrule fuzz_rx)
if [ -f compute/csv.h ]; then targets+=(fuzz_csv); fi
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null
pass=0
fail=0
for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    corpus=$(mktemp -d)
    cp -r "tests/fuzz/corpus/${name#fuzz_}/." "$corpus/" 2>/dev/null || true
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 "$corpus" >"$build/$name.log" 2>&1; then
        pass=$((pass + 1))
        echo "fuzz: $name ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/$name.log" | grep -o '[0-9]*$') runs)"
    else
        fail=$((fail + 1))
        echo "fuzz: $name FAILED"
        tail -40 "$build/$name.log"
    fi
    rm -rf "$corpus"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
