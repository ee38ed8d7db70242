#!/usr/bin/env bash
# Runs urlmon on this machine: installs packages, builds, starts the private MariaDB
# and Redis, migrates, then urlmon-api and urlmon-compute --run-local on
# data/urls.csv. Ctrl-C stops everything (the stack too).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DURLMON_WERROR=OFF >/dev/null
cmake --build build -j"$(nproc)"

bash scripts/stack.sh start
pids=()
stop_all() {
    trap - INT TERM EXIT
    echo "run: stopping"
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    bash scripts/stack.sh stop
}
trap stop_all INT TERM EXIT

# The compute user owns the schema; the API runs as its own read-mostly user.
eval "$(bash scripts/stack.sh env compute)"
./build/compute/urlmon-compute migrate

# The local run checks real public sites; ALLOW_PRIVATE_TARGETS stays 0 (SSRF guard on).
export API_PORT=${API_PORT:-8000} API_ADDRESS=${API_ADDRESS:-127.0.0.1}
export SPOOL_DIR=${SPOOL_DIR:-$ROOT/.stack/spool}
(eval "$(bash scripts/stack.sh env api)" && exec ./build/api/urlmon-api) &
pids+=($!)
./build/compute/urlmon-compute --run-local --data-path data/urls.csv &
pids+=($!)
echo "run: the API answers on http://$API_ADDRESS:$API_PORT (try /urls/summary); Ctrl-C stops"
wait -n "${pids[@]}" || true
