#!/usr/bin/env bash
# Integration: scripts/run.sh stops everything whatever signals arrive. It runs with the
# test build's binaries (URLMON_RUN_BUILD) and its own private stack (a scratch
# directory, ports picked free now), monitoring one loopback URL. Once the API answers,
# SIGINT goes to its whole process group (as Ctrl-C does) and again 0.3 s later, while
# it is stopping (as a second Ctrl-C, or `timeout`, does), and once more after 1 s. Then:
# run.sh ends, says it stopped, and MariaDB, Redis, the API and the compute loop are all
# gone.
set -euo pipefail
: "${URLMON_ROOT:?run through ctest}" "${URLMON_BUILD:?}"
set -m # background jobs get their own process group, like a terminal's foreground job

work=$(mktemp -d /tmp/urlmon-run-signals-XXXXXX)
run_pid=""
pass=0
fail=0
cleanup() {
    # Only if the test itself failed half-way: leave nothing behind.
    if [ -n "$run_pid" ]; then kill -KILL -- "-$run_pid" 2>/dev/null || true; fi
    URLMON_STACK_DIR=$work/stack bash "$URLMON_ROOT/scripts/stack.sh" stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

export URLMON_STACK_DIR=$work/stack URLMON_STACK_DB_PORT URLMON_STACK_REDIS_PORT API_PORT
URLMON_STACK_DB_PORT=$(free_port)
URLMON_STACK_REDIS_PORT=$(free_port)
API_PORT=$(free_port)
export API_ADDRESS=127.0.0.1 SPOOL_DIR=$work/spool URLMON_RUN_BUILD=$URLMON_BUILD
export URLMON_RUN_DATA=$work/urls.csv ALLOW_PRIVATE_TARGETS=1
printf 'name,url,regex\nself,http://127.0.0.1:%s/healthz,\n' "$API_PORT" >"$URLMON_RUN_DATA"

bash "$URLMON_ROOT/scripts/run.sh" >"$work/run.log" 2>&1 &
run_pid=$!

up=0
for _ in $(seq 1 600); do
    if curl -fs -o /dev/null "http://127.0.0.1:$API_PORT/healthz"; then
        up=1
        break
    fi
    alive "$run_pid" || break
    sleep 0.1
done
check "run.sh brought the API up" test "$up" = 1
db_pid=$(cat "$work/stack/mariadb.pid" 2>/dev/null || true)
redis_pid=$(cat "$work/stack/redis.pid" 2>/dev/null || true)
api_pid=$(pgrep -g "$run_pid" -f "^$URLMON_BUILD/api/urlmon-api" || true)
compute_pid=$(pgrep -g "$run_pid" -f "^$URLMON_BUILD/compute/urlmon-compute --service" || true)
check "MariaDB, Redis, API and compute running ($db_pid/$redis_pid/$api_pid/$compute_pid)" \
    bash -c "kill -0 '$db_pid' && kill -0 '$redis_pid' && kill -0 '$api_pid' && kill -0 '$compute_pid'"

kill -INT -- "-$run_pid"
sleep 0.3
kill -INT -- "-$run_pid" 2>/dev/null || true
sleep 1
kill -INT -- "-$run_pid" 2>/dev/null || true

ended=0
for _ in $(seq 1 900); do
    if ! alive "$run_pid"; then
        ended=1
        break
    fi
    sleep 0.1
done
set +e
wait "$run_pid" 2>/dev/null
rc=$?
set -e
check "run.sh ended within 90 s of the signals (exit status $rc)" test "$ended" = 1
[ "$ended" = 1 ] && run_pid=""
check "run.sh says it stopped" grep -q '^run: stopped$' "$work/run.log"
check "it stopped once" test "$(grep -c '^run: stopping$' "$work/run.log")" = 1
check "MariaDB stopped" bash -c "! kill -0 '$db_pid' 2>/dev/null"
check "Redis stopped" bash -c "! kill -0 '$redis_pid' 2>/dev/null"
check "urlmon-api stopped" bash -c "! kill -0 '$api_pid' 2>/dev/null"
check "urlmon-compute stopped" bash -c "! kill -0 '$compute_pid' 2>/dev/null"
check "the stack's pid files are gone" \
    bash -c "[ ! -e '$work/stack/mariadb.pid' ] && [ ! -e '$work/stack/redis.pid' ]"

echo "run_signals: $pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
    echo "--- run.sh output:"
    cat "$work/run.log"
fi
[ "$fail" -eq 0 ]
