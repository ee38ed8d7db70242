#!/usr/bin/env bash
# bench/ui_render.sh: the dashboard's first render with 10,000 URLs (issue 16's goal:
# under 1 s on this machine), in Debian's headless Chromium against the real urlmon-api.
#
#   bench/ui_render.sh [REPS]      # default 5 (after one warm-up load)
#
# Starts a private MariaDB + Redis (scripts/stack.sh; data in bench/work/stack-ui), fills
# it with 10,000 URLs checked every 10 minutes for 30 days (bench/load_history.sh: gen.py
# history, whose rollups urlmon-rollup makes with the compute job's own code; hourly
# rollups for every hour, daily ones for every day, the raw checks of the past 24 hours),
# runs urlmon-api on a free loopback port and bench/ui_render.mjs (cold, warm, and after
# a write as a compute run makes). Prints one JSON line per load and a SUMMARY line;
# BENCHMARKS.md ("Dashboard") records the numbers.
#
# Environment: BENCH_BUILD_DIR (build-bench; built here unless BENCH_SKIP_BUILD=1),
# BENCH_UI_KEEP_DATA=1 (reuse the data of a previous run), BENCH_KEEP_STACK=1,
# BENCH_UI_DB_PORT=33682, BENCH_UI_REDIS_PORT=64412, BENCH_UI_URLS=10000, BENCH_UI_DAYS=30.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
REPS=${1:-5}
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
export URLMON_STACK_DIR=${URLMON_STACK_DIR:-$ROOT/bench/work/stack-ui}
export URLMON_STACK_DB_PORT=${BENCH_UI_DB_PORT:-33682}
export URLMON_STACK_REDIS_PORT=${BENCH_UI_REDIS_PORT:-64412}

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD" -j2 --target urlmon-api urlmon-compute urlmon-rollup >/dev/null
fi

api_pid=""
cleanup() {
    if [ -n "$api_pid" ]; then
        kill -TERM "$api_pid" 2>/dev/null || true
        wait "$api_pid" 2>/dev/null || true
    fi
    if [ "${BENCH_KEEP_STACK:-0}" != 1 ]; then
        bash scripts/stack.sh stop >/dev/null || true
    fi
}
trap cleanup EXIT

bash scripts/stack.sh start >/dev/null
eval "$(bash scripts/stack.sh env compute)"
"$BUILD/compute/urlmon-compute" migrate >/dev/null
if [ "${BENCH_UI_KEEP_DATA:-0}" != 1 ]; then
    start=$(date +%s)
    bash bench/load_history.sh "$ROOT/bench/work/history-ui" "$BUILD/compute/urlmon-rollup" \
        --urls "${BENCH_UI_URLS:-10000}" --days "${BENCH_UI_DAYS:-30}" --hourly all --raw-hours 24
    echo "ui_render: data made in $(($(date +%s) - start)) s" >&2
fi
# The history is written without the job's alerting step, so give the URLs states and
# certificates the way it would have (docs/alerting.md): down when the latest check failed
# (since that check), up otherwise (since the first check of the past day, here); every URL
# is https, its certificate expiring in -2..87 days (so some warn, a few expired).
bash scripts/stack.sh sql -e "UPDATE urls u JOIN (SELECT c.url_id, c.checked_at, c.success
    FROM (SELECT url_id, MAX(checked_at) AS t FROM checks GROUP BY url_id) m
    JOIN checks c ON c.url_id = m.url_id AND c.checked_at = m.t) l ON l.url_id = u.id
  SET u.state = IF(l.success, 'up', 'down'),
      u.state_since = IF(l.success, UTC_TIMESTAMP(3) - INTERVAL 1 DAY, l.checked_at),
      u.cert_expires_at = UTC_TIMESTAMP() + INTERVAL (CAST(u.id * 7919 % 90 AS SIGNED) - 2) DAY"
bash scripts/stack.sh sql -N -e "SELECT CONCAT(COUNT(*), ' active URLs') FROM urls WHERE active = 1;
    SELECT CONCAT(COUNT(*), ' checks in the past 24 h') FROM checks WHERE checked_at >= UTC_TIMESTAMP() - INTERVAL 1 DAY;
    SELECT CONCAT(COUNT(*), ' hourly rollups, ', COUNT(DISTINCT bucket), ' hours') FROM rollup_hourly;
    SELECT CONCAT(COUNT(*), ' daily rollups, ', COUNT(DISTINCT bucket), ' days') FROM rollup_daily" >&2

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
eval "$(bash scripts/stack.sh env api)"
API_ADDRESS=127.0.0.1 API_PORT=$port LOG_LEVEL=warn "$BUILD/api/urlmon-api" >"$URLMON_STACK_DIR/api-ui-bench.log" 2>&1 &
api_pid=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null
echo "ui_render: $(nproc) cores, $(chromium --version 2>/dev/null), node $(node --version)" >&2
# "After a run": one check of URL 1 written as the job writes it (its rollups made by
# urlmon-rollup, in the current hour and today) and the API's Redis answers deleted as
# the job deletes them at the end of a run, so every answer the page asks for is built again.
rcli="redis-cli -h 127.0.0.1 -p $URLMON_STACK_REDIS_PORT"
after_run="printf '1\\t%s\\t1\\t100\\n' \$(date +%s%3N) | '$BUILD/compute/urlmon-rollup' | bash scripts/stack.sh sql &&
  $rcli --scan --pattern 'urlmon:cache:*' | xargs -r $rcli DEL >/dev/null"
echo "ui_render: load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
UI_BASE="http://127.0.0.1:$port" UI_AFTER_RUN=$after_run node bench/ui_render.mjs "$REPS"
echo "ui_render: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
