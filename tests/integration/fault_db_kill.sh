#!/usr/bin/env bash
# Fault: MariaDB killed with SIGKILL (no shutdown, InnoDB crash recovery on restart) in the
# middle of a compute run, started again a few seconds later. Whatever the job does
# meanwhile (retry, spool, replay in the run or at the next start), every result of that
# run must end up in MySQL exactly once: COUNT(*) = COUNT(DISTINCT url_id) = number of
# URLs for the run, and the rollups of the run's hours equal the raw counts.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/fault_lib.sh"
fault_restore+=("stack start-db")
reset_all
start_target --threads 2
export TIMEOUT=5 CONCURRENCY=100 BATCH_SIZE=100
n=3000
add_urls k k "$n" '?delay=300'

t0=$(now_ms)
"$URLMON_COMPUTE_BIN" >"$work/a.out" 2>&1 &
pid=$!
bg_pids+=("$pid")
written_some() { [ "$(sql "SELECT COUNT(*) FROM checks" 2>/dev/null || echo 0)" -ge 300 ]; }
check "some results written before the kill" wait_until 30 written_some
at_kill=$(sql "SELECT COUNT(*) FROM checks")
stack kill-db
echo "MariaDB killed after $(($(now_ms) - t0)) ms with $at_kill results written"
check "killed in the middle of the run" test "$at_kill" -lt "$n"
check "the job survives the kill" kill -0 "$pid"
sleep 3
stack start-db
echo "MariaDB back after $(($(now_ms) - t0)) ms"
set +e
wait "$pid"
rc=$?
set -e
echo "run ended after $(($(now_ms) - t0)) ms, exit $rc"
echo "  $(grep -c 'spooled to' "$work/a.out" || true) batches spooled, $(grep -c 'MySQL is back' \
    "$work/a.out" || true) reconnects, replays: $(grep -o 'replayed [0-9]* batches' "$work/a.out" |
    tr '\n' ' ')"
if [ "$rc" -ne 0 ]; then
    # The design allows the next start to finish the job: it replays the spool first.
    sql "UPDATE run_locks SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND"
    compute
    echo "next start: exit $rc"
fi
expect_eq "spool empty" "$(find "$SPOOL_DIR" -name '*.spool' 2>/dev/null | wc -l)" 0
run=$(sql "SELECT MIN(id) FROM runs")
expect_eq "every result of the run exactly once" \
    "$(sql "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url_id)) FROM checks WHERE run_id = $run")" \
    "$n/$n"
expect_eq "every URL of the list" "$(sql "SELECT COUNT(*) FROM urls u LEFT JOIN checks c
    ON c.url_id = u.id AND c.run_id = $run WHERE c.url_id IS NULL")" 0
expect_eq "all succeeded" "$(sql "SELECT SUM(success) FROM checks WHERE run_id = $run")" "$n"
expect_eq "run recorded" "$(sql "SELECT CONCAT(status, ':', urls_checked) FROM runs
                                 WHERE id = $run")" "done:$n"
expect_eq "batches of the run account for its rows" \
    "$(sql "SELECT SUM(rows_written) FROM result_batches WHERE run_id = $run")" "$n"
expect_eq "rollups per URL and hour equal the run's raw counts" "$(sql "SELECT COUNT(*) FROM
    (SELECT url_id, DATE_FORMAT(checked_at, '%Y-%m-%d %H:00:00') b, SUM(success) s,
            SUM(1 - success) f, SUM(response_ms) ms FROM checks GROUP BY 1, 2) c
    LEFT JOIN rollup_hourly r ON r.url_id = c.url_id AND r.bucket = c.b
    WHERE r.url_id IS NULL OR r.success_count <> c.s OR r.fail_count <> c.f
       OR r.response_ms_sum <> c.ms")" 0
check_exactly_once "after the kill"
settle_target_log
dups=$(grep '^GET /k/' "$work/target.log" | sort | uniq -d | wc -l)
echo "URLs the target saw twice (checked again after the kill): $dups"
echo "fault_db_kill: $(($(now_ms) - t0)) ms"
finish
