#!/usr/bin/env bash
# bench/load_history.sh: generates a history with bench/gen.py history (its rollups made
# by urlmon-rollup, the compute job's own rollup code) and loads it into the private
# stack's database (scripts/stack.sh: URLMON_STACK_DIR, URLMON_STACK_DB_PORT,
# URLMON_STACK_DB_NAME), replacing what the tables held. Used by bench/run.sh (the API
# scenarios) and bench/ui_render.sh (the dashboard).
#
#   bench/load_history.sh DIR ROLLUP_BIN [gen.py history options: --urls N --days D
#                                          --hourly all|edges --raw-hours H]
#
# With BENCH_HISTORY_GENERATED=1, DIR already holds gen.py's files: only the load runs
# (bench/soak.sh times the two apart).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
d=${1:?usage: bench/load_history.sh DIR ROLLUP_BIN [gen.py history options]}
rollup_bin=${2:?usage: bench/load_history.sh DIR ROLLUP_BIN [gen.py history options]}
shift 2
sql() { bash "$ROOT/scripts/stack.sh" sql "$@"; }

if [ "${BENCH_HISTORY_GENERATED:-0}" != 1 ]; then
    python3 "$ROOT/bench/gen.py" history --rollup-bin "$rollup_bin" --out "$d" "$@" >&2
fi
sql <<'SQL'
TRUNCATE checks; TRUNCATE rollup_hourly; TRUNCATE rollup_daily; TRUNCATE rollup_hourly_total;
TRUNCATE result_batches; TRUNCATE runs; TRUNCATE run_locks; DELETE FROM urls;
SQL
# The big table in two halves of its key range (bucket first), each on its own
# connection, beside the small tables: the two cores append at two points.
half=$(($(wc -l <"$d/rollup_hourly.tsv") / 2))
head -n "$half" "$d/rollup_hourly.tsv" >"$d/rollup_hourly.1.tsv"
tail -n +$((half + 1)) "$d/rollup_hourly.tsv" >"$d/rollup_hourly.2.tsv"
sql --local-infile=1 -e "SET SESSION unique_checks = 0;
    LOAD DATA LOCAL INFILE '$d/rollup_hourly.2.tsv' INTO TABLE rollup_hourly" &
bg=$!
sql --local-infile=1 -e "SET SESSION unique_checks = 0;
    LOAD DATA LOCAL INFILE '$d/rollup_hourly.1.tsv' INTO TABLE rollup_hourly" &
bg2=$!
sql --local-infile=1 <<SQL
SET SESSION time_zone = '+00:00', unique_checks = 0;
LOAD DATA LOCAL INFILE '$d/urls.tsv' INTO TABLE urls (id, name, url, regex, active, created_at, updated_at);
LOAD DATA LOCAL INFILE '$d/runs.tsv' INTO TABLE runs (id, slot, status, started_at, finished_at, urls_total, urls_checked);
LOAD DATA LOCAL INFILE '$d/checks.tsv' INTO TABLE checks (url_id, run_id, checked_at, success, http_status, response_ms, error_class);
LOAD DATA LOCAL INFILE '$d/rollup_daily.tsv' INTO TABLE rollup_daily;
LOAD DATA LOCAL INFILE '$d/rollup_hourly_total.tsv' INTO TABLE rollup_hourly_total;
SQL
wait "$bg" || { echo "load_history: loading rollup_hourly failed" >&2; exit 1; }
wait "$bg2" || { echo "load_history: loading rollup_hourly failed" >&2; exit 1; }
rm -f "$d/rollup_hourly.1.tsv" "$d/rollup_hourly.2.tsv"
sql -e "ANALYZE TABLE urls, runs, checks, rollup_hourly, rollup_daily, rollup_hourly_total" >/dev/null
