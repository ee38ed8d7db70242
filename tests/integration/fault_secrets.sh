#!/usr/bin/env bash
# Security: secrets never reach a log line or any other output. Both programs run with
# LOG_LEVEL=debug and distinctive DB_PASSWORD, CACHE_PASSWORD and API_TOKEN values (real
# MySQL users with those passwords, Redis with requirepass) through: --help, migrate, a
# run that loads a CSV, drains the queue, checks and invalidates the cache, a run with a
# wrong MySQL password, a run with a wrong Redis password; the API answering GETs,
# authorised and refused POST/DELETE, a refused request carrying the real token, and the
# API started with a wrong MySQL password and a wrong Redis password. Every byte of
# stdout and stderr is captured and searched for every secret, right or wrong.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/fault_lib.sh"
reset_all
start_target --threads 1
export TIMEOUT=2 CONNECT_TIMEOUT=2

db_pw=DbPw-7c1e9a04-FaultSecret
db_pw_api=DbPwApi-2b6f1d93-FaultSecret
db_pw_wrong=DbPwWrong-9e4c7a15-FaultSecret
cache_pw=CachePw-3f8b2d61-FaultSecret
cache_pw_wrong=CachePwWrong-6d0e8c27-FaultSecret
token=ApiToken-5a9d4e70-FaultSecret
token_wrong=ApiTokenWrong-1c7b3f58-FaultSecret
hook_secret=WebhookSecret-4e2a8c19-FaultSecret
hook_path=WebhookPath-8d3f6b02-FaultSecret # a Slack-style token in the webhook URL
secrets=("$db_pw" "$db_pw_api" "$db_pw_wrong" "$cache_pw" "$cache_pw_wrong" "$token" "$token_wrong"
    "$hook_secret" "$hook_path")
logs=$work/logs
mkdir -p "$logs"

