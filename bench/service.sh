#!/usr/bin/env bash
# bench/service.sh: urlmon-compute --service under load (issue 14).
#
#   bench/service.sh [N] [MINUTES]      # default 100000 URLs for 10 minutes (the issue's size)
#
# N URLs against the project's target server (urlmon-target, loopback), a quarter each
# at 30 s, 60 s, 300 s and 3600 s intervals. First one-shot runs check them all (the
# CPU baseline, ONESHOTS runs); the last one's checks are then dated half an interval
# before the service starts, so the service starts in its steady state (each URL's first
# tick within one interval, no catch-up burst). Then the service runs for MINUTES, and the
# script reports:
#   - due checks done: per URL, the gaps between consecutive checks (a skipped tick is a
#     gap of about 2 intervals; an early check one under 0.9 intervals, which the agenda
#     never allows; a tick served late, the next on time, one between), and the
#     30 s / 60 s URLs' check counts against MINUTES * 60 / interval;
#   - lateness (actual start - scheduled tick) p50/p99 (the service's last log line) and
#     the worst per-run maximum;
#   - checks per second, second by second (from checked_at), from the first ticks (ANCHOR
#     + 1 s after the start) to 5 s before the end: mean, min, max, and the share of
#     seconds within +-10 % of the mean;
#   - CPU per check (user + system of the process, and with the stack's MariaDB's) vs
#     the one-shot runs' mean; the process's CPU by thread, and the check loops' CPU and
#     wake-ups (voluntary context switches) per check; the target's CPU per request in
#     each mode (a control: its code and requests do not change between the modes);
#   - exactly once: rows = distinct (url, checked_at) = the batches' rows = the runs'
#     urls_checked, rollups = raw counts.
# Everything runs on loopback with a private MariaDB + Redis (bench/work/service-stack).
#
# Environment: BENCH_BUILD_DIR (default build), BENCH_DB_PORT (33691), BENCH_REDIS_PORT
# (64421), BENCH_TARGET_PORT (19290; bench/run.sh's targets use 19280-19283), CONCURRENCY
# (500), ONESHOTS (2), BENCH_KEEP_STACK=1, BENCH_SYSCALLS=1 (needs perf: counts each system
# call and the scheduler's wake-ups and switches per check, in the last one-shot run and in
# 60 s of the service from its 30th second; MINUTES >= 2; counting costs CPU, so take the
# CPU per check from runs without it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
N=${1:-100000}
MINUTES=${2:-10}
BUILD=${BENCH_BUILD_DIR:-$ROOT/build}
WORK=$ROOT/bench/work/service
TPORT=${BENCH_TARGET_PORT:-19290}
export URLMON_STACK_DIR=$ROOT/bench/work/service-stack
export URLMON_STACK_DB_PORT=${BENCH_DB_PORT:-33691}
export URLMON_STACK_REDIS_PORT=${BENCH_REDIS_PORT:-64421}
export CONCURRENCY=${CONCURRENCY:-500} ALLOW_PRIVATE_TARGETS=1 LOG_LEVEL=info
COMPUTE=$BUILD/compute/urlmon-compute
TARGET=$BUILD/tests/target/urlmon-target
if [ ! -x "$COMPUTE" ] || [ ! -x "$TARGET" ]; then
    echo "bench/service.sh: build first (urlmon-compute, urlmon-target in $BUILD)" >&2
    exit 2
fi
if [ "${BENCH_SYSCALLS:-0}" = 1 ] && ! command -v perf >/dev/null 2>&1; then
    echo "bench/service.sh: BENCH_SYSCALLS=1 needs perf (scripts/install-deps.sh installs linux-perf)" >&2
    exit 2
