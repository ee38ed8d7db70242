#!/usr/bin/env bash
# Integration: `checks` partitioned by day (issue 19, compute/partition.c, partconv.c).
#   1. migrate partitions an empty checks: RETENTION_DAYS back to 3 days ahead, p_future
#      last;
#   2. a compute run creates the days ahead again when they are missing;
#   3. a populated, unpartitioned checks (200,000 rows of history, rollups made by the
#      job's own code) is converted by `urlmon-compute partition-checks` while a compute
#      run writes: every row kept (count and checksum), the run's rows all there, no
#      duplicate key, no trigger or old table left; an interrupted conversion changes
#      nothing;
#   4. retention drops whole old days by DROP PARTITION: older days gone, today's and the
#      kept days' rows stay, rollups intact;
#   5. a replayed old result (older than every partition) and one from a clock ahead
#      (beyond every day partition) are both accepted, and a replayed duplicate is not
#      written twice.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
: "${URLMON_ROLLUP_BIN:?run through ctest}"

parts() {
    sql "SELECT COALESCE(GROUP_CONCAT(PARTITION_NAME ORDER BY PARTITION_ORDINAL_POSITION), '')
         FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE()
         AND TABLE_NAME = 'checks' AND PARTITION_NAME IS NOT NULL"
}
day() { date -u -d "$1" +p%Y%m%d; }
unpartition() { if [ -n "$(parts)" ]; then sql "ALTER TABLE checks REMOVE PARTITIONING"; fi; }
# a fresh table: RETENTION_DAYS (35) back, 3 days ahead
fresh=$(for i in $(seq -35 3); do printf '%s,' "$(day "$i day")"; done)p_future
back=$(for i in $(seq -35 0); do printf '%s,' "$(day "$i day")"; done)
history_sum() {
    sql "SELECT CONCAT(COUNT(*), '/', SUM(CRC32(CONCAT_WS(',', url_id, checked_at, run_id,
         success, response_ms)))) FROM checks WHERE run_id >= 1000000"
}

reset_all
sql "DROP TABLE IF EXISTS checks_unpartitioned, checks_new"
start_target --threads 2

# 1. migrate on an empty table
unpartition
"$URLMON_COMPUTE_BIN" migrate >"$work/migrate.out" 2>&1
expect_eq "migrate partitions an empty checks" "$(parts)" "$fresh"

# 2. the days ahead missing (as after a long pause): a run makes them again
sql "ALTER TABLE checks REORGANIZE PARTITION $(day '+1 day'),$(day '+2 day'),$(day '+3 day'),p_future
     INTO (PARTITION p_future VALUES LESS THAN (MAXVALUE))"
expect_eq "ahead days removed" "$(parts)" "${back}p_future"
add_urls u ok 20
compute
expect_eq "run: exit 0" "$rc" 0
expect_eq "the run created the days ahead" "$(parts)" "$fresh"
check "the run logged it" grep -q "checks partitions: 3 days added" "$work/out"
check_exactly_once "partitioned run"

# 2b. a long read holds checks' metadata lock: the maintenance gives up after seconds (the run
#     still succeeds, nothing waits behind it for long: 2 s per metadata lock, MariaDB
#     takes two), and the next run makes the days
sql "ALTER TABLE checks REORGANIZE PARTITION $(day '+1 day'),$(day '+2 day'),$(day '+3 day'),p_future
     INTO (PARTITION p_future VALUES LESS THAN (MAXVALUE))"
sql "START TRANSACTION; SELECT COUNT(*) FROM checks; DO SLEEP(12); COMMIT" >/dev/null &
reader=$!
bg_pids+=("$reader")
sleep 0.5
next_slot
t0=$(date +%s)
compute
t1=$(date +%s)
expect_eq "run beside a long read: exit 0" "$rc" 0
check "the maintenance gave up on the lock ($((t1 - t0)) s)" grep -q "checks partitions: .*Lock wait timeout" "$work/out"
check "... after seconds, not the read's 12" test $((t1 - t0)) -lt 8
expect_eq "no day added meanwhile" "$(parts)" "${back}p_future"
wait "$reader" || true
next_slot
compute
expect_eq "the next run adds them" "$(parts)" "$fresh"
check_exactly_once "after the long read"

# 2c. no day partition at all (only p_future, e.g. an operator's doing): a run makes today
#     and the 3 days ahead, and moves the rows of p_future into their day
sql "ALTER TABLE checks REMOVE PARTITIONING"
sql "ALTER TABLE checks PARTITION BY RANGE COLUMNS(checked_at)
     (PARTITION p_future VALUES LESS THAN (MAXVALUE))"
rows=$(sql "SELECT COUNT(*) FROM checks")
next_slot
compute
expect_eq "only p_future: a run makes today and 3 days ahead" "$(parts)" \
    "$(day today),$(day '+1 day'),$(day '+2 day'),$(day '+3 day'),p_future"
