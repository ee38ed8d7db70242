#!/usr/bin/env bash
# Integration: --run-local and signals. --run-local --interval 2 runs every 2 s until
# SIGTERM, then exits 0 with nothing half-done; SIGTERM in the middle of a run with slow
# targets finishes the checks in flight, writes everything checked (each batch
# recorded), marks the run interrupted and exits 0.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
reset_all
start_target --threads 1
export TIMEOUT=10
add_urls u l 20
# each 2 s run checks the URLs due in its slot: a 1 s interval makes every URL due in each
sql "UPDATE urls SET check_interval = 1"

"$URLMON_COMPUTE_BIN" --run-local --interval 2 >"$work/local.out" 2>&1 &
pid=$!
bg_pids+=("$pid")
for _ in $(seq 1 100); do
    [ "$(sql "SELECT COUNT(*) FROM runs WHERE status = 'done'")" -ge 2 ] && break
    sleep 0.1
done
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
expect_eq "run-local: exit 0 on SIGTERM" "$rc" 0
runs=$(sql "SELECT COUNT(*) FROM runs")
check "run-local: at least two runs ($runs)" test "$runs" -ge 2
expect_eq "run-local: none left running" "$(sql "SELECT COUNT(*) FROM runs
                                               WHERE status = 'running'")" 0
expect_eq "run-local: distinct slots" "$(sql "SELECT COUNT(DISTINCT slot) FROM runs")" "$runs"
expect_eq "run-local: consecutive slots" "$(sql "SELECT MAX(slot) - MIN(slot) + 1 FROM runs")" \
    "$runs"
# The first run checks all 20; a later one checks those due in its slot: all 20 unless the
# run before overran into this slot's time on a loaded machine (a URL checked less than its
# interval ago is not due), never more than 20.
expect_eq "run-local: the first run checks all 20" "$(sql "SELECT COUNT(*) FROM checks
    WHERE run_id = (SELECT MIN(id) FROM runs)")" 20
expect_eq "run-local: no done run checks more than 20" "$(sql "SELECT COUNT(*) FROM (SELECT r.id
    FROM runs r LEFT JOIN checks c ON c.run_id = r.id WHERE r.status = 'done' GROUP BY r.id
    HAVING COUNT(c.url_id) > 20 OR COUNT(c.url_id) = 0) x")" 0
expect_eq "run-local: runs 2 s apart" "$(sql "SELECT COUNT(*) FROM runs a JOIN runs b
    ON b.id = a.id + 1 WHERE TIMESTAMPDIFF(MICROSECOND, a.started_at, b.started_at)
    NOT BETWEEN 1500000 AND 2600000")" 0
check "run-local: says stopped" grep -q "stopped" "$work/local.out"
check_exactly_once "run-local"

# SIGTERM in the middle of a slow run.
reset_all
export CONCURRENCY=20 BATCH_SIZE=7
add_urls u slow 200 '?delay=2500'
"$URLMON_COMPUTE_BIN" >"$work/slow.out" 2>&1 &
pid=$!
bg_pids+=("$pid")
sleep 4
t0=$(date +%s%3N)
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
t1=$(date +%s%3N)
expect_eq "mid-run SIGTERM: exit 0" "$rc" 0
check "mid-run SIGTERM: prompt exit ($((t1 - t0)) ms < 6000 ms)" test $((t1 - t0)) -lt 6000
written=$(sql "SELECT COUNT(*) FROM checks")
check "mid-run SIGTERM: some written ($written)" test "$written" -gt 0 -a "$written" -lt 200
expect_eq "mid-run SIGTERM: run interrupted" "$(sql "SELECT CONCAT(status, ':', urls_checked)
                                                   FROM runs")" "interrupted:$written"
expect_eq "mid-run SIGTERM: in-flight checks completed, not cut" "$(sql "SELECT COUNT(*) FROM checks
                                                                    WHERE success = 0")" 0
expect_eq "mid-run SIGTERM: written checks are multiples of in-flight waves" \
    "$(( written % 20 ))" 0
check_exactly_once "mid-run SIGTERM"
expect_eq "mid-run SIGTERM: lease released" "$(sql "SELECT owner IS NULL FROM run_locks")" 1
check "mid-run SIGTERM: logged the stop" grep -q "stop requested" "$work/slow.out"
finish
