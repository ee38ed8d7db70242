#!/usr/bin/env bash
# bench/soak.sh: a month at a million URLs (issue 19). For each history length in
# SOAK_DAYS (day 1, then day 35): N URLs x D days of history generated through the job's
# path (bench/gen.py history, rollups by urlmon-rollup = compute/rollup.c) and loaded into
# a private stack; sizes per table and per day partition of `checks`; then the API at that
# size: the first (cold) request of each cacheable answer, every route uncached
# (`wrk -t1 -c1 --latency`, `?cache=false` where the route caches) and every GET with the
# cache warm (`wrk -t2 -cSOAK_CACHED_C`). After the last history: SOAK_RUNS real runs of
# urlmon-compute over the N URLs against urlmon-target (run time, write rate, retention
# time and what it dropped, rows written), and after each run the recompute cost: the 7
# cacheable answers requested one after the other with `?cache=false`.
#
#   bench/soak.sh                  # 1,000,000 URLs, day 1 and day 35, 2 runs
#   python3 bench/soak_report.py bench/out/soak/soak.jsonl   # the tables again
#
# Environment (besides bench/run.sh's BENCH_* settings, whose functions this script uses:
# BENCH_DB_PORT, BENCH_REDIS_PORT, BENCH_TARGET_PORT_BASE, BENCH_API_PORT,
# BENCH_SKIP_INSTALL, BENCH_SKIP_BUILD, BENCH_BUILD_DIR, BENCH_KEEP_STACK):
#   SOAK_N=1000000          URLs
#   SOAK_DAYS="1 35"        history lengths, in this order; the runs follow the last one
#   SOAK_RUNS=2             real runs after the last history (0: none)
#   SOAK_WRK_S=15           seconds of each wrk measurement
#   SOAK_CACHED_C=10        connections of the cached wrk (2 threads)
#   SOAK_RAW_FIRST_HOURS=2  raw checks in the first hours of the history: the oldest day
#                           holds rows, so the runs' retention (RETENTION_DAYS=35) drops a
#                           real partition (migrate makes partitions from day -37 on)
#   SOAK_BUFFER_POOL=4G     innodb_buffer_pool_size of the private MariaDB (stack: 512M)
#   SOAK_KEEP_DATA=0        1: keep the generated TSVs (several GB at 1M URLs)
#   SOAK_REUSE=0            1: keep the database of the previous soak (no DROP; with
#                           SOAK_DAYS="" only the runs, over the history already loaded)
#   SOAK_RUN_RETENTION_DAYS=35  RETENTION_DAYS of the runs
#   SOAK_OUT=bench/out/soak results directory (one per invocation: soak.jsonl is rewritten)
# A history generated ahead into bench/work/soak/nN-dD (gen.py history ... and a file
# "done" there) is loaded as it is: gen_s is then the load's preparation only.
# Results: bench/out/soak/soak.jsonl and loadavg.tsv; the tables (bench/soak_report.py) on
# stdout at the end. Data: bench/work/stack (MariaDB), bench/work/soak (TSVs, deleted
# after each load unless SOAK_KEEP_DATA=1).
#
# Raw checks exist only where the API reads them (gen.py's rule: the hours at the window
# edges, and SOAK_RAW_FIRST_HOURS): 35 full days at 1M URLs are 5 billion rows, more
# than this machine's disk; soak_report.py scales bytes per raw row to a full day.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/run.sh
source "$ROOT/bench/run.sh"

N=${SOAK_N:-1000000}
DAYS=${SOAK_DAYS-1 35}
RUNS=${SOAK_RUNS:-2}
WRK_S=${SOAK_WRK_S:-15}
CACHED_C=${SOAK_CACHED_C:-10}
RAW_FIRST=${SOAK_RAW_FIRST_HOURS:-2}
POOL=${SOAK_BUFFER_POOL:-4G}
RUN_RETENTION=${SOAK_RUN_RETENTION_DAYS:-35}
SOAK_DB=urlmon_bench_soak
E2E_TIMEOUT=5
CACHEABLE=(/urls/top/fail/hour /urls/top/fail/week /urls/top/fail/month
    /urls/top/success/hour /urls/top/success/week /urls/top/success/month /urls/summary)

