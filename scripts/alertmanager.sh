#!/usr/bin/env bash
# A private Prometheus Alertmanager (Debian's prometheus-alertmanager) on loopback, for the
# alerting tests, beside the MariaDB/Redis stack of scripts/stack.sh.
#
#   scripts/alertmanager.sh start|stop|status|url
#
# Data and its config live under $URLMON_STACK_DIR/alertmanager (default <repo>/.stack);
# the port comes from URLMON_AM_PORT (default 19093). Clustering is off and every alert
# goes to a receiver that sends nothing: the tests read GET /api/v2/alerts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${URLMON_STACK_DIR:-$ROOT/.stack}/alertmanager
PORT=${URLMON_AM_PORT:-19093}
PIDFILE=$DIR/alertmanager.pid

bin() {
    local b
    for b in prometheus-alertmanager alertmanager; do
        if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return; fi
    done
    echo "alertmanager.sh: prometheus-alertmanager not found (run scripts/install-deps.sh)" >&2
    exit 1
}

up() { curl -fsS -o /dev/null "http://127.0.0.1:$PORT/-/ready" 2>/dev/null; }
alive() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
    if alive && up; then return 0; fi
    mkdir -p "$DIR/data"
    cat >"$DIR/alertmanager.yml" <<'YML'
route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: blackhole
YML
    "$(bin)" --config.file="$DIR/alertmanager.yml" --storage.path="$DIR/data" \
        --web.listen-address="127.0.0.1:$PORT" --cluster.listen-address= \
        --log.level=warn >"$DIR/alertmanager.log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
        if up; then
            echo "alertmanager: on 127.0.0.1:$PORT (data in $DIR)"
            return 0
        fi
        if ! alive; then break; fi
        sleep 0.1
    done
    echo "alertmanager.sh: Alertmanager did not answer on 127.0.0.1:$PORT:" >&2
    cat "$DIR/alertmanager.log" >&2
    exit 1
}

stop() {
    local pid
    if ! alive; then rm -f "$PIDFILE"; return 0; fi
    pid=$(cat "$PIDFILE")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    rm -rf "$DIR/data" # alerts of one test session do not leak into the next
}

case "${1:-}" in
start) start ;;
stop) stop; echo "alertmanager: stopped" ;;
status) if alive && up; then echo "alertmanager: up on 127.0.0.1:$PORT"; else echo "alertmanager: down"; exit 1; fi ;;
url) echo "http://127.0.0.1:$PORT" ;;
*) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
