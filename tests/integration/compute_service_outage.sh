#!/usr/bin/env bash
# Integration: --service while MySQL is away (issue 14). Checking goes on, batches are
# spooled, and once MySQL is back they are replayed: every result exactly once, rollups
# equal to the raw counts. Then a second outage with a SIGTERM in it: the spool waits
# for the next start, which replays it before anything else.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
stack() { bash "$URLMON_ROOT/scripts/stack.sh" "$@" >/dev/null; }
trap 'stack start-db || true; cleanup' EXIT
reset_all
start_target --threads 1
export BATCH_SIZE=5
add_urls_every 5 u ok 20

start_service "$work/a.out"
sleep 4
stack stop-db
down=$(date +%s%3N)
sleep 10
stack start-db
up=$(date +%s%3N)
sleep 8
stop_service "$svc_pid"
expect_eq "outage: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || tail -20 "$work/a.out"
check "outage: batches spooled" grep -q "spooled to" "$work/a.out"
check "outage: spool replayed" grep -q "spool: replayed" "$work/a.out"
expect_eq "outage: spool empty" "$(find "$SPOOL_DIR" -name '*.spool' | wc -l)" 0
during=$(sql "SELECT COUNT(*) FROM checks WHERE checked_at BETWEEN
              FROM_UNIXTIME($down / 1000 + 1) AND FROM_UNIXTIME($up / 1000 - 1)")
check "outage: checking went on while MySQL was away ($during checks)" test "$during" -ge 20
gap=$(min_gap_ms "1")
check "outage: no URL checked twice within its interval ($gap ms)" test "$gap" -ge 4500
[ "$gap" -ge 4500 ] || grep -E "lateness|lease|spool" "$work/a.out"
check_exactly_once "outage"

# SIGTERM while MySQL is away: exit 1 (results wait in the spool), the next start
# replays them first.
start_service "$work/b.out"
sleep 3
stack stop-db
sleep 6
stop_service "$svc_pid"
check "stopped while MySQL is away: exit non-zero ($rc)" test "$rc" -ne 0
spooled=$(find "$SPOOL_DIR" -name '*.spool' | wc -l)
check "batches wait in the spool ($spooled)" test "$spooled" -gt 0
[ "$spooled" -gt 0 ] || tail -30 "$work/b.out"
stack start-db
sql "UPDATE run_locks SET owner = NULL, expires_at = NULL"
start_service "$work/c.out"
sleep 3
stop_service "$svc_pid"
check "next start replays" grep -q "spool: replayed" "$work/c.out"
expect_eq "spool empty after the next start" "$(find "$SPOOL_DIR" -name '*.spool' | wc -l)" 0
check_exactly_once "after replay"
finish
