#!/usr/bin/env bash
# Integration: alerting end to end with real parts: a URL of the target server fails and
# recovers; one failure between successes opens nothing, two open one incident; the
# incident is a firing alert in a real Alertmanager (GET /api/v2/alerts) with the right
# labels and resolves when the URL is back; the webhook receiver gets each event once,
# signed; with the receiver down for two runs every event still arrives, once; per-URL
# thresholds from the CSV apply.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
: "${URLMON_AM_PORT:?run through ctest (alertmanager fixture)}"
here=$(dirname "$0")
AM=http://127.0.0.1:$URLMON_AM_PORT
rport=$((20000 + CACHE_PORT % 10000 + 46))
recv_pid=""
stop_receiver() {
    if [ -n "$recv_pid" ]; then
        kill -TERM "$recv_pid" 2>/dev/null || true
        wait "$recv_pid" 2>/dev/null || true
        recv_pid=""
    fi
}
start_receiver() {
    python3 "$here/alert_receiver.py" "$rport" "$work/hooks.jsonl" "$@" >"$work/recv.out" 2>&1 &
    recv_pid=$!
    for _ in $(seq 1 50); do
        if grep -q ready "$work/recv.out" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "receiver did not start: $(cat "$work/recv.out")" >&2
    return 1
}
trap 'stop_receiver; cleanup' EXIT
reset_all
start_target --threads 1
start_receiver
export TIMEOUT=2 CONNECT_TIMEOUT=2
export ALERTMANAGER_URL=$AM WEBHOOK_URLS=http://127.0.0.1:$rport/hook WEBHOOK_SECRET=s3cret-key

# run: one run of the job in a fresh slot.
run() {
    next_slot
    compute
    if [ "$rc" -ne 0 ]; then
        bad "urlmon-compute exited $rc"
        cat "$work/out"
    fi
}
set_status() { sql "UPDATE urls SET url = '$T/flaky?status=$1' WHERE name = 'flaky'"; }
state() { sql "SELECT CONCAT(state, '/', consec_fail) FROM urls WHERE name = 'flaky'"; }
count() { sql "SELECT COUNT(*) FROM $1"; }

add_url flaky "$T/flaky?status=200"
run
expect_eq "first success: up" "$(state)" "up/0"

# 1. one failure between successes opens nothing
set_status 500
run
expect_eq "one failure: still up, streak 1" "$(state)" "up/1"
set_status 200
run
expect_eq "success breaks the streak" "$(state)" "up/0"
expect_eq "no incident" "$(count incidents)" 0
expect_eq "no event" "$(count outbox)" 0

# 2. two failures open one incident, delivered to Alertmanager and the webhook
set_status 503
run
run
expect_eq "two failures: down" "$(state)" "down/0"
expect_eq "one incident" "$(sql "SELECT CONCAT(kind, '/', error_class, '/', http_status,
    '/', closed_at IS NULL) FROM incidents")" "down/http_status/503/1"
expect_eq "one event, sent" "$(sql "SELECT CONCAT(type, '/', state) FROM outbox")" \
    "incident_opened/sent"
expect_eq "Alertmanager: firing with the labels" "$(python3 "$here/alert_check.py" am "$AM" \
    "$T/flaky?status=503")" "UrlmonDown|$T/flaky?status=503|flaky|http_status|critical"
expect_eq "webhook: the opening, once, signed" \
    "$(python3 "$here/alert_check.py" webhooks "$work/hooks.jsonl" s3cret-key)" \
    "1 incident_opened:1"
run
expect_eq "still down: no second incident" "$(count incidents)" 1

# 3. back up: closed, resolved in Alertmanager
sql "UPDATE urls SET url = '$T/flaky?status=200' WHERE name = 'flaky'"
run
expect_eq "recovered: up" "$(state)" "up/0"
expect_eq "incident closed" "$(sql "SELECT COUNT(*) FROM incidents WHERE closed_at IS NOT NULL")" 1
expect_eq "Alertmanager: resolved (no active alert)" "$(python3 "$here/alert_check.py" am "$AM" \
    "$T/flaky?status=503")" "none"
expect_eq "webhook: opening and closing once each" \
    "$(python3 "$here/alert_check.py" webhooks "$work/hooks.jsonl" s3cret-key)" \
    "2 incident_closed:1 incident_opened:1"

# 4. receiver down for two runs (an incident opens and closes meanwhile), then up
stop_receiver
set_status 500
run
run
set_status 200
run
expect_eq "second incident opened and closed" "$(count incidents)" 2
expect_eq "both events wait, tried" "$(sql "SELECT CONCAT(COUNT(*), '/', MIN(attempts) >= 1)
    FROM outbox WHERE state = 'pending'")" "2/1"
check "the failure is logged" grep -q "retrying in" "$work/out"
start_receiver
sleep "$(sql "SELECT GREATEST(0, CEIL(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(3), MAX(next_at))
    / 1000000)) FROM outbox WHERE state = 'pending'")"
