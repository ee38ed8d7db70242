#!/usr/bin/env bash
# Integration: LOG_FORMAT=json. A compute run (CSV load, queue drain, checks, writes) and
# an API session (health, a cached GET, an authorised POST, a 404, a refused POST, SIGTERM)
# at LOG_LEVEL=debug: every line either prints must be one JSON object with the fields
# shared/log.h promises (log_json_check.py), the run's lines carry run_id/shard, the
# checks' lines url_id, the requests' lines their path; no password or token appears.
# LOG_FORMAT unset stays text.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/fault_lib.sh"
reset_all
start_target --threads 1
export TIMEOUT=2 CONNECT_TIMEOUT=2
checker=("${URLMON_PYTHON3:-python3}" "$(dirname "$0")/log_json_check.py")
token=LogJsonToken-4e1b7c92
secrets=(--secret "$DB_PASSWORD" --secret urlmon-api-local --secret "$token")

export LOG_FORMAT=json LOG_LEVEL=debug URLMON_INSTANCE=json-box-1 API_TOKEN=$token

# ---- a compute run ----
printf 'name,url,regex\njson a,%s/s/a,ok\njson b,%s/s/b?status=500,\n' "$T" "$T" >"$work/u.csv"
rcli LPUSH urlmon:queue '{"name":"json q","url":"'"$T"'/s/q"}' >/dev/null
set +e
"$URLMON_COMPUTE_BIN" --data-path "$work/u.csv" >"$work/compute.out" 2>"$work/compute.log"
rc=$?
set -e
expect_eq "compute run exit status" "$rc" 0
expect_eq "compute printed nothing on stdout" "$(wc -c <"$work/compute.out")" 0
expect_eq "three URLs checked" "$(sql "SELECT COUNT(*) FROM checks")" 3
check "compute: every line is a JSON log object with run_id, shard, url_id, instance" \
    "${checker[@]}" "$work/compute.log" --program urlmon-compute --instance json-box-1 \
    "${secrets[@]}" --field run_id --field shard --field url_id --min-lines 5
mapfile -t url_ids < <(sql "SELECT id FROM urls")
check "compute: a check's line names its URL id" \
    "${URLMON_PYTHON3:-python3}" -c '
import json, sys
ids = set(int(x) for x in sys.argv[2:])
seen = {o["url_id"] for o in map(json.loads, open(sys.argv[1])) if "url_id" in o}
sys.exit(0 if ids and ids <= seen else 1)' "$work/compute.log" "${url_ids[@]}"

# ---- an API session ----
start_api LOG_FORMAT=json LOG_LEVEL=debug
json=(-H 'Content-Type: application/json')
id=$(sql "SELECT MIN(id) FROM urls")
expect_eq "api: healthz" "$(http GET /healthz)" "200 -"
expect_eq "api: summary" "$(http GET '/urls/summary?cache=false')" "200 MISS"
expect_eq "api: one URL" "$(http GET "/urls/$id")" "200 -"
expect_eq "api: POST with the token" "$(http POST /urls "${json[@]}" -H "Authorization: Bearer $token" \
    --data-binary '{"name":"n","url":"https://n.example/"}')" "202 -"
expect_eq "api: POST without it" "$(http POST /urls "${json[@]}" \
    --data-binary '{"name":"n","url":"https://n.example/"}')" "401 -"
expect_eq "api: no such route" "$(http GET /no/such/route)" "404 -"
check "api: exits 0 on SIGTERM" stop_api
check "api: every line is a JSON log object; each request's lines carry its path" \
    "${checker[@]}" "$work/api.log" --program urlmon-api --instance json-box-1 "${secrets[@]}" \
    --path /healthz --path /urls/summary --path "/urls/$id" --path /urls --path /no/such/route \
    --min-lines 8

# ---- the default stays text ----
set +e
env -u LOG_FORMAT "$URLMON_COMPUTE_BIN" migrate >/dev/null 2>"$work/text.log"
set -e
check "LOG_FORMAT unset: text lines" grep -Eq '^[0-9-]{10}T[0-9:.]{12}Z INFO urlmon-compute \(json-box-1\) ' \
    "$work/text.log"
no_json_line() { ! grep -q '^{' "$1"; }
check "LOG_FORMAT unset: no JSON" no_json_line "$work/text.log"
finish
