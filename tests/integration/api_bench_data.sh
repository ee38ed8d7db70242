#!/usr/bin/env bash
# Fills the stack's database with a benchmark data set for the API's uncached queries:
# N URLs (default 10000) checked every 10 minutes for D days (default 30) up to now, the
# raw checks plus rollup_hourly, rollup_daily and rollup_hourly_total derived from them
# by urlmon-rollup, the compute job's own rollup code (compute/rollup.c).
#
#   URLMON_STACK_DIR=... URLMON_STACK_DB_PORT=... URLMON_ROLLUP_BIN=BUILD/compute/urlmon-rollup \
#       bash tests/integration/api_bench_data.sh [N] [D]
#
# URLMON_BENCH_ROLLUPS_ONLY=1 keeps the checks and rebuilds only the rollups.
# Destroys the data in the stack's urlmon database. Each URL fails a share of its checks
# that depends on its id, so counts differ and many URLs tie.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${1:-10000}
D=${2:-30}
SLOTS=$((D * 144 + 6))
ROLLUP_BIN=${URLMON_ROLLUP_BIN:-$ROOT/build/compute/urlmon-rollup}
[ -x "$ROLLUP_BIN" ] || { echo "api_bench_data: no urlmon-rollup at $ROLLUP_BIN (set URLMON_ROLLUP_BIN)" >&2; exit 1; }
sql() { bash "$ROOT/scripts/stack.sh" sql "$@"; }

if [ "${URLMON_BENCH_ROLLUPS_ONLY:-0}" = 0 ]; then
sql <<SQL
SET SESSION time_zone = '+00:00';
DELETE FROM checks; DELETE FROM rollup_hourly; DELETE FROM rollup_daily;
DELETE FROM rollup_hourly_total; DELETE FROM urls;
INSERT INTO urls (id, name, url, regex, active, created_at, updated_at)
SELECT seq, CONCAT('site ', LPAD(seq MOD 5000, 5, '0')),
       CONCAT('https://site', seq, '.example.com/'), NULL, 1,
       UTC_TIMESTAMP(3) - INTERVAL $D + 1 DAY, UTC_TIMESTAMP(3) - INTERVAL $D + 1 DAY
FROM seq_1_to_$N;
SQL

# Raw checks in slices of 144 slots (one day) so each transaction stays small.
base=$(sql -N -e "SELECT UNIX_TIMESTAMP(UTC_TIMESTAMP()) DIV 600 * 600")
s=0
while [ "$s" -lt "$SLOTS" ]; do
    e=$((s + 143))
    sql <<SQL
SET SESSION time_zone = '+00:00';
INSERT INTO checks (url_id, run_id, checked_at, success, http_status, response_ms, error_class)
SELECT u.seq, 100000 - t.seq,
       FROM_UNIXTIME($base - t.seq * 600 + (u.seq MOD 599)),
       IF(((u.seq * 7919 + t.seq * 104729) MOD 1000) < (u.seq MOD 37) * 5, 0, 1),
       200, 50 + ((u.seq * 31 + t.seq * 17) MOD 400), NULL
FROM seq_1_to_$N u JOIN seq_${s}_to_${e} t
WHERE FROM_UNIXTIME($base - t.seq * 600 + (u.seq MOD 599)) <= UTC_TIMESTAMP();
SQL
    s=$((e + 1))
done
fi

# Rollups one day at a time (the day's checks through ix_checks_time): urlmon-rollup
# turns the checks into the job's own rollup upserts.
sql -e "DELETE FROM rollup_hourly; DELETE FROM rollup_daily; DELETE FROM rollup_hourly_total"
day=$((D + 1))
while [ "$day" -ge 0 ]; do
    sql -N -B -e "SET SESSION time_zone = '+00:00'; SET @d0 = UTC_DATE() - INTERVAL $day DAY;
SELECT url_id, ROUND(UNIX_TIMESTAMP(checked_at) * 1000), success, response_ms FROM checks
WHERE checked_at >= @d0 AND checked_at < @d0 + INTERVAL 1 DAY" | "$ROLLUP_BIN" | sql
    day=$((day - 1))
done
sql -e "ANALYZE TABLE checks, rollup_hourly, rollup_daily, rollup_hourly_total, urls"
echo "api_bench_data: $N URLs x $D days: $(sql -N -e 'SELECT COUNT(*) FROM checks') checks"