run
expect_eq "every event delivered" "$(sql "SELECT GROUP_CONCAT(DISTINCT state) FROM outbox")" sent
expect_eq "webhook: all four, once each" \
    "$(python3 "$here/alert_check.py" webhooks "$work/hooks.jsonl" s3cret-key)" \
    "4 incident_closed:2 incident_opened:2"

# 5. a receiver that refuses (400) is final: the event fails at once, is counted, logged
stop_receiver
start_receiver --status 400
set_status 500
run
run
expect_eq "refused for good: failed" "$(sql "SELECT CONCAT(state, '/', attempts) FROM outbox
    WHERE type = 'incident_opened' ORDER BY id DESC LIMIT 1")" "failed/1"
check "the failure is logged as an error" grep -q "not delivered" "$work/out"
stop_receiver
start_receiver

# 6. per-URL thresholds from the CSV: fail_threshold 1 opens on the first failure
printf 'name,url,fail_threshold,success_threshold\nstrict,%s/strict?status=500,1,2\n' "$T" \
    >"$work/urls.csv"
next_slot
compute --data-path "$work/urls.csv"
expect_eq "CSV load and run" "$rc" 0
expect_eq "CSV thresholds stored" "$(sql "SELECT CONCAT(fail_threshold, '/', success_threshold)
    FROM urls WHERE name = 'strict'")" "1/2"
expect_eq "fail_threshold 1: down after one failure" "$(sql "SELECT state FROM urls
    WHERE name = 'strict'")" down
sql "UPDATE urls SET url = '$T/strict?status=200' WHERE name = 'strict'"
run
expect_eq "success_threshold 2: still down after one success" "$(sql "SELECT state FROM urls
    WHERE name = 'strict'")" down
run
expect_eq "up after two" "$(sql "SELECT state FROM urls WHERE name = 'strict'")" up

# 7. the API shows it: state and since, the incident lists, the metrics
aport=$((20000 + CACHE_PORT % 10000 + 49))
API_PORT=$aport API_ADDRESS=127.0.0.1 "$URLMON_API_BIN" >"$work/api.out" 2>&1 &
bg_pids+=($!)
for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$aport/healthz" 2>/dev/null; then break; fi
    sleep 0.1
done
A=http://127.0.0.1:$aport
fid=$(sql "SELECT id FROM urls WHERE name = 'flaky'")
jq_py() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
expect_eq "GET /urls/{id}: down, since set" "$(curl -fsS "$A/urls/$fid" |
    jq_py 'd["state"], d["since"] is not None, d["fail_threshold"]')" "down True None"
expect_eq "GET /incidents?state=open: the open one" "$(curl -fsS "$A/incidents?state=open" |
    jq_py '[(i["url_id"], i["kind"], i["state"], i["http_status"]) for i in d["items"]]')" \
    "[($fid, 'down', 'open', 500)]"
expect_eq "GET /urls/{id}/incidents: 3, newest first, paged" "$(curl -fsS \
    "$A/urls/$fid/incidents?limit=2" | jq_py '[i["state"] for i in d["items"]],
    d["next_cursor"] is not None')" "['open', 'closed'] True"
expect_eq "GET /incidents?state=closed" "$(curl -fsS "$A/incidents?state=closed" |
    jq_py 'len(d["items"])')" 3
metrics=$(curl -fsS "$A/metrics")
check "metrics: URLs by state" grep -q '^urlmon_urls{state="down"} 1$' <<<"$metrics"
check "metrics: incidents opened" grep -q '^urlmon_incidents_opened_total{kind="down"} 4$' \
    <<<"$metrics"
check "metrics: incidents closed" grep -q '^urlmon_incidents_closed_total{kind="down"} 3$' \
    <<<"$metrics"
check "metrics: delivery failures" grep -q '^urlmon_alert_delivery_failures_total 1$' \
    <<<"$metrics"

# 8. a URL deactivated while down: its incident is closed and the alert resolved
expect_eq "Alertmanager: the open incident fires" "$(python3 "$here/alert_check.py" am "$AM" \
    "$T/flaky?status=500" | cut -d'|' -f1)" UrlmonDown
curl -fsS -X DELETE -o /dev/null "$A/urls/$fid"
run
expect_eq "deactivated: no open incident" "$(sql "SELECT COUNT(*) FROM incidents
    WHERE closed_at IS NULL")" 0
expect_eq "deactivated: the URL is unknown" "$(state)" "unknown/0"
expect_eq "deactivated: closing event sent" "$(sql "SELECT CONCAT(type, '/', state) FROM outbox
    ORDER BY id DESC LIMIT 1")" "incident_closed/sent"
expect_eq "Alertmanager: resolved" "$(python3 "$here/alert_check.py" am "$AM" \
    "$T/flaky?status=500")" none
finish
