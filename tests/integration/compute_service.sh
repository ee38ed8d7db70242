#!/usr/bin/env bash
# Integration: urlmon-compute --service (issue 14). One service for ~35 s:
#   - a 5 s URL is checked every 5 s (fixed rate: ~7 checks, gaps 5 s), a 3600 s URL once;
#   - an interval changed in SQL takes effect at the next check (3600 s -> 5 s);
#   - a URL pushed to the Redis queue is checked within seconds;
#   - a deactivated URL is no longer checked;
#   - SIGTERM while slow checks are in flight: they finish and every check started
#     (every request the target received) is written exactly once; exit 0;
#   - runs: a row per minute, every row accounted for, rollups equal the raw counts.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
reset_all
start_target --threads 2
export TIMEOUT=10

add_urls_every 5 five ok5 1
add_urls_every 3600 hour ok3600 1
add_urls_every 3600 change okc 1
add_urls_every 5 gone okg 1
add_urls_every 5 slow slow 6 '?delay=2500'

t0=$(date +%s%3N)
start_service "$work/svc.out"
check "service: lease taken" grep -q "lease taken" "$work/svc.out"
sleep 6
# the 3600 s URL was checked once at the start (never checked before): now every 5 s
sql "UPDATE urls SET check_interval = 5 WHERE name = 'change1'"
sql "UPDATE urls SET active = 0 WHERE name = 'gone1'"
gone_at=$(sql "SELECT UTC_TIMESTAMP(3)")
sleep 4
pushed=$(date +%s%3N)
rcli LPUSH urlmon:queue "{\"name\":\"queued\",\"url\":\"$T/okq/1\"}" >/dev/null
for _ in $(seq 1 100); do
    [ "$(sql "SELECT COUNT(*) FROM checks c JOIN urls u ON u.id = c.url_id
              WHERE u.name = 'queued'")" -ge 1 ] && break
    sleep 0.1
done
seen=$(date +%s%3N)
check "queued URL checked within 5 s ($((seen - pushed)) ms)" test $((seen - pushed)) -lt 5000
# SIGTERM at ~35 s, while slow checks are in flight (6 URLs at 5 s, phases spread, each
# answering in 2.5 s: about 3 at any moment)
while [ $(($(date +%s%3N) - t0)) -lt 34000 ]; do sleep 0.2; done
stop_service "$svc_pid"
t1=$(date +%s%3N)
expect_eq "SIGTERM: exit 0" "$rc" 0
check "SIGTERM: says it finishes the checks in flight" grep -q "finishing the checks in flight" \
    "$work/svc.out"

n5=$(sql "SELECT COUNT(*) FROM checks c JOIN urls u ON u.id = c.url_id WHERE u.name = 'five1'")
secs=$(((t1 - t0) / 1000))
check "5 s URL: about one check per 5 s ($n5 in $secs s)" \
    test "$n5" -ge $((secs / 5 - 1)) -a "$n5" -le $((secs / 5 + 1))
gap=$(min_gap_ms "u.name = 'five1'")
check "5 s URL: fixed rate, gaps of 5 s ($gap ms min)" test "$gap" -ge 4500
expect_eq "3600 s URL: once" "$(sql "SELECT COUNT(*) FROM checks c JOIN urls u
                                      ON u.id = c.url_id WHERE u.name = 'hour1'")" 1
nc=$(sql "SELECT COUNT(*) FROM checks c JOIN urls u ON u.id = c.url_id WHERE u.name = 'change1'")
check "interval changed to 5 s: checked again and again ($nc)" test "$nc" -ge 4
gapc=$(min_gap_ms "u.name = 'change1'")
check "changed interval: no check sooner than the new one ($gapc ms)" test "$gapc" -ge 2500
expect_eq "deactivated URL: no check started 6 s after" "$(sql "SELECT COUNT(*) FROM checks c
    JOIN urls u ON u.id = c.url_id WHERE u.name = 'gone1'
    AND c.checked_at > '$gone_at' + INTERVAL 6 SECOND")" 0
settle_target_log
requested=$(grep -c '^GET /slow/' "$work/target.log")
written=$(sql "SELECT COUNT(*) FROM checks c JOIN urls u ON u.id = c.url_id
               WHERE u.name LIKE 'slow%'")
expect_eq "SIGTERM: every check started was written (target requests = rows)" "$written" \
    "$requested"
expect_eq "SIGTERM: the checks in flight completed, not cut" "$(sql "SELECT COUNT(*) FROM checks
    WHERE success = 0")" 0
expect_eq "never two checks of one URL at once" "$(sql "SELECT COUNT(*) FROM (SELECT
    TIMESTAMPDIFF(MICROSECOND, LAG(checked_at) OVER (PARTITION BY url_id ORDER BY checked_at),
    checked_at) DIV 1000 - response_ms AS g FROM checks) x WHERE g < 0")" 0
expect_eq "runs: none left running" "$(sql "SELECT COUNT(*) FROM runs WHERE status = 'running'")" 0
expect_eq "runs: the last one interrupted, the others done" "$(sql "SELECT GROUP_CONCAT(DISTINCT
    status ORDER BY status) FROM runs")" "$(sql "SELECT IF(COUNT(*) > 1, 'done,interrupted',
    'interrupted') FROM runs")"
expect_eq "runs: one per minute" "$(sql "SELECT COUNT(*) - COUNT(DISTINCT slot) FROM runs")" 0
expect_eq "runs: percentiles recorded" "$(sql "SELECT COUNT(*) FROM runs WHERE p50_ms IS NULL
    AND urls_checked > 0")" 0
expect_eq "lease released" "$(sql "SELECT owner IS NULL FROM run_locks")" 1
check_exactly_once "service"
finish
