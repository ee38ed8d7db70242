#!/usr/bin/env bash
# Integration: DB_TLS / DB_TLS_CA (issue 17 item 5). A second MariaDB, started here on
# DB_PORT + 10 (URLMON_TEST_TLS_DB_PORT), serves TLS with a certificate made in this
# test (its own CA, SAN IP:127.0.0.1) and require_secure_transport=ON, as RDS does with
# the parameter group of terraform/rds.tf. Then:
#   - DB_TLS=1 + DB_TLS_CA=that CA: urlmon-compute migrate and urlmon-api connect
#     (/status says mysql ok) and the server sees an encrypted session;
#   - DB_TLS=0: the server refuses the plain connection (what RDS now does);
#   - DB_TLS=1 with another CA: refused (the certificate is verified, not just used);
#   - DB_TLS=1 against the stack's MariaDB, which has no TLS: refused, no downgrade;
#   - DB_TLS_CA unreadable, or set without DB_TLS=1: a configuration error naming it.
set -euo pipefail
: "${URLMON_COMPUTE_BIN:?}" "${URLMON_API_BIN:?}" "${DB_PORT:?}"
TLS_PORT=${URLMON_TEST_TLS_DB_PORT:-$((DB_PORT + 10))}
ME=$(id -un)
work=$(mktemp -d /tmp/urlmon-db-tls-XXXXXX)
pass=0
fail=0
db_pid=""
api_pid=""
cleanup() {
    if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
    if [ -n "$db_pid" ]; then kill "$db_pid" 2>/dev/null || true; wait "$db_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# --- certificates: a CA, a server certificate for 127.0.0.1 it signs, another CA ----
cd "$work"
mkcert() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$1.key" -out "$1.pem" 2>/dev/null
}
mkcert urlmon-test-ca
mkcert other-ca
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA urlmon-test-ca.pem -CAkey urlmon-test-ca.key \
    -CAcreateserial -days 2 -extfile server.ext -out server.pem 2>/dev/null

# --- a MariaDB that serves TLS and requires it --------------------------------------
mariadb-install-db --no-defaults --datadir="$work/data" --user="$ME" \
    --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
    >"$work/install.log" 2>&1
"$(command -v mariadbd || echo /usr/sbin/mariadbd)" --no-defaults --datadir="$work/data" \
    --user="$ME" --bind-address=127.0.0.1 --port="$TLS_PORT" --socket="$work/sock" \
    --pid-file="$work/db.pid" --log-error="$work/db.log" --skip-name-resolve \
    --innodb-buffer-pool-size=32M --default-time-zone=+00:00 \
    --ssl-ca="$work/urlmon-test-ca.pem" --ssl-cert="$work/server.pem" --ssl-key="$work/server.key" \
    --require-secure-transport=ON >/dev/null 2>&1 &
db_pid=$!
root() { mariadb --no-defaults --protocol=socket --socket="$work/sock" -u "$ME" -N -B "$@"; }
for _ in $(seq 1 300); do
    root -e 'SELECT 1' >/dev/null 2>&1 && break
    kill -0 "$db_pid" 2>/dev/null || break # it stopped (port taken?): its log says why
    sleep 0.1
done
root -e 'SELECT 1' >/dev/null || { cat "$work/db.log"; exit 1; }
root <<'SQL'
CREATE DATABASE urlmon_tls CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'urlmon_tls'@'127.0.0.1' IDENTIFIED BY 'tls-test-pw';
GRANT ALL ON urlmon_tls.* TO 'urlmon_tls'@'127.0.0.1';
SQL
export DB_ADDRESS=127.0.0.1 DB_PORT="$TLS_PORT" DB_USER=urlmon_tls DB_PASSWORD=tls-test-pw \
    DB_NAME=urlmon_tls SPOOL_DIR="$work/spool"

run() { # run NAME WANT_RC PATTERN ENV... : urlmon-compute migrate with ENV
    local name=$1 want=$2 pattern=$3 out rc=0
    shift 3
    out=$(env "$@" "$URLMON_COMPUTE_BIN" migrate 2>&1 </dev/null) || rc=$?
    if { [ "$want" = 0 ] && [ "$rc" -eq 0 ]; } || { [ "$want" != 0 ] && [ "$rc" -ne 0 ]; }; then
        if grep -Eq -- "$pattern" <<<"$out"; then ok "$name"; return; fi
    fi
    bad "$name: exit $rc, want $want and /$pattern/: $out"
}
run "DB_TLS=0: the server refuses the plain connection" 1 "insecure transport|Access denied" DB_TLS=0
run "DB_TLS=1 with another CA: certificate refused" 1 "cannot connect to MySQL" \
    DB_TLS=1 DB_TLS_CA="$work/other-ca.pem"
run "DB_TLS=1 + DB_TLS_CA: migrate over TLS" 0 "" DB_TLS=1 DB_TLS_CA="$work/urlmon-test-ca.pem"
run "DB_TLS_CA unreadable: configuration error" 1 "DB_TLS_CA: cannot read" \
    DB_TLS=1 DB_TLS_CA="$work/nope.pem"
run "DB_TLS_CA without DB_TLS=1: configuration error" 1 "DB_TLS_CA: is set but DB_TLS is 0" \
    DB_TLS=0 DB_TLS_CA="$work/urlmon-test-ca.pem"
tables=$(root -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'urlmon_tls'")
if [ "$tables" -gt 0 ]; then ok "the schema was created over TLS ($tables tables)"; else bad "no tables"; fi
# The stack's MariaDB serves no TLS: DB_TLS=1 must not fall back to plain text.
run "DB_TLS=1 against a server without TLS: refused" 1 "cannot connect to MySQL|not encrypted" \
    DB_TLS=1 DB_PORT="${URLMON_STACK_DB_PORT:-$((TLS_PORT - 10))}"

# --- urlmon-api over TLS: /status sees MySQL -----------------------------------------
api_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DB_TLS=1 DB_TLS_CA="$work/urlmon-test-ca.pem" API_ADDRESS=127.0.0.1 API_PORT="$api_port" \
    LOG_LEVEL=warn "$URLMON_API_BIN" >"$work/api.log" 2>&1 &
api_pid=$!
status=""
for _ in $(seq 1 100); do
    status=$(curl -s "http://127.0.0.1:$api_port/status" || true)
    case "$status" in *'"mysql":"ok"'*) break ;; esac
    sleep 0.1
done
case "$status" in
*'"mysql":"ok"'*) ok "urlmon-api with DB_TLS=1: /status mysql ok" ;;
*) bad "urlmon-api with DB_TLS=1: /status $status; $(cat "$work/api.log")" ;;
esac
cipher=$(root -e "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'urlmon_tls'")
sessions=$(root -e "SHOW GLOBAL STATUS LIKE 'Ssl_accepts'" | awk '{print $2}')
if [ "${sessions:-0}" -gt 0 ]; then ok "the server accepted TLS sessions ($sessions; $cipher open)"; else bad "Ssl_accepts is ${sessions:-empty}"; fi

echo "db_tls: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