jrow() { # JSON-OBJECT: one result line
    echo "$1" >>"$RESULTS"
}

phase() { # NAME: where the load average samples from now on belong
    jrow "{\"scenario\":\"soak_phase\",\"phase\":\"$1\",\"t\":$(date +%s)}"
}

elapsed() { python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 3))" "$@"; }

# Table and partition sizes (InnoDB's figures after ANALYZE) as one JSON line.
sizes() { # LABEL
    sql -e "ANALYZE TABLE checks, rollup_hourly, rollup_daily, rollup_hourly_total, urls, runs" >/dev/null
    python3 - "$1" "$(sql -N -e "SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH
            FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
              AND TABLE_NAME IN ('checks','rollup_hourly','rollup_daily','rollup_hourly_total','urls','runs')")" \
        "$(sql -N -e "SELECT PARTITION_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH
            FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE()
              AND TABLE_NAME = 'checks' ORDER BY PARTITION_ORDINAL_POSITION")" \
        "$(du -sb "$URLMON_STACK_DIR/mysql-data/$SOAK_DB" | cut -f1)" <<'PY' >>"$RESULTS"
import json, sys
label, tables, parts, du = sys.argv[1:5]
t = {}
for line in tables.splitlines():
    name, rows, data, idx = line.split("\t")
    t[name] = {"rows_est": int(rows), "data": int(data), "index": int(idx)}
p = []
for line in parts.splitlines():
    name, rows, data, idx = line.split("\t")
    p.append({"name": name, "rows_est": int(rows), "data": int(data), "index": int(idx)})
print(json.dumps({"scenario": "soak_sizes", "label": label, "tables": t, "partitions": p,
                  "db_dir_bytes": int(du)}))
PY
}

start_soak_api() {
    [ -x "$API_BIN" ] || die "urlmon-api was not built"
    port_free "$API_PORT" || die "port $API_PORT is taken: set BENCH_API_PORT"
    # shellcheck disable=SC2016 # expanded by the inner bash, with the API user's env
    start_bg api bash -c 'eval "$(bash scripts/stack.sh env api)"
        export DB_NAME=$1 API_ADDRESS=127.0.0.1 API_PORT=$2 LOG_LEVEL=warn
        exec "$0"' "$API_BIN" "$SOAK_DB" "$API_PORT"
    API_PID=$LAST_PID
    wait_http "http://127.0.0.1:$API_PORT/healthz" 60 || die "urlmon-api did not answer: $(tail -5 "$WORK/api.log")"
    log "soak: urlmon-api on 127.0.0.1:$API_PORT (pid $API_PID)"
}

# curl's total time of one GET, in seconds, and its status.
one_get() { # URL -> "seconds status"
    curl -s -o /dev/null --max-time 600 -w '%{time_total} %{http_code}' "$1"
}

# The 7 cacheable answers one after the other with cache=false: the recompute cost.
recompute() { # LABEL
    local ep t0 t1 r parts=()
    t0=$(date +%s.%N)
    for ep in "${CACHEABLE[@]}"; do
        r=$(one_get "http://127.0.0.1:$API_PORT$ep?cache=false")
        parts+=("\"$ep\":${r% *}")
    done
    t1=$(date +%s.%N)
    jrow "{\"scenario\":\"soak_recompute\",\"label\":\"$1\",\"total_s\":$(elapsed "$t0" "$t1"),\"each_s\":{$(IFS=,; echo "${parts[*]}")},\"warm_metric\":\"$(curl -s "http://127.0.0.1:$API_PORT/metrics" | grep -E '^urlmon_api_cache_warm_last_seconds' | head -1 | tr -d '"')\"}"
}

