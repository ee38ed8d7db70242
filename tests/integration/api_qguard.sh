#!/usr/bin/env bash
# The queue in Redis is bounded and cannot be lost silently (issue 12 items 9 and 10):
#  - QUEUE_MAX: beyond it POST /urls answers 503 with Retry-After and pushes nothing;
#  - a maxmemory-policy that can evict the queue (allkeys-*) is read by both programs at
#    start (and on reconnect) and reported: an error log line, /status
#    (redis_policy, queue_evictable) and the urlmon_api_redis_queue_evictable metric;
#  - Redis out of memory: POST /urls says so (503 naming it, Retry-After) and /status (readiness)
#    reports it, until a push succeeds again.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/fault_lib.sh"
policy0=$(rcli CONFIG GET maxmemory-policy | tail -1)
maxmem0=$(rcli CONFIG GET maxmemory | tail -1)
fault_restore+=("rcli CONFIG SET maxmemory-policy $policy0" "rcli CONFIG SET maxmemory $maxmem0")
reset_all
rcli CONFIG SET maxmemory-policy noeviction >/dev/null
post() { http POST /urls -H 'Content-Type: application/json' -d "{\"name\":\"q$1\",\"url\":\"https://example.com/$1\"}"; }
# health_is WANT: /status (readiness) answers "<status> -<body>" = WANT (within 5 s: the policy is
# read within a second of the connection coming up)
health_now() { [ "$(http GET /status)$(cat "$work/body")" = "$1" ]; }
health_is() { wait_until 5 health_now "$1"; }
retry_after() { tr -d '\r' <"$work/headers" | awk -F': ' 'tolower($1) == "retry-after" {print $2}'; }

# QUEUE_MAX
start_api QUEUE_MAX=3
for i in 1 2 3; do expect_eq "POST $i of 3 queued" "$(post "$i")" "202 -"; done
expect_eq "POST beyond QUEUE_MAX refused" "$(post 4)" "503 -"
check "the answer names the full queue" grep -q '"error":"queue: full (3 entries, QUEUE_MAX 3)' "$work/body"
expect_eq "with Retry-After" "$(retry_after)" 60
expect_eq "nothing pushed beyond it" "$(rcli LLEN urlmon:queue)" 3
check "safe policy reported" health_is \
    '200 -{"mysql":"ok","redis":"ok","redis_policy":"noeviction","queue_evictable":false}'
stop_api

# an evicting policy: reported at start by the API and by the compute job
rcli CONFIG SET maxmemory-policy allkeys-lru >/dev/null
start_api LOG_LEVEL=info
policy_seen() { grep -q '"queue_evictable":true' "$work/body" 2>/dev/null || { http GET /status >/dev/null; false; }; }
check "/status reports the evicting policy" wait_until 5 policy_seen
check "/status names it" grep -q '"redis_policy":"allkeys-lru"' "$work/body"
check "the API logs it as an error" grep -q "ERROR.*maxmemory-policy is allkeys-lru.*noeviction" "$work/api.log"
http GET /metrics >/dev/null
check "the metric says so" grep -q '^urlmon_api_redis_queue_evictable 1$' "$work/body"
compute
check "the compute job logs it as an error" grep -q "ERROR.*maxmemory-policy is allkeys-lru" "$work/out"
rcli CONFIG SET maxmemory-policy noeviction >/dev/null
stop_api

# out of memory
start_api
rcli CONFIG SET maxmemory 1 >/dev/null
expect_eq "POST while Redis is out of memory" "$(post 5)" "503 -"
check "the answer names Redis out of memory" grep -q '"error":"redis: out of memory' "$work/body"
expect_eq "with Retry-After" "$(retry_after)" 60
check "/status reports it" health_is \
    '503 -{"mysql":"ok","redis":"out of memory","redis_policy":"noeviction","queue_evictable":false}'
expect_eq "/healthz (liveness) stays 200 while Redis is out of memory" "$(http GET /healthz)" "200 -"
rcli CONFIG SET maxmemory "$maxmem0" >/dev/null
expect_eq "POST once memory is back" "$(post 6)" "202 -"
expect_eq "/status ok again" "$(http GET /status | cut -c1-3)" 200
stop_api
finish