fi
rm -rf "$WORK"
mkdir -p "$WORK"
export SPOOL_DIR=$WORK/spool
target_pid=""
svc_pid=""
cleanup() {
    if [ -n "$svc_pid" ]; then kill -TERM "$svc_pid" 2>/dev/null || true; fi
    if [ -n "$target_pid" ]; then kill -TERM "$target_pid" 2>/dev/null || true; fi
    if [ "${BENCH_KEEP_STACK:-0}" != 1 ]; then bash scripts/stack.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
log() { printf '[service-bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

bash scripts/stack.sh start >/dev/null
eval "$(bash scripts/stack.sh env compute)"
sql() {
    mariadb --no-defaults -N -B -h"$DB_ADDRESS" -P"$DB_PORT" -u"$DB_USER" -p"$DB_PASSWORD" \
        "$DB_NAME" -e "$1"
}
"$COMPUTE" migrate 2>/dev/null
# TRUNCATE, not DELETE: a DELETE of the last run's rows leaves MariaDB purging them
# during this run's one-shot, on the same cores
for t in checks rollup_hourly rollup_daily rollup_hourly_total result_batches run_locks runs urls; do
    sql "TRUNCATE TABLE $t"
done
redis-cli -h "$CACHE_ADDRESS" -p "$CACHE_PORT" FLUSHDB >/dev/null

"$TARGET" --listen "127.0.0.1:$TPORT" --threads 1 --ready-file "$WORK/target.ready" \
    >"$WORK/target.out" 2>&1 &
target_pid=$!
for _ in $(seq 1 50); do [ -s "$WORK/target.ready" ] && break; sleep 0.1; done
# a port already taken (another bench's target) would send every check to that server
if [ ! -s "$WORK/target.ready" ] || ! kill -0 "$target_pid" 2>/dev/null; then
    echo "bench/service.sh: urlmon-target did not start on port $TPORT:" >&2
    cat "$WORK/target.out" >&2
    exit 1
fi
sql "INSERT INTO urls (name, url, check_interval, created_at, updated_at)
     SELECT CONCAT('b', seq), CONCAT('http://127.0.0.1:$TPORT/ok/', seq),
            ELT(seq % 4 + 1, 30, 60, 300, 3600), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3)
     FROM seq_1_to_$N"
log "$N URLs (30/60/300/3600 s, a quarter each)"

# CPU by thread: samples "tid name ticks voluntary-context-switches" of PID's threads every
# 0.5 s into FILE until it ends (a thread's last sample counts: an exited thread loses at
# most its last 0.5 s)
sample_threads() {
    local d
    while kill -0 "$1" 2>/dev/null; do
        for d in /proc/"$1"/task/*; do
            printf '%s %s\n' "$(cat "$d/stat" 2>/dev/null)" \
                "$(awk '/^voluntary_ctxt_switches/ { print $2 }' "$d/status" 2>/dev/null)"
        done | awk 'NF > 50 { c = $2; gsub(/[()]/, "", c); print $1, c, $14 + $15, $NF }' >>"$2"
        sleep 0.5
    done
}
# "name seconds" per thread name (loop0, writer, ...), most first
threads_cpu() {
    awk -v k="$(getconf CLK_TCK)" '{ if ($3 > m[$1]) m[$1] = $3; n[$1] = $2 }
        END { for (t in m) s[n[t]] += m[t]; for (x in s) printf "%s %.2f\n", x, s[x] / k }' "$1" |
        sort -k2 -nr | awk '{ printf "%s%s %s s", (NR > 1 ? ", " : ""), $1, $2 }'
}
# the check loops' CPU (ms) and wake-ups (voluntary context switches) per check
loops_per_check() {
    awk -v k="$(getconf CLK_TCK)" -v n="$2" '$2 ~ /^loop/ { if ($3 > c[$1]) c[$1] = $3; if ($4 > v[$1]) v[$1] = $4 }
        END { for (t in c) { cs += c[t]; vs += v[t] }
              printf "%.3f ms CPU, %.2f wake-ups", 1000 * cs / k / n, vs / n }' "$1"
}

# CPU seconds (user + system) of the stack's MariaDB so far: what the checks' writes and
# the URL reads cost the database, beside urlmon's own
db_pid=$(cat "$URLMON_STACK_DIR/mariadb.pid")
proc_cpu() { awk -v k="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / k }' "/proc/$1/stat"; }
db_cpu() { proc_cpu "$db_pid"; }
# ... and of the target: the same code answers the same requests in both modes, so what
# its CPU per request does between them is the machine's part, not urlmon's
tgt_cpu() { proc_cpu "$target_pid"; }

# BENCH_SYSCALLS=1: perf counts these for the whole process (every thread)
SYS_EVENTS='syscalls:sys_enter_*,sched:sched_wakeup,sched:sched_switch'
sys_count() { perf stat -x, -e "$SYS_EVENTS" -o "$2" -p "$1" "${@:3}" >/dev/null 2>&1; }
# "| event | one-shot | service |" rows: per check, those at 0.005 or more in either mode
sys_rows() {
    awk -F, -v a="$2" -v b="$4" 'FNR == 1 { f++ } $1 ~ /^[0-9]+$/ && $3 != "" {
            e = $3; sub(/^syscalls:sys_enter_/, "", e); sub(/^sched:/, "(scheduler) ", e)
            v[e, f] = $1 / (f == 1 ? a : b); seen[e] = 1 }
        END { for (e in seen) if (v[e, 1] >= 0.005 || v[e, 2] >= 0.005)
                  printf "| %s | %.3f | %.3f |\n", e, v[e, 1], v[e, 2] }' "$1" "$3" | sort
}

# 1. the one-shot baseline: ONESHOTS runs of all N URLs (default 2; each after the one
# before is dated 2 hours back, so every URL is due again). Its CPU per check varies
# with what else the 2 cores do (MariaDB's background work, other sessions) more than
# the service's does: the mean of the runs is the baseline, each run is reported.
ONESHOTS=${ONESHOTS:-2}
one_cpu=0
one_db=0
one_tgt=0
one_checks=0
one_list=""
for i in $(seq 1 "$ONESHOTS"); do
    if [ "$i" -gt 1 ]; then
        sql "UPDATE checks SET checked_at = checked_at - INTERVAL 2 HOUR"
        sql "TRUNCATE TABLE run_locks" # the slot is done: let the next run take it again
    fi
    before=$(sql "SELECT COUNT(*) FROM checks")
    db0=$(db_cpu)
    tgt0=$(tgt_cpu)
    /usr/bin/time -f '%U %S %e' -o "$WORK/oneshot.time" "$COMPUTE" >"$WORK/oneshot$i.out" 2>&1 &
    one_pid=$!
    sleep 0.05
    one_tpid=$(pgrep -P "$one_pid" -f urlmon-compute | head -1 || true)
    sample_threads "${one_tpid:-$one_pid}" "$WORK/oneshot.threads" &
    sampler=$!
    sys_pid=""
    if [ "${BENCH_SYSCALLS:-0}" = 1 ] && [ "$i" -eq "$ONESHOTS" ]; then
        sys_count "${one_tpid:-$one_pid}" "$WORK/oneshot.sys" &
        sys_pid=$!
    fi
    wait "$one_pid"
    wait "$sampler"
    if [ -n "$sys_pid" ]; then wait "$sys_pid" || true; fi
    read -r ou os oe <"$WORK/oneshot.time"
    one_db=$(awk -v a="$one_db" -v x="$(db_cpu)" -v y="$db0" 'BEGIN { print a + x - y }')
    one_tgt=$(awk -v a="$one_tgt" -v x="$(tgt_cpu)" -v y="$tgt0" 'BEGIN { print a + x - y }')
    n=$(($(sql "SELECT COUNT(*) FROM checks") - before))
    one_cpu=$(awk -v a="$one_cpu" -v u="$ou" -v s="$os" 'BEGIN { print a + u + s }')
    one_checks=$((one_checks + n))
    one_list="$one_list${one_list:+, }$(awk -v u="$ou" -v s="$os" -v n="$n" -v e="$oe" \
        'BEGIN { printf "%.3f ms (%.2f s for %d, %s s wall)", 1000 * (u + s) / n, u + s, n, e }')"
    log "one-shot $i: $n checks in $oe s, CPU $ou user + $os system s"
    sys_one=$n
done
base_run=$(sql "SELECT MAX(id) FROM runs")
# as if each URL had been checked half an interval before the service starts (ANCHOR s
# from now, time for its first read of the list: 0.8-2.7 s here at 100,000 URLs, longer
# while MariaDB is still busy with the one-shot runs' writes): its first tick falls
# within one interval after that, none is overdue
ANCHOR=8
sql "UPDATE checks c JOIN urls u ON u.id = c.url_id
     SET c.checked_at = UTC_TIMESTAMP(3) + INTERVAL $ANCHOR SECOND
                        - INTERVAL (u.check_interval * 500000) MICROSECOND
     WHERE c.run_id = $base_run"

# 2. the service
tick=$(getconf CLK_TCK)
"$COMPUTE" --service >"$WORK/service.out" 2>&1 &
svc_pid=$!
svc_db0=$(db_cpu)
svc_tgt0=$(tgt_cpu)
t0=$(date +%s%3N)
sample_threads "$svc_pid" "$WORK/service.threads" &
log "service for $MINUTES min (pid $svc_pid)"
if [ "${BENCH_SYSCALLS:-0}" = 1 ]; then
    (
        sleep 30
        # the window's ends from inside the counted command: perf's own set-up (hundreds
        # of counters per thread) and tear-down take seconds
        sys_count "$svc_pid" "$WORK/service.sys" -- sh -c \
            "date +%s%3N >'$WORK/service.sys.from'; sleep 60; date +%s%3N >'$WORK/service.sys.to'"
    ) &
fi
# the machine's load while the service runs (other work on the same cores shows here)
for _ in $(seq 1 $((MINUTES * 6))); do
    sleep 10
    cut -d' ' -f1 /proc/loadavg >>"$WORK/loadavg"
done
read -r -a st <"/proc/$svc_pid/stat"
cpu_ticks=$((st[13] + st[14]))
svc_db=$(awk -v x="$(db_cpu)" -v y="$svc_db0" 'BEGIN { print x - y }')
svc_tgt=$(awk -v x="$(tgt_cpu)" -v y="$svc_tgt0" 'BEGIN { print x - y }')
t1=$(date +%s%3N)
kill -TERM "$svc_pid"
set +e
wait "$svc_pid"
svc_rc=$?
set -e
svc_pid=""
log "service stopped (exit $svc_rc)"

# 3. figures
svc_checks=$(sql "SELECT COUNT(*) FROM checks WHERE run_id > $base_run")
# whole seconds only: a second cut by the window's edge would look like a dip
win="run_id > $base_run AND checked_at >= FROM_UNIXTIME($((t0 / 1000 + ANCHOR + 1)))
     AND checked_at < FROM_UNIXTIME($((t1 / 1000 - 5)))"
read -r rate_mean rate_min rate_max rate_sd rate_in <<<"$(sql "
    SELECT ROUND(AVG(n), 1), MIN(n), MAX(n), ROUND(STDDEV_POP(n), 1),
           ROUND(100 * SUM(ABS(n - m) <= 0.1 * m) / COUNT(*), 1)
    FROM (SELECT FLOOR(UNIX_TIMESTAMP(checked_at)) s, COUNT(*) n FROM checks WHERE $win
          GROUP BY s) x, (SELECT AVG(n) m FROM (SELECT COUNT(*) n FROM checks WHERE $win
          GROUP BY FLOOR(UNIX_TIMESTAMP(checked_at))) y) z")"
slowest=$(sql "SELECT CONCAT(n, ' checks at +', s - FLOOR($t0 / 1000), ' s') FROM (SELECT
    FLOOR(UNIX_TIMESTAMP(checked_at)) s, COUNT(*) n FROM checks WHERE $win GROUP BY s) x
    ORDER BY n LIMIT 1")
gaps=$(sql "SELECT CONCAT(SUM(g > i * 1000 + 1000), ' ', SUM(g < i * 900), ' ',
                   SUM(g >= i * 900 AND g < i * 1000 - 1000), ' ', COUNT(*))
    FROM (SELECT u.check_interval i, TIMESTAMPDIFF(MICROSECOND, LAG(c.checked_at) OVER
          (PARTITION BY c.url_id ORDER BY c.checked_at), c.checked_at) DIV 1000 g
          FROM checks c JOIN urls u ON u.id = c.url_id WHERE c.run_id > $base_run) x
    WHERE g IS NOT NULL")
read -r late_gaps early_gaps after_late all_gaps <<<"$gaps"
counts=$(sql "SELECT GROUP_CONCAT(CONCAT(i, ' s: ', lo, '-', hi, ' checks per URL (expected ',
              ROUND(($MINUTES * 60 - $ANCHOR) / i, 1), ')') SEPARATOR '; ')
    FROM (SELECT i, MIN(n) lo, MAX(n) hi FROM (SELECT u.check_interval i, COUNT(*) n
          FROM checks c JOIN urls u ON u.id = c.url_id WHERE c.run_id > $base_run
          AND u.check_interval <= 60 GROUP BY c.url_id) a GROUP BY i) b")
lat=$(grep -o 'lateness p50/p99 [0-9]*/[0-9]* ms' "$WORK/service.out" | tail -1)
lat_max=$(grep -o 'lateness p50/p99/max [0-9]*/[0-9]*/[0-9]*' "$WORK/service.out" |
    awk -F/ '{ if ($NF > m) m = $NF } END { print m + 0 }')
once=$(sql "SELECT CONCAT(COUNT(*), ' ', COUNT(DISTINCT url_id, checked_at)) FROM checks")
batches=$(sql "SELECT SUM(rows_written) FROM result_batches")
runs_rows=$(sql "SELECT SUM(urls_checked) FROM runs")
rollups=$(sql "SELECT CONCAT(SUM(success_count), '/', SUM(fail_count)) FROM rollup_hourly")
raw=$(sql "SELECT CONCAT(SUM(success), '/', SUM(1 - success)) FROM checks")
sys_table=""
if [ -s "$WORK/service.sys.to" ] && [ -s "$WORK/oneshot.sys" ]; then
    sys_svc=$(sql "SELECT COUNT(*) FROM checks WHERE run_id > $base_run
        AND checked_at >= FROM_UNIXTIME($(cat "$WORK/service.sys.from") / 1000)
        AND checked_at < FROM_UNIXTIME($(cat "$WORK/service.sys.to") / 1000)")
    sys_table=$(printf '\n\nPer check, whole process (perf; the one-shot: its last run, %s checks; the service: 60 s from its 30th second, %s checks):\n\n| event | one-shot | service |\n| --- | --- | --- |\n%s' \
        "$sys_one" "$sys_svc" "$(sys_rows "$WORK/oneshot.sys" "$sys_one" "$WORK/service.sys" "$sys_svc")")
fi
svc_cpu=$(awk -v t="$cpu_ticks" -v k="$tick" 'BEGIN { printf "%.2f", t / k }')
cat <<EOF

### service mode, $N URLs x $MINUTES min ($(date -u +%Y-%m-%d), CONCURRENCY $CONCURRENCY, $(nproc) cores)
| what | result |
| --- | --- |
| checks | $svc_checks in $(((t1 - t0) / 1000)) s by the service (exit $svc_rc), $(sql "SELECT COUNT(*) FROM runs WHERE id > $base_run") runs rows |
| due checks done | $all_gaps consecutive gaps: $late_gaps longer than interval + 1 s (a skipped tick), $early_gaps shorter than 0.9 x interval (earlier than the agenda allows), $after_late between 0.9 x interval and interval - 1 s (a tick served over 1 s late, the next on time); $counts |
| lateness | $lat over the run; worst per-minute maximum $lat_max ms |
| checks/s, second by second | mean $rate_mean, min $rate_min, max $rate_max, sd $rate_sd; $rate_in % of seconds within +-10 % of the mean; the slowest second: $slowest |
| CPU per check | service $(awk -v c="$svc_cpu" -v n="$svc_checks" 'BEGIN { printf "%.3f", 1000 * c / n }') ms ($svc_cpu s for $svc_checks) vs one-shot $(awk -v c="$one_cpu" -v n="$one_checks" 'BEGIN { printf "%.3f", 1000 * c / n }') ms (mean of $ONESHOTS runs: $one_list): **$(awk -v c="$svc_cpu" -v n="$svc_checks" -v oc="$one_cpu" -v on="$one_checks" 'BEGIN { printf "%.2fx", (c / n) / (oc / on) }')** |
| CPU per check with MariaDB's (urlmon + its database) | service $(awk -v c="$svc_cpu" -v d="$svc_db" -v n="$svc_checks" 'BEGIN { printf "%.3f", 1000 * (c + d) / n }') ms (MariaDB $svc_db s) vs one-shot $(awk -v c="$one_cpu" -v d="$one_db" -v n="$one_checks" 'BEGIN { printf "%.3f", 1000 * (c + d) / n }') ms (MariaDB $one_db s): **$(awk -v c="$svc_cpu" -v d="$svc_db" -v n="$svc_checks" -v oc="$one_cpu" -v od="$one_db" -v on="$one_checks" 'BEGIN { printf "%.2fx", ((c + d) / n) / ((oc + od) / on) }')** |
| the target's CPU per request (same code, same requests in both modes) | service $(awk -v c="$svc_tgt" -v n="$svc_checks" 'BEGIN { printf "%.3f", 1000 * c / n }') ms vs one-shot $(awk -v c="$one_tgt" -v n="$one_checks" 'BEGIN { printf "%.3f", 1000 * c / n }') ms: **$(awk -v c="$svc_tgt" -v n="$svc_checks" -v oc="$one_tgt" -v on="$one_checks" 'BEGIN { printf "%.2fx", (c / n) / (oc / on) }')** |
| CPU by thread | service: $(threads_cpu "$WORK/service.threads"); one-shot: $(threads_cpu "$WORK/oneshot.threads") |
| the check loops, per check | service $(loops_per_check "$WORK/service.threads" "$svc_checks"); one-shot $(loops_per_check "$WORK/oneshot.threads" "$one_checks") |
| load average (1 min, every 10 s) | $(awk '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 } END { printf "mean %.2f, min %.2f, max %.2f", s / NR, lo, hi }' "$WORK/loadavg") on $(nproc) cores |
| exactly once | rows / distinct (url, checked_at): $once; batches' rows $batches; runs' urls_checked $runs_rows; rollups $rollups = raw $raw |$sys_table
EOF