# MySQL users with distinctive passwords (the stack's own users keep theirs).
root_sql() { bash "$URLMON_ROOT/scripts/stack.sh" sql -e "$1"; }
drop_users="DROP USER IF EXISTS 'fault_secret_c'@'127.0.0.1', 'fault_secret_a'@'127.0.0.1'"
fault_restore+=("root_sql \"$drop_users\"")
root_sql "$drop_users; CREATE USER 'fault_secret_c'@'127.0.0.1' IDENTIFIED BY '$db_pw';
    CREATE USER 'fault_secret_a'@'127.0.0.1' IDENTIFIED BY '$db_pw_api';
    GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES
        ON \`$DB_NAME\`.* TO 'fault_secret_c'@'127.0.0.1';
    GRANT SELECT, UPDATE ON \`$DB_NAME\`.* TO 'fault_secret_a'@'127.0.0.1'"
# Redis with a password from here on (REDISCLI_AUTH keeps it off the command line).
rauth() { REDISCLI_AUTH=$cache_pw rcli "$@"; }
rcli CONFIG SET requirepass "$cache_pw" >/dev/null
fault_restore+=("rauth CONFIG SET requirepass ''")
expect_eq "Redis wants the password" "$(rcli PING 2>&1 | grep -c NOAUTH)" 1

export LOG_LEVEL=debug DB_USER=fault_secret_c DB_PASSWORD=$db_pw CACHE_PASSWORD=$cache_pw
export API_TOKEN=$token
# alerting: a webhook nobody answers (its path is a secret), signed with a secret; one
# failure opens an incident, so the run logs a delivery attempt and its failure
export WEBHOOK_URLS=http://127.0.0.1:1/services/$hook_path WEBHOOK_SECRET=$hook_secret
export FAIL_THRESHOLD=1

# ---- urlmon-compute ----------------------------------------------------------------
# c NAME [VAR=value...] -- ARGS: runs the job with extra environment, output in $logs.
c() {
    local name=$1
    shift
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    set +e
    env "${envs[@]}" "$URLMON_COMPUTE_BIN" "$@" >"$logs/compute-$name.out" 2>"$logs/compute-$name.err"
    rc=$?
    set -e
}
c help -- --help
expect_eq "compute --help" "$rc" 0
c migrate -- migrate
expect_eq "compute migrate" "$rc" 0
printf 'name,url,regex\nsecret a,%s/s/a,ok\nsecret b,%s/s/b?status=500,\n' "$T" "$T" >"$work/u.csv"
rauth LPUSH urlmon:queue '{"name":"secret q","url":"'"$T"'/s/q"}' >/dev/null
rauth SET urlmon:cache:/urls/summary x >/dev/null
c run -- --data-path "$work/u.csv"
expect_eq "compute run" "$rc" 0
[ "$rc" -eq 0 ] || cat "$logs/compute-run.err"
expect_eq "run checked the CSV and the queued URL" "$(sql "SELECT COUNT(*) FROM checks")" 3
check "run drained the queue (Redis AUTH worked)" grep -q "queue 1 stored" "$logs/compute-run.err"
check "run invalidated the cache" test "$(rauth EXISTS urlmon:cache:/urls/summary)" = 0
check "debug lines were logged" grep -q ' DEBUG ' "$logs/compute-run.err"
check "the webhook was tried (its host is logged, not its path)" \
    grep -q "http://127.0.0.1:1: " "$logs/compute-run.err"
sql "DELETE FROM run_locks"
c wrongdb DB_PASSWORD="$db_pw_wrong" -- # five attempts with backoff, about 15 s
check "wrong MySQL password: non-zero exit" test "$rc" -ne 0
check "wrong MySQL password: says access denied" grep -q "Access denied" "$logs/compute-wrongdb.err"
c wrongredis CACHE_PASSWORD="$cache_pw_wrong" --
expect_eq "wrong Redis password: the run still completes" "$rc" 0
check "wrong Redis password: warned" grep -q "queue not drained" "$logs/compute-wrongredis.err"

# ---- urlmon-api --------------------------------------------------------------------
"$URLMON_API_BIN" --help >"$logs/api-help.out" 2>"$logs/api-help.err" || true
start_api LOG_LEVEL=debug DB_USER=fault_secret_a DB_PASSWORD="$db_pw_api"
json=(-H 'Content-Type: application/json')
id=$(sql "SELECT MIN(id) FROM urls")
expect_eq "api: GET summary (from MySQL)" "$(http GET '/urls/summary?cache=false')" "200 MISS"
expect_eq "api: GET a URL" "$(http GET "/urls/$id")" "200 -"
expect_eq "api: status (Redis AUTH worked)" "$(http GET /status)" "200 -"
expect_eq "api: metrics" "$(http GET /metrics)" "200 -"
expect_eq "api: POST with the token" "$(http POST /urls "${json[@]}" -H "Authorization: Bearer $token" \
    --data-binary '{"name":"n","url":"https://n.example/"}')" "202 -"
expect_eq "api: POST with a wrong token" "$(http POST /urls "${json[@]}" \
    -H "Authorization: Bearer $token_wrong" --data-binary '{"name":"n","url":"https://n.example/"}')" \
    "401 -"
expect_eq "api: POST without a token" "$(http POST /urls "${json[@]}" \
    --data-binary '{"name":"n","url":"https://n.example/"}')" "401 -"
expect_eq "api: POST with the token as Basic" "$(http POST /urls "${json[@]}" \
    -H "Authorization: Basic $token" --data-binary '{"name":"n","url":"https://n.example/"}')" "401 -"
expect_eq "api: bad body with the token" "$(http POST /urls "${json[@]}" \
    -H "Authorization: Bearer $token" --data-binary '{"name":"n","url":"ftp://x/"}')" "400 -"
expect_eq "api: token twice" "$(http POST /urls "${json[@]}" -H "Authorization: Bearer $token" \
    -H "Authorization: Bearer $token" --data-binary '{"name":"n","url":"https://n.example/"}')" "400 -"
expect_eq "api: DELETE with a wrong token" "$(http DELETE "/urls/$id" \
    -H "Authorization: Bearer $token_wrong")" "401 -"
expect_eq "api: DELETE with the token" "$(http DELETE "/urls/$id" -H "Authorization: Bearer $token")" \
    "200 -"
check "api: exits 0" stop_api
cp "$work/api.log" "$logs/api-ok.log"
check "api: debug lines were logged" grep -q ' DEBUG ' "$logs/api-ok.log"

start_api LOG_LEVEL=debug DB_USER=fault_secret_a DB_PASSWORD="$db_pw_wrong" ||
    echo "(the API refuses to start with a wrong MySQL password)"
[ -z "$api_pid" ] || http GET /urls/summary >/dev/null
stop_api || true
cp "$work/api.log" "$logs/api-wrongdb.log"
check "api, wrong MySQL password: says access denied" grep -q "Access denied" "$logs/api-wrongdb.log"
start_api LOG_LEVEL=debug DB_USER=fault_secret_a DB_PASSWORD="$db_pw_api" \
    CACHE_PASSWORD="$cache_pw_wrong"
expect_eq "api, wrong Redis password: status names redis" "$(http GET /status)" "503 -"
expect_eq "api, wrong Redis password: healthz (liveness) still 200" "$(http GET /healthz)" "200 -"
stop_api || true
cp "$work/api.log" "$logs/api-wrongredis.log"

# ---- the search --------------------------------------------------------------------
echo "captured $(cat "$logs"/* | wc -l) lines of output in $(find "$logs" -type f | wc -l) files"
for s in "${secrets[@]}"; do
    hits=$(grep -rlF -- "$s" "$logs" || true)
    expect_eq "secret ${s%%-*} never printed" "${hits:-none}" none
    [ -z "$hits" ] || grep -rnF -- "$s" "$logs" | head -5
done
finish
