#!/usr/bin/env bash
# Integration: a webhook receiver that accepts and never answers does not slow checking.
# 10,000 URLs go down and come back twice: the run that makes 10,000 events for a hanging
# receiver checks as fast as the same run without a receiver, its process ends within
# DELIVERY_FINISH_SECONDS of the run's end, and the undelivered events wait in the outbox.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
here=$(dirname "$0")
rport=$((20000 + CACHE_PORT % 10000 + 50))
n=10000
reset_all
start_target --threads 2
export FAIL_THRESHOLD=1 TIMEOUT=5 CONCURRENCY=200 LOG_LEVEL=warn
add_urls h h "$n" '?status=500'

run() {
    next_slot
    local t0
    t0=$(date +%s.%N)
    compute
    wall=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
    if [ "$rc" -ne 0 ]; then
        bad "urlmon-compute exited $rc"
        cat "$work/out"
    fi
}
# checking time of the latest run, from its runs row (recorded before the delivery ends)
run_secs() {
    sql "SELECT TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) / 1e6 FROM runs
         ORDER BY id DESC LIMIT 1"
}

set_status() { sql "UPDATE urls SET url = REPLACE(url, 'status=$1', 'status=$2')"; }

# the reference: $n URLs go down and come back without any receiver configured
run
expect_eq "all down, $n incidents" "$(sql "SELECT COUNT(*) FROM incidents")" "$n"
set_status 500 200
run
base=$(run_secs)

# the same with a receiver that accepts and never answers
python3 "$here/alert_receiver.py" "$rport" "$work/hooks.jsonl" --hang >"$work/recv.out" 2>&1 &
bg_pids+=($!)
for _ in $(seq 1 50); do grep -q ready "$work/recv.out" 2>/dev/null && break; sleep 0.1; done
set_status 200 500
run
export WEBHOOK_URLS=http://127.0.0.1:$rport/
set_status 500 200
run
hung=$(run_secs)
echo "checking $n URLs that come back: ${base} s without a receiver, ${hung} s with a hanging one; process ${wall} s"
check "checking not slowed by the hanging receiver (${hung} s vs ${base} s)" \
    awk -v h="$hung" -v b="$base" 'BEGIN { exit !(h <= b * 1.5 + 1) }'
check "the process ends within DELIVERY_FINISH_SECONDS (15) of the run (${wall} s)" \
    awk -v w="$wall" -v h="$hung" 'BEGIN { exit !(w <= h + 15 + 5) }'
expect_eq "every incident closed" "$(sql "SELECT COUNT(*) FROM incidents WHERE closed_at IS NULL")" 0
expect_eq "the closing events wait in the outbox" "$(sql "SELECT COUNT(*) FROM outbox
    WHERE type = 'incident_closed' AND state = 'pending'")" "$n"
finish
