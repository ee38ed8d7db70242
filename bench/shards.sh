#!/usr/bin/env bash
# bench/shards.sh: K urlmon-compute processes, one per shard (--shard k/K), started together
# against one MariaDB and the target server, split one URL list: no URL checked twice, none
# missed, and the total rate for each K (docs/scaling.md uses the figures).
#
#   bench/shards.sh            # N=20,000 URLs, 200 ms answers, CONCURRENCY=300 per process,
#                              # K = 1 2 4, BENCH_REPS (2) runs each
#
# Environment (besides bench/run.sh's BENCH_* settings, whose functions this script uses):
#   SHARDS_N=20000 SHARDS_DELAY_MS=200 SHARDS_CONCURRENCY=300 SHARDS_K="1 2 4"
# Results: bench/out/shards/shards.jsonl; a Markdown table on stdout.
#
# At 200 ms an answer, one process at CONCURRENCY=300 waits on the network (ideal 1,500
# checks/s): K processes should approach K x 1,500/s until the two cores are busy, which is
# how shards behave on separate ECS tasks. Each process keeps its own shard lease.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/run.sh
source "$ROOT/bench/run.sh"

N=${SHARDS_N:-20000}
DELAY=${SHARDS_DELAY_MS:-200}
CONC=${SHARDS_CONCURRENCY:-300}
KS=${SHARDS_K:-1 2 4}
REPS=${BENCH_REPS:-2}

shards_main() {
    local prefix k rep counts rows distinct runs
    MODE=shards
    OUT=$BENCH/out/shards
    mkdir -p "$WORK" "$OUT"
    RESULTS=$OUT/shards.jsonl
    : >"$RESULTS"
    install_and_build
    start_target
    start_stack
    use_db urlmon_bench_shards
    prefix=$WORK/urls/shards-n$N-d$DELAY
    mkdir -p "$WORK/urls"
    python3 "$BENCH/gen.py" urls --n "$N" --delay "$DELAY" --port-base "$PORT_BASE" \
        --tag s --tsv --out "$prefix"
    sql --local-infile=1 <<SQL
DELETE FROM urls;
LOAD DATA LOCAL INFILE '$prefix.tsv' INTO TABLE urls (name, url, regex, active, created_at, updated_at);
SQL
    for k in $KS; do
        for rep in $(seq 1 "$REPS"); do
            e2e_reset
            log "shards: K=$k processes over $N URLs (${DELAY} ms, CONCURRENCY=$CONC each), rep $rep"
            MEASURE_OPTS=(--procs "$k" --stderr "$WORK/compute-shard-{i}.log")
            ALLOW_PRIVATE_TARGETS=1 TIMEOUT=10 CONCURRENCY=$CONC SPOOL_DIR=$WORK/spool \
                LOG_LEVEL=info measure scenario=shards k="$k" n="$N" rep="$rep" -- \
                "$COMPUTE_BIN" --shard "{i}/$k" >/dev/null ||
                log "shards: a process failed (see $WORK/compute-shard-*.log)"
            counts=$(sql -N -e "SELECT COUNT(*), COUNT(DISTINCT url_id),
                (SELECT COUNT(*) FROM runs WHERE status = 'done') FROM checks" | tr '\t' ',')
            IFS=, read -r rows distinct runs <<<"$counts"
            log "shards: K=$k: rows $rows, distinct URLs $distinct of $N, runs done $runs"
            echo "{\"scenario\":\"shards_verify\",\"k\":$k,\"rep\":$rep,\"rows\":$rows,\"distinct\":$distinct,\"runs_done\":$runs}" >>"$RESULTS"
        done
    done
    MEASURE_OPTS=()
    python3 - "$RESULTS" "$N" "$DELAY" "$CONC" <<'PY'
import json, statistics, sys
path, n, delay, conc = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rows = [json.loads(l) for l in open(path)]
runs = [r for r in rows if r.get("scenario") == "shards"]
ver = [r for r in rows if r.get("scenario") == "shards_verify"]
print("| K processes | checks/s (median [min-max]) | vs K=1 | CPU ms / 1,000 checks | peak RSS per process MB | load before | rows / distinct / N, runs done |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
base = None
for k in sorted({int(r["k"]) for r in runs}):
    rs = [r for r in runs if int(r["k"]) == k]
    rate = [n / r["wall_s"] for r in rs]
    cpu = [(r["user_s"] + r["sys_s"]) * 1e6 / n for r in rs]  # ms per 1,000 checks
    med = statistics.median(rate)
    if base is None:
        base = med
    vs = [v for v in ver if int(v["k"]) == k]
    ok = all(v["rows"] == n and v["distinct"] == n and v["runs_done"] == k for v in vs)
    print("| %d | %s [%s-%s] | %.2fx | %.0f | %.1f | %.1f | %s (%d of %d runs) |" % (
        k, format(round(med), ","), format(round(min(rate)), ","), format(round(max(rate)), ","),
        med / base, statistics.median(cpu),
        statistics.median([r["max_rss_kb"] for r in rs]) / 1024,
        statistics.median([r["loadavg1_before"] for r in rs]),
        "%s / %s / %d, %s" % (vs[-1]["rows"], vs[-1]["distinct"], n, vs[-1]["runs_done"]) if vs else "?",
        sum(1 for v in vs if v["rows"] == n and v["distinct"] == n and v["runs_done"] == k), len(vs)))
print()
print("N=%s URLs, %s ms answers, CONCURRENCY=%d per process; exactly once = every URL in "
      "`checks` once and one run row per shard." % (format(n, ","), delay, conc))
PY
}

shards_main "$@"
