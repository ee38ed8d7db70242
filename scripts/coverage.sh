#!/usr/bin/env bash
# Line and branch coverage of the product's C code (shared/, api/, compute/) from a
# build configured with -DURLMON_COVERAGE=ON after the suite ran in it (scripts/test.sh
# does both). Prints gcovr's summary and fails when either figure is below the floor
# in tests/coverage-floor (raise the floor when the figures rise; never lower it), or
# when a figure or the floor cannot be read.
#
#   scripts/coverage.sh BUILD_DIR
#   scripts/coverage.sh --self-test   # prove it fails below the floor (a stand-in gcovr)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
floor_file=${URLMON_COVERAGE_FLOOR:-$ROOT/tests/coverage-floor}

# Runs this script with a gcovr that prints SUMMARY, against a floor file FLOOR;
# WANT is the exit status it must give.
self_case() {
    local what=$1 summary=$2 floor=$3 want=$4 dir got=0
    dir=$(mktemp -d /tmp/urlmon-coverage-self-XXXXXX)
    printf '#!/bin/sh\nprintf "%%s\\n" "%s"\n' "$summary" >"$dir/gcovr"
    chmod +x "$dir/gcovr"
    printf '%s\n' "$floor" >"$dir/floor"
    PATH="$dir:$PATH" URLMON_COVERAGE_FLOOR="$dir/floor" bash "$0" "$dir" >"$dir/out" 2>&1 || got=$?
    if [ "$got" != "$want" ]; then
        echo "coverage self-test: $what: exit $got, want $want"
        cat "$dir/out"
        rm -rf "$dir"
        return 1
    fi
    echo "coverage self-test: $what: exit $got (ok)"
    rm -rf "$dir"
}

if [ "${1:-}" = --self-test ]; then
    floor=$(printf 'lines 87.0\nbranches 70.0')
    ok="lines: 87.9% (100 out of 113)
branches: 71.2% (50 out of 70)"
    rc=0
    self_case "above the floor" "$ok" "$floor" 0 || rc=1
    self_case "at the floor" "lines: 87.0% (87 out of 100)
branches: 70.0% (7 out of 10)" "$floor" 0 || rc=1
    self_case "lines below the floor" "lines: 86.9% (869 out of 1000)
branches: 71.2% (50 out of 70)" "$floor" 1 || rc=1
    self_case "branches below the floor" "lines: 87.9% (100 out of 113)
branches: 69.9% (699 out of 1000)" "$floor" 1 || rc=1
    self_case "no summary from gcovr" "(WARNING) no coverage data" "$floor" 1 || rc=1
    self_case "no branch figure" "lines: 87.9% (100 out of 113)" "$floor" 1 || rc=1
    self_case "a floor without branches" "$ok" "lines 87.0" 1 || rc=1
    exit "$rc"
fi

build=$(cd "${1:?usage: scripts/coverage.sh BUILD_DIR | --self-test}" && pwd)
out=$(gcovr --root "$ROOT" --object-directory "$build" \
    --filter "$ROOT/shared/" --filter "$ROOT/api/" --filter "$ROOT/compute/" \
    --print-summary --output /dev/null 2>&1) || {
    printf '%s\n' "$out"
    echo "coverage: gcovr failed" >&2
    exit 1
}
printf '%s\n' "$out" | grep -E '^(lines|branches|functions):' || true
pct() { printf '%s\n' "$out" | sed -n "s/^$1: *\([0-9][0-9.]*\)%.*/\1/p" | head -n 1; }
floor() { awk -v k="$1" '$1 == k && $2 ~ /^[0-9]+(\.[0-9]+)?$/ {print $2}' "$floor_file"; }
lines=$(pct lines)
branches=$(pct branches)
floor_lines=$(floor lines)
floor_branches=$(floor branches)
if [ -z "$lines" ] || [ -z "$branches" ]; then
    printf '%s\n' "$out"
    echo "coverage: gcovr printed no line or branch figure" >&2
    exit 1
fi
if [ -z "$floor_lines" ] || [ -z "$floor_branches" ]; then
    echo "coverage: $floor_file has no 'lines N' or 'branches N' line" >&2
    exit 1
fi
echo "coverage: lines ${lines}% (floor ${floor_lines}%), branches ${branches}% (floor ${floor_branches}%)"
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
rc=0
if below "$lines" "$floor_lines"; then
    echo "coverage: line coverage ${lines}% is below the floor ${floor_lines}%" >&2
    rc=1
fi
if below "$branches" "$floor_branches"; then
    echo "coverage: branch coverage ${branches}% is below the floor ${floor_branches}%" >&2
    rc=1
fi
exit "$rc"
