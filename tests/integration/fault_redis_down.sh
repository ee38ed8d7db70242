#!/usr/bin/env bash
# Fault: Redis stopped, end to end. With Redis down the API keeps answering GETs from
# MySQL (X-Cache: MISS), POST /urls answers 503 with a JSON error and queues nothing, a
# compute run still checks and writes its results, and the API shows that run's results
# at once. When Redis comes back, the API must not serve answers it cached before the
# outage (they predate the run the API already showed), POST works again and the next run
# drains the URL. (api_deps.py and compute_run.sh cover each program alone.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/fault_lib.sh"
fault_restore+=("stack start-redis")
reset_all
start_target --threads 1
export TIMEOUT=2 CONNECT_TIMEOUT=2
add_url ok1 "$T/r/1"
add_url ok2 "$T/r/2"
add_url down "$T/r/3?status=503"
# X-Cache of first GETs is asserted below; the warm (api_warm.py covers it through a Redis
# restart and a run during the outage) would refill the keys behind them.
start_api LOG_LEVEL=warn CACHE_WARM=0
post() {
    http POST /urls -H 'Content-Type: application/json' --data-binary "$1"
}
summary() { python3 -c 'import json,sys; print(" ".join("%s=%d" % (e["status"], e["count"])
                        for e in json.load(sys.stdin)))' <"$work/body"; }

# The cache works before the outage: the second summary is a HIT (no checks yet).
expect_eq "summary before the outage" "$(http GET /urls/summary)" "200 MISS"
sleep 0.3 # the fill is written after the answer
expect_eq "summary cached" "$(http GET /urls/summary)" "200 HIT"
expect_eq "top fail list computed (and cached)" "$(http GET /urls/top/fail/hour)" "200 MISS"
expect_eq "cached answer: no checks yet" "$(http GET /urls/summary >/dev/null && summary)" \
    "success=0 fail=0"

stack stop-redis
for p in /urls/summary /urls/top/fail/month /urls/top/success/hour "/urls/summary?cache=false"; do
    expect_eq "Redis down: GET $p from MySQL" "$(http GET "$p")" "200 MISS"
done
expect_eq "Redis down: GET /urls" "$(http GET '/urls?limit=10')" "200 -"
expect_eq "Redis down: GET /urls/1" "$(http GET "/urls/$(sql "SELECT MIN(id) FROM urls")")" "200 -"
expect_eq "Redis down: POST /urls" "$(post '{"name":"late","url":"'"$T"'/r/late"}')" "503 -"
check "Redis down: 503 is JSON naming redis" python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))["error"].startswith("redis"), open(sys.argv[1]).read()
' "$work/body"
check "Redis down: 503 content type" grep -qi '^content-type: application/json' "$work/headers"
expect_eq "Redis down: status names redis" \
    "$(http GET /status | cut -d' ' -f1)/$(cut -d, -f1-2 "$work/body")" '503/{"mysql":"ok","redis":"down"'

compute
expect_eq "Redis down: compute exit status" "$rc" 0
[ "$rc" -eq 0 ] || tail -20 "$work/out"
check "Redis down: compute warns the queue was not drained" grep -q "queue not drained" "$work/out"
run=$(sql "SELECT MAX(id) FROM runs")
expect_eq "Redis down: every result written" "$(sql "SELECT CONCAT(COUNT(*), '/', SUM(success))
                                               FROM checks WHERE run_id = $run")" "3/2"
expect_eq "Redis down: run done" "$(sql "SELECT status FROM runs WHERE id = $run")" "done"
check_exactly_once "Redis down"
expect_eq "Redis down: the API shows the run at once" \
    "$(http GET /urls/summary >/dev/null && summary)" "success=2 fail=1"
id3=$(sql "SELECT id FROM urls WHERE name = 'down'")
http GET "/urls/$id3" >/dev/null
expect_eq "Redis down: latest check of a URL" "$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))["latest_check"]
print(d["run_id"], d["success"], d["http_status"], d["error_class"])' "$work/body")" \
    "$run False 503 http_status"

stack start-redis
healthy() { [ "$(http GET /status | cut -d' ' -f1)" = 200 ]; }
check "Redis back: status 200" wait_until 15 healthy
# Whatever the API answers now must not be older than what it answered during the outage.
expect_eq "Redis back: summary not older than the run" \
    "$(http GET /urls/summary >/dev/null && summary)" "success=2 fail=1"
expect_eq "Redis back: top fail list not older than the run" "$(http GET /urls/top/fail/hour \
    >/dev/null && python3 -c 'import json,sys; print([e["name"] for e in json.load(open(sys.argv[1]))])' \
    "$work/body")" "['down']"
expect_eq "Redis back: POST accepted" "$(post '{"name":"late","url":"'"$T"'/r/late"}')" "202 -"
sql "DELETE FROM run_locks"
compute
expect_eq "Redis back: compute exit status" "$rc" 0
expect_eq "Redis back: the queued URL stored and checked" "$(sql "SELECT COUNT(*) FROM checks c
    JOIN urls u ON u.id = c.url_id WHERE u.name = 'late'")" 1
expect_eq "Redis back: queue empty" "$(rcli LLEN urlmon:queue)" 0
# (the run checks the URLs due in its slot: only the new one, the others were checked in it)
expect_eq "Redis back: fresh summary after the run" "$(http GET /urls/summary >/dev/null && summary)" \
    "success=3 fail=1"
check "API exits 0" stop_api
finish
