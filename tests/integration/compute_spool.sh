#!/usr/bin/env bash
# Integration: MySQL stops in the middle of a run. Results checked meanwhile are spooled
# to SPOOL_DIR and end up in MySQL exactly once when it returns: in the same run, or,
# when the job is stopped while MySQL is still away, at the next start. A run that leaves
# batches in the spool (one that cannot be replayed) exits non-zero: on a scheduler those
# results would otherwise be lost silently with the task's disk.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
stack() { bash "$URLMON_ROOT/scripts/stack.sh" "$@" >/dev/null; }
trap 'stack start-db || true; cleanup' EXIT
reset_all
start_target --threads 1
export TIMEOUT=5 CONCURRENCY=4 BATCH_SIZE=5
n=80
add_urls u s "$n" '?delay=400'

# 1. MySQL away for a while in the middle of the run, back before it ends.
"$URLMON_COMPUTE_BIN" >"$work/a.out" 2>&1 &
pid=$!
bg_pids+=("$pid")
sleep 2
stack stop-db
sleep 7
stack start-db
set +e
wait "$pid"
rc=$?
set -e
expect_eq "run survives the outage: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || tail -20 "$work/a.out"
check "batches were spooled" grep -q "spooled to" "$work/a.out"
check "spool replayed in the run" grep -q "spool: replayed" "$work/a.out"
expect_eq "spool empty" "$(find "$SPOOL_DIR" -name '*.spool' | wc -l)" 0
expect_eq "every result once" "$(sql "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url_id))
                                     FROM checks")" "$n/$n"
expect_eq "run done" "$(sql "SELECT CONCAT(status, ':', urls_checked) FROM runs")" "done:$n"
check_exactly_once "outage"

# 2. MySQL goes away and the job is stopped before it returns: the next start replays.
# (A run checks only the URLs due in its slot: part 1's checks move an hour back.)
sql "DELETE FROM run_locks"
sql "UPDATE checks SET checked_at = checked_at - INTERVAL 1 HOUR"
"$URLMON_COMPUTE_BIN" >"$work/b.out" 2>&1 &
pid=$!
bg_pids+=("$pid")
sleep 2
stack stop-db
sleep 7
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
check "stopped while MySQL is away: exit status non-zero" test "$rc" -ne 0
spooled=$(find "$SPOOL_DIR" -name '*.spool' | wc -l)
check "batches wait in the spool ($spooled)" test "$spooled" -gt 0
stack start-db
"$URLMON_COMPUTE_BIN" >"$work/c.out" 2>&1 || true
check "next start replays" grep -q "spool: replayed" "$work/c.out"
expect_eq "spool empty after the next start" "$(find "$SPOOL_DIR" -name '*.spool' | wc -l)" 0
run2=$(sql "SELECT MAX(id) FROM runs")
written=$(sql "SELECT COUNT(*) FROM checks WHERE run_id = $run2")
check "second run wrote results ($written)" test "$written" -gt 0
expect_eq "second run: no duplicates" "$(sql "SELECT COUNT(DISTINCT url_id) FROM checks
                                            WHERE run_id = $run2")" "$written"
check_exactly_once "after replay"

# 3. A spool file that cannot be replayed (damaged): the run does its work, leaves the
#    file for an operator, and exits non-zero naming it; without it, exit 0 again.
sql "DELETE FROM run_locks"
printf 'not a spool batch\n' >"$SPOOL_DIR/batch-0000000000000000-damaged.spool"
set +e
"$URLMON_COMPUTE_BIN" >"$work/d.out" 2>&1
rc=$?
set -e
expect_eq "spool left behind: exit status 1" "$rc" 1
check "the log says it could not be replayed" grep -q "could not be replayed into MySQL" "$work/d.out"
check "the file stays for an operator" test -f "$SPOOL_DIR/batch-0000000000000000-damaged.spool"
rm -f "$SPOOL_DIR/batch-0000000000000000-damaged.spool"
sql "DELETE FROM run_locks"
set +e
"$URLMON_COMPUTE_BIN" >"$work/e.out" 2>&1
rc=$?
set -e
expect_eq "spool empty again: exit status 0" "$rc" 0
finish