metric() { # NAME: its value on the API's /metrics (0 when absent)
    curl -s "http://127.0.0.1:$API_PORT/metrics" | awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }'
}

# After a run: the API's own warm (CACHE_WARM, api/warm.h): waits until it ran (its
# counter passes WARMS0), then its duration (first invalidation to the last answer
# stored) and the X-Cache of the first GET of each cacheable answer.
warm_after_run() { # LABEL WARMS0
    local ep i hits=0 xc=()
    for i in $(seq 1 600); do
        [ "$(metric urlmon_api_cache_warms_total)" != "$2" ] && break
        sleep 0.2
    done
    sleep 1 # the warm's last answers are being written
    for ep in "${CACHEABLE[@]}"; do
        i=$(curl -s -o /dev/null -D - "http://127.0.0.1:$API_PORT$ep" | tr -d '\r' |
            awk -F': ' 'tolower($1) == "x-cache" { print $2 }')
        xc+=("\"$ep\":\"$i\"")
        [ "$i" = HIT ] && hits=$((hits + 1))
    done
    jrow "{\"scenario\":\"soak_warm\",\"label\":\"$1\",\"warms\":$(metric urlmon_api_cache_warms_total),\"warm_last_s\":$(metric urlmon_api_cache_warm_last_seconds),\"answers\":$(metric urlmon_api_cache_warm_answers_total),\"first_get_hits\":$hits,\"x_cache\":{$(IFS=,; echo "${xc[*]}")}}"
    log "soak: $1: warm $(metric urlmon_api_cache_warm_last_seconds) s, first GETs after it: $hits of ${#CACHEABLE[@]} HIT"
}

wrk_one() { # DAYS KIND ENDPOINT THREADS CONNS
    local d=$1 kind=$2 ep=$3 th=$4 c=$5
    MEASURE_OPTS=(--stdout "$WORK/wrk.out" --wrk-stdout --watch-pid "$API_PID")
    measure scenario=soak_api days="$d" kind="$kind" endpoint="$ep" conns="$c" -- \
        wrk -t"$th" -c"$c" -d"${WRK_S}s" --timeout 60s --latency "http://127.0.0.1:$API_PORT$ep" \
        >/dev/null || log "soak: wrk $ep failed"
    MEASURE_OPTS=()
}

api_figures() { # DAYS
    local d=$1 ep r mid=$((N / 2)) routes
    phase "day $d: API"
    redis-cli -h 127.0.0.1 -p "$URLMON_STACK_REDIS_PORT" FLUSHALL >/dev/null
    start_soak_api
    # The first request of each: week and month build the API's in-process tally here.
    for ep in "${CACHEABLE[@]}"; do
        r=$(one_get "http://127.0.0.1:$API_PORT$ep?cache=false")
        log "soak: day $d: first $ep?cache=false: ${r% *} s (HTTP ${r#* })"
        jrow "{\"scenario\":\"soak_cold\",\"days\":$d,\"endpoint\":\"$ep\",\"s\":${r% *},\"status\":${r#* }}"
    done
    routes=("${CACHEABLE[@]/%/?cache=false}" "/urls/$mid" "/urls?limit=100" "/urls?limit=1000")
    for ep in "${routes[@]}"; do
        log "soak: day $d: uncached $ep"
        wrk_one "$d" uncached "$ep" 1 1
    done
    redis-cli -h 127.0.0.1 -p "$URLMON_STACK_REDIS_PORT" FLUSHALL >/dev/null
    for ep in "${CACHEABLE[@]}" "/urls/$mid" "/urls?limit=100" "/urls?limit=1000"; do
        r=$(one_get "http://127.0.0.1:$API_PORT$ep") # fills the cache
        log "soak: day $d: cached $ep (fill: ${r% *} s)"
        wrk_one "$d" cached "$ep" 2 "$CACHED_C"
    done
    recompute "day$d-idle"
    stop_pid "$API_PID"
}

