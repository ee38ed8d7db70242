#!/usr/bin/env bash
# A private MariaDB and Redis for this checkout, run as the current user, on loopback.
#
#   scripts/stack.sh start|stop|status|env [api|compute]|restart-db|kill-db|start-db|stop-redis|start-redis
#
# Data lives under $URLMON_STACK_DIR (default: <repo>/.stack, git-ignored). Ports come
# from URLMON_STACK_DB_PORT (default 33061) and URLMON_STACK_REDIS_PORT (63791).
# `env` prints export lines for every variable the programs read, for the compute
# user (default) or the API user: eval "$(scripts/stack.sh env)".
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${URLMON_STACK_DIR:-$ROOT/.stack}
DB_PORT=${URLMON_STACK_DB_PORT:-33061}
REDIS_PORT=${URLMON_STACK_REDIS_PORT:-63791}
DB_NAME=${URLMON_STACK_DB_NAME:-urlmon}
API_PASSWORD=urlmon-api-local
COMPUTE_PASSWORD=urlmon-compute-local
ME=$(id -un)

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
SOCK=$DIR/mysql.sock

mariadb_bin() {
    local b
    for b in mariadbd mysqld; do
        if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return; fi
        if [ -x "/usr/sbin/$b" ]; then echo "/usr/sbin/$b"; return; fi
    done
    echo "stack: mariadbd not found (run scripts/install-deps.sh)" >&2
    exit 1
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

db_client() { mariadb --no-defaults --protocol=socket --socket="$SOCK" -u "$ME" "$@"; }

db_up() { mariadb-admin --no-defaults --protocol=socket --socket="$SOCK" -u "$ME" ping >/dev/null 2>&1; }

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

wait_for() {
    local what=$1 check=$2 i
    for i in $(seq 1 300); do
        if $check; then return 0; fi
        sleep 0.1
        if [ "$i" -eq 300 ]; then
            echo "stack: $what did not answer within 30 s (see $DIR/*.log)" >&2
            return 1
        fi
    done
}

start_db() {
    if pid_alive "$DIR/mariadb.pid" && db_up; then return 0; fi
    if [ ! -d "$DIR/mysql-data/mysql" ]; then
        echo "stack: initialising MariaDB data in $DIR/mysql-data"
        rm -rf "$DIR/mysql-data"
        # --skip-name-resolve: no host name lookups (a machine without /etc/hosts or DNS
        # cannot resolve even its own name); grants use addresses only.
        mariadb-install-db --no-defaults --datadir="$DIR/mysql-data" --user="$ME" \
            --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
            >"$DIR/mariadb-init.log" 2>&1 || {
            echo "stack: mariadb-install-db failed:" >&2; cat "$DIR/mariadb-init.log" >&2; exit 1; }
    fi
    "$(mariadb_bin)" --no-defaults --datadir="$DIR/mysql-data" --user="$ME" \
        --bind-address=127.0.0.1 --port="$DB_PORT" --socket="$SOCK" \
        --pid-file="$DIR/mariadb.pid" --log-error="$DIR/mariadb.log" \
        --innodb-buffer-pool-size=512M --innodb-log-file-size=256M \
        --innodb-flush-log-at-trx-commit=2 --max-connections=500 \
        --local-infile=1 --skip-name-resolve --default-time-zone=+00:00 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_bin >/dev/null 2>&1 &
    wait_for MariaDB db_up
}

setup_db() {
    db_client <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'urlmon_compute'@'127.0.0.1' IDENTIFIED BY '$COMPUTE_PASSWORD';
CREATE USER IF NOT EXISTS 'urlmon_compute'@'localhost' IDENTIFIED BY '$COMPUTE_PASSWORD';
CREATE USER IF NOT EXISTS 'urlmon_api'@'127.0.0.1' IDENTIFIED BY '$API_PASSWORD';
CREATE USER IF NOT EXISTS 'urlmon_api'@'localhost' IDENTIFIED BY '$API_PASSWORD';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, TRIGGER
    ON \`$DB_NAME\`.* TO 'urlmon_compute'@'127.0.0.1', 'urlmon_compute'@'localhost';
GRANT SELECT, UPDATE ON \`$DB_NAME\`.* TO 'urlmon_api'@'127.0.0.1', 'urlmon_api'@'localhost';
FLUSH PRIVILEGES;
SQL
}

start_redis() {
    if pid_alive "$DIR/redis.pid" && redis_up; then return 0; fi
    mkdir -p "$DIR/redis-data"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DIR/redis-data" \
        --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" \
        --appendonly yes --appendfsync everysec --save "" >/dev/null
    wait_for Redis redis_up
}

stop_pidfile() {
    local pidfile=$1 name=$2 pid i
    if ! pid_alive "$pidfile"; then rm -f "$pidfile"; return 0; fi
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 300); do
        if ! kill -0 "$pid" 2>/dev/null; then break; fi
        sleep 0.1
        if [ "$i" -eq 300 ]; then
            echo "stack: $name did not stop in 30 s, killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    rm -f "$pidfile"
}

print_env() {
    local role=${1:-compute} user password
    if [ "$role" = api ]; then
        user=urlmon_api; password=$API_PASSWORD
    else
        user=urlmon_compute; password=$COMPUTE_PASSWORD
    fi
    cat <<ENV
export DB_ADDRESS=127.0.0.1
export DB_PORT=$DB_PORT
export DB_USER=$user
export DB_PASSWORD=$password
export DB_NAME=$DB_NAME
export CACHE_ADDRESS=127.0.0.1
export CACHE_PORT=$REDIS_PORT
export URLMON_STACK_DIR=$DIR
export URLMON_STACK_DB_PORT=$DB_PORT
export URLMON_STACK_REDIS_PORT=$REDIS_PORT
ENV
}

case "${1:-}" in
start)
    start_db
    setup_db
    start_redis
    echo "stack: MariaDB on 127.0.0.1:$DB_PORT, Redis on 127.0.0.1:$REDIS_PORT (data in $DIR)"
    ;;
stop)
    stop_pidfile "$DIR/redis.pid" Redis
    stop_pidfile "$DIR/mariadb.pid" MariaDB
    echo "stack: stopped"
    ;;
status)
    rc=0
    if pid_alive "$DIR/mariadb.pid" && db_up; then echo "MariaDB: up on $DB_PORT"; else echo "MariaDB: down"; rc=1; fi
    if pid_alive "$DIR/redis.pid" && redis_up; then echo "Redis: up on $REDIS_PORT"; else echo "Redis: down"; rc=1; fi
    exit $rc
    ;;
env) print_env "${2:-compute}" ;;
sql) shift; db_client "$DB_NAME" "$@" ;;
kill-db)
    if pid_alive "$DIR/mariadb.pid"; then kill -KILL "$(cat "$DIR/mariadb.pid")"; fi
    for _ in $(seq 1 100); do pid_alive "$DIR/mariadb.pid" || break; sleep 0.1; done
    rm -f "$DIR/mariadb.pid"
    ;;
start-db) start_db ;;
stop-db) stop_pidfile "$DIR/mariadb.pid" MariaDB ;;
stop-redis) stop_pidfile "$DIR/redis.pid" Redis ;;
start-redis) start_redis ;;
*)
    echo "usage: $0 start|stop|status|env [api|compute]|sql|kill-db|start-db|stop-db|stop-redis|start-redis" >&2
    exit 2
    ;;
esac
