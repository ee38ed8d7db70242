#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables set here are read by the sourcing test
# tests/integration/compute_lib.sh: helpers for the compute job's script tests.
# Sourced, never run; it sets work, T, rc, pass and fail for the test. Needs the ctest `stack` environment (DB_*, CACHE_*, URLMON_*).
# Every test gets a scratch directory ($work) and its own SPOOL_DIR; the target
# server, started with start_target, is stopped on exit.

: "${URLMON_COMPUTE_BIN:?run through ctest}" "${URLMON_TARGET_BIN:?}" "${URLMON_ROOT:?}"
work=$(mktemp -d /tmp/urlmon-compute-test-XXXXXX)
export SPOOL_DIR=$work/spool
export ALLOW_PRIVATE_TARGETS=1
pass=0
fail=0
target_pid=""
target_port=""
bg_pids=()

cleanup() {
    local p
    for p in "${bg_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    if [ -n "$target_pid" ]; then kill -TERM "$target_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# check WHAT CMD...: counts a pass when CMD succeeds.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
# expect_eq WHAT GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then ok "$1 ($2)"; else bad "$1: got '$2', want '$3'"; fi
}
finish() {
    echo "$(basename "$0" .sh): $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}

sql() {
    mariadb --no-defaults -N -B -h"$DB_ADDRESS" -P"$DB_PORT" -u"$DB_USER" -p"$DB_PASSWORD" \
        "$DB_NAME" -e "$1"
}
rcli() { redis-cli -h "$CACHE_ADDRESS" -p "$CACHE_PORT" "$@"; }

# slot_room SECONDS: when fewer than SECONDS are left of the current 10-minute slot
# (urlmon-compute's default --interval), waits for the next one to begin, so that runs a
# test expects to share a slot (to find it busy or done) do not straddle two.
slot_room() {
    local left=$((600 - $(date +%s) % 600))
    if [ "$left" -lt "$1" ]; then
        echo "waiting ${left} s for the next slot"
        sleep "$left"
    fi
}

# Empties every table of the job and the Redis database.
reset_all() {
    local t
    for t in checks rollup_hourly rollup_daily rollup_hourly_total result_batches run_locks \
        runs urls incidents outbox; do
        sql "DELETE FROM $t"
    done
    rcli FLUSHDB >/dev/null
    rm -rf "$SPOOL_DIR"
}

# start_target [extra args]: the HTTP target on a free port near one derived from the
# Redis port (parallel builds use different stacks); sets target_port and $T (base URL).
start_target() {
    local base=$((20000 + CACHE_PORT % 10000)) port
    for port in $(seq "$base" $((base + 40))); do
        rm -f "$work/target.ready"
        "$URLMON_TARGET_BIN" --listen "127.0.0.1:$port" --log "$work/target.log" \
            --ready-file "$work/target.ready" "$@" >"$work/target.out" 2>&1 &
        target_pid=$!
        for _ in $(seq 1 50); do
            if [ -s "$work/target.ready" ]; then
                target_port=$port
                T="http://127.0.0.1:$port"
                return 0
            fi
            kill -0 "$target_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -TERM "$target_pid" 2>/dev/null || true
        wait "$target_pid" 2>/dev/null || true
        target_pid=""
    done
    echo "cannot start the target server: $(cat "$work/target.out")" >&2
    return 1
}

# The target writes its --log once a second: wait until what it received is in the file.
settle_target_log() { sleep 1.5; }

# add_url NAME URL [REGEX]: inserts straight into urls (the loader has its own tests).
add_url() {
    local regex=NULL
    if [ $# -ge 3 ]; then regex="'$3'"; fi
    sql "INSERT INTO urls (name, url, regex, created_at, updated_at) VALUES ('$1', '$2', $regex,
         UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))"
}

# add_urls NAME_PREFIX PATH N [QUERY]: N URLs named NAME_PREFIX1.. at $T/PATH/1..N[QUERY],
# in one INSERT (MariaDB's seq_1_to_N table).
add_urls() {
    sql "INSERT INTO urls (name, url, created_at, updated_at)
         SELECT CONCAT('$1', seq), CONCAT('$T/$2/', seq, '${4:-}'), UTC_TIMESTAMP(3),
                UTC_TIMESTAMP(3) FROM seq_1_to_$3"
}

