#!/usr/bin/env bash
# Integration: a crash in the middle of the run that opens the incidents. MySQL goes away
# mid-run (batches are spooled), the job is SIGKILLed, MySQL comes back, the next start
# replays the spool and checks again, and the same spool files replayed once more change
# nothing: every URL ends with exactly one incident and one opening event.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
stack() { bash "$URLMON_ROOT/scripts/stack.sh" "$@" >/dev/null; }
trap 'stack start-db || true; cleanup' EXIT
reset_all
start_target --threads 1
export TIMEOUT=5 CONCURRENCY=4 BATCH_SIZE=5 FAIL_THRESHOLD=2
n=60
add_urls u s "$n" '?status=500&delay=300'

compute # the first failure of every URL: nothing opens yet
expect_eq "first run: exit 0" "$rc" 0
expect_eq "one failure: no incident" "$(sql "SELECT COUNT(*) FROM incidents")" 0

# the second run opens the incidents; MySQL stops under it and the job is killed
next_slot
"$URLMON_COMPUTE_BIN" >"$work/b.out" 2>&1 &
pid=$!
bg_pids+=("$pid")
sleep 2
stack stop-db
sleep 4
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
spooled=$(find "$SPOOL_DIR" -name '*.spool' | wc -l)
check "batches were spooled before the crash ($spooled)" test "$spooled" -gt 0
mkdir -p "$work/saved"
cp "$SPOOL_DIR"/*.spool "$work/saved/"
stack start-db

# the next start replays the spool, then checks again (the killed run's lease is dropped
# by hand: it would otherwise run out by itself)
next_slot
compute
expect_eq "after the crash: exit 0" "$rc" 0
check "the spool was replayed" grep -q "spool: replayed" "$work/out"
# the same spool files once more (a replay that was not acknowledged)
cp "$work/saved"/*.spool "$SPOOL_DIR/"
next_slot
compute
expect_eq "replayed again: exit 0" "$rc" 0
check "the second replay found them written" grep -q "already written" "$work/out"

expect_eq "every URL down" "$(sql "SELECT COUNT(*) FROM urls WHERE state = 'down'")" "$n"
expect_eq "exactly one incident per URL" "$(sql "SELECT CONCAT(COUNT(*), '/',
    COUNT(DISTINCT url_id)) FROM incidents")" "$n/$n"
expect_eq "exactly one opening event per incident" "$(sql "SELECT CONCAT(COUNT(*), '/',
    COUNT(DISTINCT incident_id)) FROM outbox WHERE type = 'incident_opened'")" "$n/$n"
expect_eq "each URL points at its incident" "$(sql "SELECT COUNT(*) FROM urls u JOIN incidents i
    ON i.id = u.incident_id AND i.url_id = u.id AND i.closed_at IS NULL")" "$n"
check_exactly_once "after crash and replays"
finish
