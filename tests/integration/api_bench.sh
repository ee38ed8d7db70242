#!/usr/bin/env bash
# Measures urlmon-api on the stack in $URLMON_STACK_DIR (fill it first with
# tests/integration/api_bench_data.sh): cached GETs with wrk against the same bytes from
# bench_bare_evhttp (one loop) and from api_bench_peer (evhttp + one async Redis GET per
# request, nothing else), and uncached (cache=false) latency of the statistics routes.
#
#   URLMON_STACK_DIR=... URLMON_STACK_DB_PORT=... URLMON_STACK_REDIS_PORT=... \
#       bash tests/integration/api_bench.sh BUILD_DIR [SECONDS] [CONNECTIONS] [UNCACHED_N]
# SECONDS=0 skips the wrk runs (each pair runs twice, alternating, to expose noise).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${1:?build directory}" && pwd)
SECS=${2:-10}
CONNS=${3:-100}
N=${4:-200}
PORT=${URLMON_BENCH_API_PORT:-18577}
BARE_PORT=${URLMON_BENCH_BARE_PORT:-18578}
eval "$(bash "$ROOT/scripts/stack.sh" env api)"
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

API_ADDRESS=127.0.0.1 API_PORT=$PORT LOG_LEVEL=warn "$BUILD/api/urlmon-api" 2>"$work/api.log" &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
path=/urls/top/success/hour
curl -fs "http://127.0.0.1:$PORT$path" >/dev/null
sleep 0.3
curl -fs -D "$work/headers" -o "$work/body" "http://127.0.0.1:$PORT$path"
grep -qi '^X-Cache: HIT' "$work/headers" || { echo "not cached"; exit 1; }

"$BUILD/bench/bench_bare_evhttp" --listen "127.0.0.1:$BARE_PORT" --body "$work/body" \
    --header "Content-Type: application/json" --header "Cache-Control: no-store" \
    --header "X-Cache: HIT" 2>/dev/null &
pids+=($!)
PEER_PORT=${URLMON_BENCH_PEER_PORT:-18579}
"$BUILD/tests/integration/api_bench_peer" "$PEER_PORT" "$CACHE_PORT" "urlmon:cache:$path" &
pids+=($!)
sleep 0.5

run_wrk() {
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$1" | tee -a "$work/wrk.txt" |
        awk '/Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2} /^ +50%/ {p50=$2}
             END {printf "%s req/s, p50 %s, p99 %s\n", rps, p50, p99}'
}
if [ "$SECS" != 0 ]; then
    echo "cached GET $path, wrk -t2 -c$CONNS -d${SECS}s:"
    for _ in 1 2; do
        echo "  bare evhttp             : $(run_wrk "http://127.0.0.1:$BARE_PORT$path")"
        echo "  evhttp + async Redis GET: $(run_wrk "http://127.0.0.1:$PEER_PORT$path")"
        echo "  urlmon-api              : $(run_wrk "http://127.0.0.1:$PORT$path")"
    done
fi

echo "uncached (cache=false), $N sequential requests each:"
python3 - "$PORT" "$N" <<'PY'
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for path in ("/urls/top/success/hour", "/urls/top/fail/hour", "/urls/top/success/week",
             "/urls/top/fail/week", "/urls/top/success/month", "/urls/top/fail/month",
             "/urls/summary"):
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        c.request("GET", path + "?cache=false")
        r = c.getresponse()
        r.read()
        t.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            sys.exit("%s: %d" % (path, r.status))
    t.sort()
    print("  %-26s p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms" %
          (path, t[len(t) // 2], t[min(len(t) - 1, (len(t) * 99 + 99) // 100 - 1)], t[-1]))
PY