load_days() { # DAYS
    local d=$1 dir=$WORK/soak/n$N-d$1 t0 t1 t2 lines
    phase "day $d: generate + load"
    mkdir -p "$dir"
    t0=$(date +%s.%N)
    if [ -f "$dir/done" ]; then
        log "soak: $dir holds a history generated before (its gen.py log: $(cat "$dir/done"))"
    else
        log "soak: generating $N URLs x $d days (gen.py history, rollups by urlmon-rollup)"
        python3 "$BENCH/gen.py" history --rollup-bin "$ROLLUP_BIN" --out "$dir" --urls "$N" \
            --days "$d" --hourly edges --raw-first-hours "$RAW_FIRST" >&2 ||
            die "generating the history failed"
    fi
    t1=$(date +%s.%N)
    log "soak: generated in $(elapsed "$t0" "$t1") s; loading"
    BENCH_HISTORY_GENERATED=1 bash "$BENCH/load_history.sh" "$dir" "$ROLLUP_BIN" ||
        die "loading the history failed"
    t2=$(date +%s.%N)
    log "soak: loaded in $(elapsed "$t1" "$t2") s"
    lines=$(for f in checks rollup_hourly rollup_daily rollup_hourly_total urls; do
        printf '"%s":%s,' "$f" "$(wc -l <"$dir/$f.tsv")"
    done | sed 's/,$//')
    jrow "{\"scenario\":\"soak_load\",\"days\":$d,\"n\":$N,\"gen_s\":$(elapsed "$t0" "$t1"),\"load_s\":$(elapsed "$t1" "$t2"),\"tsv_bytes\":$(du -sb "$dir" | cut -f1),\"lines\":{$lines}}"
    if [ "${SOAK_KEEP_DATA:-0}" != 1 ]; then rm -rf "$dir"; fi
    log "soak: MariaDB idle after $(wait_idle "$URLMON_STACK_DIR/mariadb.pid" 300) s"
    sizes "day$d"
}

# The history's URLs point nowhere: the same ids (1..N) become URLs on urlmon-target
# (200 ms answers, 2% failing in five ways, as bench/run.sh e2e), so the runs extend the
# history of the same URLs. Their interval is 60 s and the runs use 60-s slots
# (--interval 60): the runs follow each other within minutes instead of 10-minute slots.
target_urls() {
    local prefix=$WORK/soak/urls-n$N
    mkdir -p "$WORK/soak"
    python3 "$BENCH/gen.py" urls --n "$N" --delay 200 --fail-pct 2 --timeout-s "$E2E_TIMEOUT" \
        --port-base "$PORT_BASE" --tag e --tsv --out "$prefix"
    awk '{print NR "\t" $0}' "$prefix.tsv" >"$prefix.ids.tsv"
    sql --local-infile=1 <<SQL
SET SESSION unique_checks = 0;
LOAD DATA LOCAL INFILE '$prefix.ids.tsv' REPLACE INTO TABLE urls (id, name, url, regex, active, created_at, updated_at)
    SET check_interval = 60;
SQL
    # The history ends with a check of every URL in the slot it was generated in (some
    # dated up to 10 minutes ahead): those raw rows go, so that every URL is due.
    sql -e "DELETE FROM checks WHERE checked_at >= (SELECT MAX(started_at) FROM runs)"
    rm -f "$prefix".*
}