expect_eq "... p_future emptied into the days" \
    "$(sql "SELECT COUNT(*) FROM checks PARTITION (p_future)")" 0
expect_eq "... every row kept" "$(sql "SELECT COUNT(*) FROM checks")" $((rows + 20))

# 3. conversion of a populated table while the job writes
reset_all
unpartition
n=200
add_urls h ok "$n" '?delay=200'
# 200,000 rows of history: 1,000 checks per URL, one every 45 minutes (31.25 days back:
# inside RETENTION_DAYS, so the run's retention leaves them alone)
sql "INSERT INTO checks (url_id, run_id, checked_at, success, response_ms, http_status)
     SELECT u.id, 1000000 + s.seq, UTC_TIMESTAMP(3) - INTERVAL (45 * s.seq) MINUTE, (s.seq + u.id) % 7 <> 0, 10 + (s.seq + u.id) % 90,
            IF((s.seq + u.id) % 7 <> 0, 200, 503)
     FROM urls u JOIN seq_1_to_1000 s"
# rollups made by the job's own code (urlmon-rollup = compute/rollup.c)
sql "SELECT url_id, TIMESTAMPDIFF(MICROSECOND, '1970-01-01', checked_at) DIV 1000, success,
     response_ms FROM checks" | "$URLMON_ROLLUP_BIN" >"$work/rollups.sql"
mariadb --no-defaults -h"$DB_ADDRESS" -P"$DB_PORT" -u"$DB_USER" -p"$DB_PASSWORD" "$DB_NAME" \
    <"$work/rollups.sql"
before=$(history_sum)
expect_eq "history: 200,000 rows" "${before%%/*}" 200000
# an interrupted conversion (SIGTERM during the copy) leaves checks as it was
"$URLMON_COMPUTE_BIN" partition-checks >"$work/conv0.out" 2>&1 &
conv_pid=$!
bg_pids+=("$conv_pid")
for _ in $(seq 1 100); do
    grep -q "mirror triggers in place" "$work/conv0.out" && break
    sleep 0.05
done
sleep 0.5
kill -TERM "$conv_pid"
set +e
wait "$conv_pid"
conv_rc=$?
set -e
check "interrupted partition-checks: exit non-zero" test "$conv_rc" -ne 0
check "... says so" grep -q "partition-checks: interrupted" "$work/conv0.out"
expect_eq "... no trigger left" "$(sql "SELECT COUNT(*) FROM information_schema.TRIGGERS
                                         WHERE TRIGGER_SCHEMA = DATABASE()")" 0
expect_eq "... no checks_new left" "$(sql "SELECT COUNT(*) FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'checks_new'")" 0
expect_eq "... checks unpartitioned, rows unchanged" "$(parts)/$(history_sum)" "/$before"
export CONCURRENCY=10 BATCH_SIZE=5
"$URLMON_COMPUTE_BIN" >"$work/run.out" 2>&1 &
run_pid=$!
bg_pids+=("$run_pid")
# start the copy once the run writes (its first batch is in)
for _ in $(seq 1 100); do
    [ "$(sql "SELECT COUNT(*) FROM checks WHERE run_id < 1000000")" -gt 0 ] && break
    sleep 0.05
done
set +e
"$URLMON_COMPUTE_BIN" partition-checks >"$work/conv.out" 2>&1
conv_rc=$?
wait "$run_pid"
run_rc=$?
set -e
unset CONCURRENCY BATCH_SIZE
expect_eq "partition-checks: exit 0" "$conv_rc" 0
[ "$conv_rc" -eq 0 ] || tail -5 "$work/conv.out"
expect_eq "the run during the copy: exit 0" "$run_rc" 0
grep "partition-checks: done" "$work/conv.out" || true
run_id=$(sql "SELECT MAX(id) FROM runs")
run_end=$(sql "SELECT finished_at FROM runs WHERE id = $run_id")
copy_at=$(grep 'mirror triggers in place' "$work/conv.out" | cut -c1-23 | tr T ' ')
check "the run was still writing when the copy began (copy $copy_at, run end $run_end)" \
    test "$(sql "SELECT '$run_end' > '$copy_at'")" = 1
expect_eq "checks is partitioned from the oldest day" "$(parts | cut -d, -f1)" "$(day '-45000 min')"
check "p_future is last" test "$(parts | awk -F, '{print $NF}')" = p_future
expect_eq "history: count and checksum unchanged" "$(history_sum)" "$before"
expect_eq "the run's rows: all of them" \
    "$(sql "SELECT COUNT(*) FROM checks WHERE run_id = $run_id")" \
    "$(sql "SELECT urls_checked FROM runs WHERE id = $run_id")"
