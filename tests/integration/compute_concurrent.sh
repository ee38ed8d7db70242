#!/usr/bin/env bash
# Integration: one run per shard and slot. Two processes started at the same moment:
# exactly one checks, the other exits 0 saying a run is already in progress, and every
# URL is checked (and requested from the target) exactly once. Shards split the list.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
reset_all
start_target --threads 1
export TIMEOUT=5
n=300
add_urls u c "$n" '?delay=400'

slot_room 90 # the third start below must find this slot done
"$URLMON_COMPUTE_BIN" >"$work/a.out" 2>&1 &
a=$!
"$URLMON_COMPUTE_BIN" >"$work/b.out" 2>&1 &
b=$!
bg_pids+=("$a" "$b")
set +e
wait "$a"
rca=$?
wait "$b"
rcb=$?
set -e
# what a run that did not exit 0 said (the work dir goes with the test)
[ "$rca" = 0 ] || { echo "--- first run's output:"; cat "$work/a.out"; }
[ "$rcb" = 0 ] || { echo "--- second run's output:"; cat "$work/b.out"; }
expect_eq "first exits 0" "$rca" 0
expect_eq "second exits 0" "$rcb" 0
expect_eq "exactly one says already in progress" \
    "$(cat "$work/a.out" "$work/b.out" | grep -c "run already in progress")" 1
expect_eq "exactly one run" "$(sql "SELECT COUNT(*) FROM runs")" 1
expect_eq "every URL checked once" "$(sql "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url_id))
                                         FROM checks")" "$n/$n"
settle_target_log
expect_eq "target saw each path once" "$(grep -c '^GET /c/' "$work/target.log")" "$n"
expect_eq "no path twice" "$(grep '^GET /c/' "$work/target.log" | sort | uniq -d | wc -l)" 0
check_exactly_once "concurrent"

"$URLMON_COMPUTE_BIN" >"$work/c.out" 2>&1 || true
check "a third start in the slot: slot already done" grep -q "slot already done" "$work/c.out"
expect_eq "still one run" "$(sql "SELECT COUNT(*) FROM runs")" 1

# Two shards at once in a new slot: each URL exactly once, two runs. (A run checks only
# the URLs due in its slot: the earlier checks are moved an hour back to make them due.)
sql "DELETE FROM run_locks"
sql "UPDATE checks SET checked_at = checked_at - INTERVAL 1 HOUR"
: >"$work/target.log"
"$URLMON_COMPUTE_BIN" --shard 0/2 >"$work/s0.out" 2>&1 &
a=$!
"$URLMON_COMPUTE_BIN" --shard 1/2 >"$work/s1.out" 2>&1 &
b=$!
bg_pids+=("$a" "$b")
set +e
wait "$a"
rca=$?
wait "$b"
rcb=$?
set -e
expect_eq "shards exit 0" "$rca$rcb" 00
expect_eq "two shard runs" "$(sql "SELECT GROUP_CONCAT(CONCAT(shard_index, '/', shard_count, ':',
    urls_checked) ORDER BY shard_index) FROM runs WHERE shard_count = 2")" "0/2:150,1/2:150"
expect_eq "each shard checks its own ids" "$(sql "SELECT COUNT(*) FROM checks c JOIN runs r
    ON r.id = c.run_id WHERE r.shard_count = 2 AND c.url_id % 2 <> r.shard_index")" 0
expect_eq "shards: every URL once" "$(sql "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url_id))
    FROM checks c JOIN runs r ON r.id = c.run_id WHERE r.shard_count = 2")" "$n/$n"
settle_target_log
expect_eq "shards: target saw each path once" \
    "$(grep '^GET /c/' "$work/target.log" | sort -u | wc -l)/$(grep -c '^GET /c/' "$work/target.log")" \
    "$n/$n"
expect_eq "only shard 0 applies retention" "$(grep -c 'retention [0-9]* checks' "$work/s0.out")/$(
    grep -c 'retention' "$work/s1.out")" "1/1"
check_exactly_once "shards"
finish
