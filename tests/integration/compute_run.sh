#!/usr/bin/env bash
# Integration: one urlmon-compute run against the target server. Every kind of outcome
# lands in MySQL with the right success flag and error class, rollups equal the raw
# counts, the runs row is right, the API cache keys are deleted, each URL is requested
# once; with Redis stopped the run still checks and writes.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
reset_all
start_target --threads 1
export TIMEOUT=2 CONNECT_TIMEOUT=2 MAX_BODY_BYTES=10000 MAX_REDIRECTS=5

add_url ok "$T/ok?status=200"
add_url moved "$T/moved?location=/ok2%3Fstatus%3D200&status=301"
add_url notfound "$T/nf?status=404"
add_url servererror "$T/se?status=500"
add_url timeout "$T/slow?delay=5000"
add_url refused "http://127.0.0.1:1/"
add_url nodns "http://nonexistent.invalid/"
add_url regexhit "$T/hit?body=hello%20world" 'hel+o'
add_url regexmiss "$T/miss?body=goodbye" 'hel+o'
add_url oversized "$T/big?size=100000"
add_url drip "$T/drip?size=5000&drip=1000"
add_url loop "$T/loop?loop=1"
sql "INSERT INTO urls (name, url, active, created_at, updated_at, deactivated_at) VALUES
     ('inactive', '$T/inactive', 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))"
rcli SET urlmon:cache:summary x >/dev/null
rcli SET urlmon:cache:urls:1:hour y >/dev/null
rcli SET other:key z >/dev/null

slot_room 90 # the second start below must find this slot done
start=$(date +%s)
compute
expect_eq "exit status" "$rc" 0
[ "$rc" -eq 0 ] || cat "$work/out"

# success | http_status | error_class | regex_matched | regex_match | message set?
row() {
    sql "SELECT CONCAT_WS('|', c.success, COALESCE(c.http_status, '-'),
                COALESCE(c.error_class, '-'), COALESCE(c.regex_matched, '-'),
                COALESCE(c.regex_match, '-'), IF(c.error_message IS NULL, 'nomsg', 'msg'))
         FROM checks c JOIN urls u ON u.id = c.url_id WHERE u.name = '$1'"
}
expect_eq "200" "$(row ok)" "1|200|-|-|-|nomsg"
expect_eq "301 -> 200" "$(row moved)" "1|200|-|-|-|nomsg"
expect_eq "404" "$(row notfound)" "0|404|http_status|-|-|msg"
expect_eq "500" "$(row servererror)" "0|500|http_status|-|-|msg"
expect_eq "timeout" "$(row timeout)" "0|-|timeout|-|-|msg"
expect_eq "connection refused" "$(row refused)" "0|-|connect|-|-|msg"
expect_eq "nonexistent.invalid" "$(row nodns)" "0|-|dns|-|-|msg"
expect_eq "regex hit" "$(row regexhit)" "1|200|-|1|hello|nomsg"
expect_eq "regex miss" "$(row regexmiss)" "0|200|regex_mismatch|0|-|msg"
expect_eq "oversized body" "$(row oversized)" "0|200|too_large|-|-|msg"
expect_eq "slow drip" "$(sql "SELECT CONCAT(c.success, c.error_class) FROM checks c JOIN urls u
                              ON u.id = c.url_id WHERE u.name = 'drip'")" "0timeout"
expect_eq "redirect loop" "$(sql "SELECT CONCAT(c.success, c.error_class) FROM checks c JOIN urls u
                                 ON u.id = c.url_id WHERE u.name = 'loop'")" "0other"
expect_eq "inactive URL not checked" "$(sql "SELECT COUNT(*) FROM checks c JOIN urls u
                                            ON u.id = c.url_id WHERE u.name = 'inactive'")" 0
expect_eq "timeout took TIMEOUT" "$(sql "SELECT c.response_ms BETWEEN 1900 AND 3000 FROM checks c
                                        JOIN urls u ON u.id = c.url_id WHERE u.name = 'timeout'")" 1