expect_eq "the run checked every URL" "$(sql "SELECT urls_checked FROM runs WHERE id = $run_id")" "$n"
expect_eq "no duplicate key" \
    "$(sql "SELECT COUNT(*) - COUNT(DISTINCT url_id, checked_at, run_id) FROM checks")" 0
expect_eq "total" "$(sql "SELECT COUNT(*) FROM checks")" $((200000 + n))
expect_eq "no trigger left" "$(sql "SELECT COUNT(*) FROM information_schema.TRIGGERS
                                     WHERE TRIGGER_SCHEMA = DATABASE()")" 0
expect_eq "no old table left" "$(sql "SELECT COUNT(*) FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('checks_new', 'checks_unpartitioned')")" 0
"$URLMON_COMPUTE_BIN" partition-checks >"$work/conv2.out" 2>&1
check "a second partition-checks has nothing to do" grep -q "partitioned already" "$work/conv2.out"

# 4. retention: RETENTION_DAYS=30 drops the whole days that ended 30 days ago or earlier
cut_day=$(date -u -d '-30 day' +%Y-%m-%d)
old_kept=$(sql "SELECT COUNT(*) FROM checks WHERE checked_at >= '$cut_day'
                AND checked_at < UTC_TIMESTAMP() - INTERVAL 30 DAY")
recent=$(sql "SELECT COUNT(*) FROM checks WHERE checked_at >= '$cut_day' AND run_id >= 1000000")
today=$(sql "SELECT COUNT(*) FROM checks WHERE checked_at >= UTC_DATE()")
daily=$(sql "SELECT SUM(success_count), SUM(fail_count) FROM rollup_daily")
totals=$(sql "SELECT SUM(success_count), SUM(fail_count) FROM rollup_hourly_total")
hourly_kept=$(sql "SELECT COUNT(*) FROM rollup_hourly WHERE bucket >= UTC_TIMESTAMP() - INTERVAL 34 DAY")
sql "DELETE FROM run_locks"
RETENTION_DAYS=30 "$URLMON_COMPUTE_BIN" >"$work/ret.out" 2>&1 || true
check "old days dropped by DROP PARTITION" grep -q "old days dropped" "$work/ret.out"
expect_eq "first partition: the day 30 days ago" "$(parts | cut -d, -f1)" "$(day '-30 day')"
expect_eq "nothing older than that day" \
    "$(sql "SELECT COUNT(*) FROM checks WHERE checked_at < '$cut_day'")" 0
expect_eq "its day and later kept ($old_kept rows between the day start and the cutoff)" \
    "$(sql "SELECT COUNT(*) FROM checks WHERE checked_at >= '$cut_day' AND run_id >= 1000000")" \
    "$recent"
check "today's rows kept" test "$(sql "SELECT COUNT(*) FROM checks WHERE checked_at >= UTC_DATE()")" -ge "$today"
expect_eq "daily rollups intact" "$(sql "SELECT SUM(success_count), SUM(fail_count) FROM rollup_daily")" "$daily"
expect_eq "hourly totals intact" "$(sql "SELECT SUM(success_count), SUM(fail_count) FROM rollup_hourly_total")" "$totals"
expect_eq "hourly rollups of the last 34 days intact" \
    "$(sql "SELECT COUNT(*) FROM rollup_hourly WHERE bucket >= UTC_TIMESTAMP() - INTERVAL 34 DAY")" \
    "$hourly_kept"
expect_eq "hourly rollups past HOURLY_RETENTION_DAYS gone" \
    "$(sql "SELECT COUNT(*) FROM rollup_hourly WHERE bucket < UTC_TIMESTAMP() - INTERVAL 35 DAY - INTERVAL 1 HOUR")" 0

# 5. a replayed result older than every partition, one from a clock 10 days ahead, and
#    the same replayed twice (the key refuses the second one)
old="UTC_TIMESTAMP(3) - INTERVAL 60 DAY"
sql "INSERT INTO checks (url_id, run_id, checked_at, success, response_ms)
     VALUES (1, 7, $old, 1, 5), (1, 8, UTC_TIMESTAMP(3) + INTERVAL 10 DAY, 1, 5)"
expect_eq "the old result landed in the oldest day" \
    "$(sql "SELECT COUNT(*) FROM checks PARTITION ($(day '-30 day')) WHERE run_id = 7")" 1
expect_eq "the future one in p_future" \
    "$(sql "SELECT COUNT(*) FROM checks PARTITION (p_future) WHERE run_id = 8")" 1
set +e
sql "INSERT INTO checks (url_id, run_id, checked_at, success, response_ms)
     SELECT url_id, run_id, checked_at, success, response_ms FROM checks WHERE run_id = 7" \
    2>"$work/dup.err"
dup_rc=$?
set -e
check "a replayed duplicate is refused by the key" test "$dup_rc" -ne 0
check "... as a duplicate" grep -q "Duplicate entry" "$work/dup.err"
finish
