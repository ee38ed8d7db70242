#!/usr/bin/env bash
# Integration: a 10,000-URL run against the target server completes with every result
# present exactly once (COUNT = COUNT DISTINCT = 10,000); prints wall time and rows/s.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
reset_all
start_target --threads 2
export TIMEOUT=10
n=10000
sql "INSERT INTO urls (name, url, regex, created_at, updated_at)
     SELECT CONCAT('u', seq), CONCAT('$T/p/', seq,
            IF(seq % 10 = 0, '?body=a%20hit', CONCAT('?size=', seq % 2000))),
            IF(seq % 10 = 0, 'h.t', NULL), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) FROM seq_1_to_$n"

t0=$(date +%s%3N)
compute
t1=$(date +%s%3N)
expect_eq "exit status" "$rc" 0
[ "$rc" -eq 0 ] || tail -20 "$work/out"
expect_eq "every result exactly once" "$(sql "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url_id))
                                             FROM checks")" "$n/$n"
expect_eq "all succeeded" "$(sql "SELECT SUM(success) FROM checks")" "$n"
expect_eq "regex matches recorded" "$(sql "SELECT COUNT(*) FROM checks WHERE regex_match = 'hit'")" \
    $((n / 10))
expect_eq "runs row" "$(sql "SELECT CONCAT(status, ':', urls_total, ':', urls_checked, ':',
                                    successes) FROM runs")" "done:$n:$n:$n"
expect_eq "batches of BATCH_SIZE" "$(sql "SELECT MAX(rows_written) FROM result_batches")" 1000
check_exactly_once "10k"
settle_target_log
expect_eq "target saw each path once" "$(grep '^GET /p/' "$work/target.log" | sort -u | wc -l)" "$n"
ms=$((t1 - t0 > 0 ? t1 - t0 : 1))
echo "10k run: $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s wall, $((n * 1000 / ms)) rows/s"
grep -E ' run [0-9]+ done: ' "$work/out" | sed 's/^/  /'
finish