expect_eq "phase times of a success" "$(sql "SELECT dns_ms IS NOT NULL AND connect_ms IS NOT NULL
    AND ttfb_ms IS NOT NULL AND tls_ms IS NULL FROM checks c JOIN urls u ON u.id = c.url_id
    WHERE u.name = 'ok'")" 1
expect_eq "checked_at is now (UTC)" "$(sql "SELECT MIN(UNIX_TIMESTAMP(checked_at)) >= $start - 1
    AND MAX(UNIX_TIMESTAMP(checked_at)) <= UNIX_TIMESTAMP() FROM checks")" 1
check_exactly_once "one run"
expect_eq "rollups per URL and hour match" "$(sql "SELECT COUNT(*) FROM (SELECT url_id,
    DATE_FORMAT(checked_at, '%Y-%m-%d %H:00:00') b, SUM(success) s, SUM(1 - success) f,
    SUM(response_ms) ms FROM checks GROUP BY 1, 2) c LEFT JOIN rollup_hourly r
    ON r.url_id = c.url_id AND r.bucket = c.b WHERE r.url_id IS NULL OR r.success_count <> c.s
    OR r.fail_count <> c.f OR r.response_ms_sum <> c.ms")" 0

expect_eq "runs row" "$(sql "SELECT CONCAT_WS('|', status, shard_index, shard_count, urls_total,
    urls_checked, successes, failures, p50_ms IS NOT NULL, p99_ms >= p50_ms,
    finished_at IS NOT NULL, slot = FLOOR(UNIX_TIMESTAMP(started_at) / 600)) FROM runs")" \
    "done|0|1|12|12|3|9|1|1|1|1"
expect_eq "checks carry the run id" "$(sql "SELECT COUNT(*) FROM checks c JOIN runs r
                                           ON r.id = c.run_id")" 12
expect_eq "lease released, slot recorded" "$(sql "SELECT CONCAT_WS('|', shard_key,
    owner IS NULL, last_slot = (SELECT slot FROM runs)) FROM run_locks")" "0/1|1|1"
expect_eq "cache keys deleted" "$(rcli --scan --pattern 'urlmon:cache:*' | wc -l)" 0
expect_eq "other keys kept" "$(rcli GET other:key)" z
check "one summary line" test "$(grep -c ' run [0-9]* done: ' "$work/out")" -eq 1
settle_target_log
expect_eq "each non-redirecting URL requested once" \
    "$(grep -E '^GET /(ok|nf|se|hit|miss|big)\?' "$work/target.log" | sort | uniq -c |
        awk '$1 != 1' | wc -l)" 0
check "redirect followed" grep -q '^GET /ok2?status=200' "$work/target.log"

# The same slot again: nothing to do.
compute
expect_eq "second start in the slot exits 0" "$rc" 0
check "says slot already done" grep -q "slot already done" "$work/out"
expect_eq "no new checks" "$(sql "SELECT COUNT(*) FROM checks")" 12

# Redis stopped: the run still checks and writes its results. (A run checks only the
# URLs due in its slot: the earlier checks are moved an hour back to make them due.)
sql "DELETE FROM run_locks"
sql "UPDATE checks SET checked_at = checked_at - INTERVAL 1 HOUR"
bash "$URLMON_ROOT/scripts/stack.sh" stop-redis >/dev/null
compute
bash "$URLMON_ROOT/scripts/stack.sh" start-redis >/dev/null
expect_eq "Redis down: exit status" "$rc" 0
check "Redis down: warns about the queue" grep -q "queue not drained" "$work/out"
check "Redis down: warns about the cache" grep -q "API cache not invalidated" "$work/out"
expect_eq "Redis down: results written" "$(sql "SELECT COUNT(*) FROM checks WHERE run_id =
    (SELECT MAX(id) FROM runs)")" 12
expect_eq "Redis down: run done" "$(sql "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" "done"
check_exactly_once "two runs"
finish
