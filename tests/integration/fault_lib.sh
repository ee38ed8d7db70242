#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables set here are read by the sourcing test
# tests/integration/fault_lib.sh: helpers for the fault tests (fault_*.sh). Sourced, never
# run. Builds on compute_lib.sh (scratch $work, SPOOL_DIR, the target server, sql, rcli,
# expect_eq, check_exactly_once, finish) and adds: the test stack's fault switches, an
# urlmon-api on a free port, waiting with a deadline, and peak RSS measurement.
# Every process started here is stopped by the EXIT trap (fault_cleanup).

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/compute_lib.sh"

api_pid=""
api_port=""
# A sanitizer build (URLMON_SANITIZE=ON) inflates RSS (shadow memory, quarantine): the
# tests then report memory but do not judge it.
sanitized=0
if grep -q '^URLMON_SANITIZE:BOOL=ON' "${URLMON_BUILD:-.}/CMakeCache.txt" 2>/dev/null; then
    sanitized=1
fi
A=""
# Commands run by the EXIT trap before compute_lib's cleanup (restore the stack, ...).
fault_restore=()

fault_cleanup() {
    local c
    for c in "${fault_restore[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
    if [ -n "$api_pid" ]; then
        kill -TERM "$api_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$api_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$api_pid" 2>/dev/null || true
    fi
    cleanup
}
trap fault_cleanup EXIT

# stack ACTION: scripts/stack.sh on the test stack (kill-db, start-db, stop-redis, ...).
stack() { bash "$URLMON_ROOT/scripts/stack.sh" "$@" >/dev/null; }

# wait_until SECONDS CMD...: polls CMD every 0.1 s; false when the deadline passes.
wait_until() {
    local end=$(($(date +%s%N) / 1000000 + $1 * 1000))
    shift
    until "$@"; do
        [ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
        sleep 0.1
    done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# free_port: a TCP port nothing listens on now (the kernel's choice).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# api_ready: the API answers, or its process is gone (start_api tells which).
api_ready() { curl -fs -o /dev/null "$A/openapi.json" || ! kill -0 "$api_pid" 2>/dev/null; }

# start_api [VAR=value...]: urlmon-api on a free loopback port as the API's MySQL user,
# output in $work/api.log; sets api_pid, api_port and $A (base URL).
start_api() {
    api_port=$(free_port)
    env DB_USER=urlmon_api DB_PASSWORD=urlmon-api-local LOG_LEVEL=warn "$@" \
        API_ADDRESS=127.0.0.1 API_PORT="$api_port" "$URLMON_API_BIN" >"$work/api.log" 2>&1 &
    api_pid=$!
    A="http://127.0.0.1:$api_port"
    if ! wait_until 15 api_ready || ! kill -0 "$api_pid" 2>/dev/null; then
        echo "urlmon-api did not start: $(cat "$work/api.log")" >&2
        wait "$api_pid" 2>/dev/null || true
        api_pid=""
        return 1
    fi
}

stop_api() {
    local rc=0
    [ -n "$api_pid" ] || return 0
    kill -TERM "$api_pid" 2>/dev/null || true
    wait "$api_pid" || rc=$?
    api_pid=""
    return "$rc"
}

# http METHOD PATH [curl args]: prints "<status> <X-Cache or ->", body in $work/body.
http() {
    local method=$1 path=$2
    shift 2
    : >"$work/headers"
    curl -s -m 10 -X "$method" -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@" \
        "$A$path" || true
    printf ' %s\n' "$(tr -d '\r' <"$work/headers" | awk -F': ' 'tolower($1) == "x-cache" {print $2}' |
        grep . || echo -)"
}

# peak_rss_kb FILE: "Maximum resident set size" from /usr/bin/time -v output.
peak_rss_kb() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
