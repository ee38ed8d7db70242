#!/usr/bin/env bash
# Line and branch coverage of the product's C code (shared/, api/, compute/) from a
# build configured with -DURLMON_COVERAGE=ON after the suite ran in it (scripts/test.sh
# does both). Prints gcovr's summary and fails when either figure is below the floor
# in tests/coverage-floor (raise the floor when the figures rise; never lower it).
#
#   scripts/coverage.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:?usage: scripts/coverage.sh BUILD_DIR}" && pwd)
floor_file=$ROOT/tests/coverage-floor

out=$(gcovr --root "$ROOT" --object-directory "$build" \
    --filter "$ROOT/shared/" --filter "$ROOT/api/" --filter "$ROOT/compute/" \
    --print-summary --output /dev/null 2>&1)
printf '%s\n' "$out" | grep -E '^(lines|branches|functions):' || {
    printf '%s\n' "$out"
    echo "coverage: gcovr printed no summary" >&2
    exit 1
}
pct() { printf '%s\n' "$out" | sed -n "s/^$1: *\([0-9.]*\)%.*/\1/p"; }
lines=$(pct lines)
branches=$(pct branches)
floor_lines=$(awk '$1 == "lines" {print $2}' "$floor_file")
floor_branches=$(awk '$1 == "branches" {print $2}' "$floor_file")
echo "coverage: lines ${lines}% (floor ${floor_lines}%), branches ${branches}% (floor ${floor_branches}%)"
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
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