# next_slot: lets the next run check every URL again, as a run in a later slot would: the
# slot's lease row goes, and the checks so far move an hour back (a run checks only the
# URLs due in its slot; interval 600 s by default).
next_slot() {
    sql "DELETE FROM run_locks"
    sql "UPDATE checks SET checked_at = checked_at - INTERVAL 1 HOUR"
}

# compute [args]: runs the job in the foreground; output in $work/out, status in $rc.
compute() {
    set +e
    "$URLMON_COMPUTE_BIN" "$@" >"$work/out" 2>&1
    rc=$?
    set -e
}

# Every exactly-once invariant of the results written so far.
check_exactly_once() {
    local what=$1
    expect_eq "$what: no duplicate (url, checked_at)" \
        "$(sql "SELECT COUNT(*) - COUNT(DISTINCT url_id, checked_at) FROM checks")" 0
    expect_eq "$what: runs count every row" \
        "$(sql "SELECT COALESCE(SUM(urls_checked), 0) FROM runs")" \
        "$(sql "SELECT COUNT(*) FROM checks")"
    expect_eq "$what: batches account for every row" \
        "$(sql "SELECT COALESCE(SUM(rows_written), 0) FROM result_batches")" \
        "$(sql "SELECT COUNT(*) FROM checks")"
    expect_eq "$what: hourly rollups equal the raw counts" \
        "$(sql "SELECT COALESCE(SUM(success_count), 0), COALESCE(SUM(fail_count), 0),
                COALESCE(SUM(response_ms_sum), 0) FROM rollup_hourly")" \
        "$(sql "SELECT COALESCE(SUM(success), 0), COALESCE(SUM(1 - success), 0),
                COALESCE(SUM(response_ms), 0) FROM checks")"
    expect_eq "$what: daily rollups equal the raw counts" \
        "$(sql "SELECT COALESCE(SUM(success_count), 0), COALESCE(SUM(fail_count), 0)
                FROM rollup_daily")" \
        "$(sql "SELECT COALESCE(SUM(success), 0), COALESCE(SUM(1 - success), 0) FROM checks")"
    expect_eq "$what: hourly totals equal the raw counts" \
        "$(sql "SELECT COALESCE(SUM(success_count), 0), COALESCE(SUM(fail_count), 0)
                FROM rollup_hourly_total")" \
        "$(sql "SELECT COALESCE(SUM(success), 0), COALESCE(SUM(1 - success), 0) FROM checks")"
}

# add_urls_every INTERVAL NAME_PREFIX PATH N [QUERY]: add_urls with check_interval INTERVAL.
add_urls_every() {
    local every=$1
    shift
    add_urls "$@"
    sql "UPDATE urls SET check_interval = $every WHERE name LIKE '$1%' AND check_interval = 600"
}

# start_service OUT [args]: urlmon-compute --service in the background (pid in $svc_pid),
# waits until it holds the lease or says it waits for it.
start_service() {
    local out=$1
    shift
    "$URLMON_COMPUTE_BIN" --service "$@" >"$out" 2>&1 &
    svc_pid=$!
    bg_pids+=("$svc_pid")
    for _ in $(seq 1 100); do
        grep -qE "lease taken|waiting for its lease" "$out" && return 0
        sleep 0.1
    done
    echo "the service did not start: $(cat "$out")" >&2
    return 1
}

# stop_service PID: SIGTERM, then its exit status in $rc.
stop_service() {
    kill -TERM "$1"
    set +e
    wait "$1"
    rc=$?
    set -e
}

# min_gap_ms WHERE: the shortest time between two consecutive checks of one URL.
min_gap_ms() {
    sql "SELECT COALESCE(MIN(g), 999999) FROM (SELECT TIMESTAMPDIFF(MICROSECOND,
         LAG(checked_at) OVER (PARTITION BY url_id ORDER BY checked_at), checked_at) DIV 1000 AS g
         FROM checks c JOIN urls u ON u.id = c.url_id WHERE $1) x WHERE g IS NOT NULL"
}
