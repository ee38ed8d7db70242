#!/usr/bin/env bash
# Runs urlmon on this machine: installs packages, builds, starts the private MariaDB
# and Redis, migrates, then urlmon-api and urlmon-compute --service on
# data/urls.csv: each URL is checked at its own interval, and a URL POSTed to the API
# is checked within seconds. Ctrl-C stops everything (the stack too).
#
# Stopping runs to the end whatever signals arrive: a second Ctrl-C, or the SIGINT
# or SIGTERM `timeout` sends again, is ignored while the programs and the stack are
# being stopped, and the stop is done once however many times it is asked for.
#
#   URLMON_RUN_BUILD=DIR   use the binaries already built in DIR (no install, no build)
#   URLMON_RUN_DATA=FILE   the CSV to monitor (default data/urls.csv)
#   API_PORT, API_ADDRESS, SPOOL_DIR, URLMON_STACK_*: as everywhere else
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

build=${URLMON_RUN_BUILD:-}
if [ -z "$build" ]; then
    bash scripts/install-deps.sh
    build=build
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DURLMON_WERROR=OFF >/dev/null
    cmake --build "$build" -j"$(nproc)"
fi
data=${URLMON_RUN_DATA:-data/urls.csv}

pids=()
stopped=0
# Idempotent, and deaf to INT/TERM from its first line on: the programs get SIGTERM
# (SIGKILL after 30 s), then the stack is stopped; stack.sh inherits the ignored
# signals, so a Ctrl-C cannot cut it short either.
stop_all() {
    trap '' INT TERM
    if [ "$stopped" -eq 1 ]; then
        return 0
    fi
    stopped=1
    echo "run: stopping"
    local p i
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for i in $(seq 1 300); do
            kill -0 "$p" 2>/dev/null || break
            if [ "$i" -eq 300 ]; then
                echo "run: process $p did not stop in 30 s, killing it" >&2
                kill -KILL "$p" 2>/dev/null || true
            fi
            sleep 0.1
        done
        wait "$p" 2>/dev/null || true
    done
    bash scripts/stack.sh stop || echo "run: stopping the stack failed" >&2
    echo "run: stopped"
}
on_signal() {
    stop_all
    exit 130
}
trap on_signal INT TERM
trap stop_all EXIT

bash scripts/stack.sh start

# The compute user owns the schema; the API runs as its own read-mostly user.
eval "$(bash scripts/stack.sh env compute)"
"$build/compute/urlmon-compute" migrate

# The local run checks real public sites; ALLOW_PRIVATE_TARGETS stays 0 (SSRF guard on).
export API_PORT=${API_PORT:-8000} API_ADDRESS=${API_ADDRESS:-127.0.0.1}
export SPOOL_DIR=${SPOOL_DIR:-$ROOT/.stack/spool}
(eval "$(bash scripts/stack.sh env api)" && exec "$build/api/urlmon-api") &
pids+=($!)
"$build/compute/urlmon-compute" --service --data-path "$data" &
pids+=($!)
echo "run: the API answers on http://$API_ADDRESS:$API_PORT (try /urls/summary); Ctrl-C stops"
wait -n "${pids[@]}" || true