real_runs() {
    local k run_id counts line
    phase "runs"
    target_urls
    redis-cli -h 127.0.0.1 -p "$URLMON_STACK_REDIS_PORT" FLUSHALL >/dev/null
    start_soak_api
    eval "$(bash scripts/stack.sh env compute)"
    export DB_NAME=$SOAK_DB
    for k in $(seq 1 "$RUNS"); do
        # Runs of 60-s slots (--interval 60, the URLs' interval 60 s): a run starts in a
        # minute the previous one has not written in, so every URL is due again.
        sleep $((61 - $(date +%s) % 60))
        # Every cacheable answer cached before the run, as users would have them.
        for ep in "${CACHEABLE[@]}"; do one_get "http://127.0.0.1:$API_PORT$ep" >/dev/null; done
        warms0=$(metric urlmon_api_cache_warms_total)
        log "soak: run $k: urlmon-compute over $N URLs (200 ms, 2% failing), RETENTION_DAYS=$RUN_RETENTION"
        MEASURE_OPTS=(--stderr "$WORK/compute-soak.log")
        ALLOW_PRIVATE_TARGETS=1 TIMEOUT=$E2E_TIMEOUT CONCURRENCY=$E2E_CONCURRENCY \
            SPOOL_DIR=$WORK/spool LOG_LEVEL=info RETENTION_DAYS=$RUN_RETENTION \
            measure scenario=soak_run n="$N" run="$k" -- "$COMPUTE_BIN" --interval 60 >/dev/null ||
            log "soak: urlmon-compute failed (see $WORK/compute-soak.log)"
        MEASURE_OPTS=()
        warm_after_run "after-run$k" "$warms0"
        recompute "after-run$k"
        run_id=$(sql -N -e "SELECT MAX(id) FROM runs")
        counts=$(sql -N -e "SELECT COUNT(*), COUNT(DISTINCT url_id) FROM checks WHERE run_id = $run_id" | tr '\t' ',')
        line=$(grep -E 'run [0-9]+ (done|failed)|retention:|checks partitions' "$WORK/compute-soak.log" |
            python3 -c "import json,sys; print(json.dumps([l.rstrip() for l in sys.stdin]))")
        jrow "{\"scenario\":\"soak_run_verify\",\"run\":$k,\"run_id\":$run_id,\"rows\":${counts%,*},\"distinct\":${counts#*,},\"log\":$line}"
        cp "$WORK/compute-soak.log" "$OUT/compute-soak-run$k.log"
        sizes "after-run$k"
    done
    stop_pid "$API_PID"
}

loadavg_sampler() { # FILE: epoch and 1-minute load average every 5 s
    while :; do
        echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg)" >>"$1"
        sleep 5
    done
}

soak_main() {
    local d
    MODE=soak
    OUT=${SOAK_OUT:-$BENCH/out/soak}
    mkdir -p "$WORK" "$OUT"
    RESULTS=$OUT/soak.jsonl
    : >"$RESULTS"
    : >"$OUT/loadavg.tsv"
    printf '{"scenario":"soak_meta","commit":"%s","started":"%s","n":%s,"days":"%s","runs":%s,"wrk_s":%s,"cached_c":%s,"buffer_pool":"%s","nproc":%s,"reuse":"%s","run_retention_days":%s}\n' \
        "$(git rev-parse --short HEAD)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$N" "$DAYS" "$RUNS" \
        "$WRK_S" "$CACHED_C" "$POOL" "$(nproc)" "${SOAK_REUSE:-0}" "$RUN_RETENTION" >>"$RESULTS"
    install_and_build
    start_bg loadavg loadavg_sampler "$OUT/loadavg.tsv"
    start_target
    start_stack
    sql -e "SET GLOBAL innodb_buffer_pool_size = $(numfmt --from=iec "$POOL")"
    # migrate partitions the empty checks from RETENTION_DAYS back: day -37 on, so the
    # history's oldest day (-36) has its own partition for the runs' retention to drop.
    if [ "${SOAK_REUSE:-0}" != 1 ]; then
        sql -e "DROP DATABASE IF EXISTS $SOAK_DB" # its partitions are made from today back
    fi
    RETENTION_DAYS=37 use_db "$SOAK_DB"
    for d in $DAYS; do
        load_days "$d"
        api_figures "$d"
    done
    if [ "$RUNS" -gt 0 ]; then real_runs; fi
    python3 "$BENCH/soak_report.py" "$RESULTS" "$OUT/loadavg.tsv"
    log "soak: done in $(($(date +%s) - T_START)) s"
}

soak_main "$@"
