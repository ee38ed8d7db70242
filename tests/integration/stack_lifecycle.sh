#!/usr/bin/env bash
# Integration: scripts/stack.sh on its own directory and ports: start twice is fine,
# env prints every variable, stop leaves no process behind.
set -euo pipefail
root=${URLMON_ROOT:?run through ctest}
dir=$(mktemp -d /tmp/urlmon-stack-XXXXXX)
# Ports of its own, next to the suite's stack (DB_PORT/CACHE_PORT from ctest), so that two
# builds with different test ports never collide with each other's lifecycle stack.
export URLMON_STACK_DIR=$dir URLMON_STACK_DB_PORT=$((${DB_PORT:-33071} + 20)) \
    URLMON_STACK_REDIS_PORT=$((${CACHE_PORT:-63801} + 20))
pass=0
fail=0
check() {
    local what=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "ok: $what"; else fail=$((fail + 1)); echo "FAIL: $what"; fi
}
cleanup() { bash "$root/scripts/stack.sh" stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

check "first start" bash "$root/scripts/stack.sh" start
check "second start" bash "$root/scripts/stack.sh" start
check "status" bash "$root/scripts/stack.sh" status
envtext=$(bash "$root/scripts/stack.sh" env)
for v in DB_ADDRESS DB_PORT DB_USER DB_PASSWORD DB_NAME CACHE_ADDRESS CACHE_PORT; do
    check "env exports $v" grep -q "^export $v=" <<<"$envtext"
done
check "api user is not root" grep -q "^export DB_USER=urlmon_api$" <<<"$(bash "$root/scripts/stack.sh" env api)"
check "redis answers" bash -c "redis-cli -p 63821 ping | grep -q PONG"
check "compute user can connect" bash -c "mariadb --no-defaults -h127.0.0.1 -P33091 -uurlmon_compute -purlmon-compute-local -e 'SELECT 1' urlmon >/dev/null"
check "api user cannot create tables" bash -c "! mariadb --no-defaults -h127.0.0.1 -P33091 -uurlmon_api -purlmon-api-local -e 'CREATE TABLE t (i INT)' urlmon 2>/dev/null"
check "stop" bash "$root/scripts/stack.sh" stop
sleep 0.5
# The bracket keeps pgrep from matching this check's own command line.
pattern="[${dir:0:1}]${dir:1}"
check "no process left" bash -c "! pgrep -f -- '$pattern' >/dev/null"
check "status says down" bash -c "! bash '$root/scripts/stack.sh' status >/dev/null"
echo "stack lifecycle: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
