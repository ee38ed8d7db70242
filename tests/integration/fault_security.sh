#!/usr/bin/env bash
# Security: least privilege and the SSRF guard, end to end.
# 1. The MySQL users the stack creates (the same grants as docs/deployment.md): the API's
#    user can read and UPDATE urlmon's tables and nothing else (no INSERT, DELETE, DDL,
#    other databases, FILE); the compute user owns urlmon's schema and nothing beyond it.
# 2. With ALLOW_PRIVATE_TARGETS at its default (0), a run over loopback, private,
#    link-local and metadata addresses records every check as `blocked` without sending a
#    single request (the target's log stays empty), and the run itself completes.
#    (test_ssrf covers the address rules, test_engine the engine alone.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/fault_lib.sh"
reset_all
start_target --threads 1

as_user() { # as_user USER PASSWORD SQL: the statement's error (empty on success)
    mariadb --no-defaults -N -B -h"$DB_ADDRESS" -P"$DB_PORT" -u"$1" -p"$2" "$DB_NAME" -e "$3" \
        2>&1 >/dev/null | sed 's/^ERROR [0-9]* ([0-9A-Z]*) at line [0-9]*: //' || true
}
denied() { # denied WHAT USER PASSWORD SQL
    local what=$1 err
    err=$(as_user "$2" "$3" "$4")
    if grep -qi "denied" <<<"$err"; then ok "$what: denied"; else bad "$what: got '$err'"; fi
}
allowed() { # allowed WHAT USER PASSWORD SQL
    local err
    err=$(as_user "$2" "$3" "$4")
    expect_eq "$1: allowed" "${err:-ok}" ok
}
api=(urlmon_api urlmon-api-local)
cmp=(urlmon_compute urlmon-compute-local)
add_url p1 "$T/p/1"

allowed "api user SELECT" "${api[@]}" "SELECT COUNT(*) FROM urls"
allowed "api user UPDATE (DELETE /urls/{id})" "${api[@]}" "UPDATE urls SET active = active"
denied "api user INSERT" "${api[@]}" "INSERT INTO urls (name, url, created_at, updated_at)
    VALUES ('x', 'http://x/', NOW(), NOW())"
denied "api user DELETE" "${api[@]}" "DELETE FROM checks"
denied "api user DROP" "${api[@]}" "DROP TABLE checks"
denied "api user TRUNCATE" "${api[@]}" "TRUNCATE TABLE checks"
denied "api user CREATE" "${api[@]}" "CREATE TABLE evil (a INT)"
denied "api user ALTER" "${api[@]}" "ALTER TABLE urls ADD COLUMN evil INT"
denied "api user other database" "${api[@]}" "SELECT COUNT(*) FROM mysql.user"
denied "api user FILE" "${api[@]}" "SELECT 1 INTO OUTFILE '/tmp/urlmon-evil-$$'"
denied "api user GRANT" "${api[@]}" "GRANT SELECT ON urlmon.* TO 'urlmon_compute'@'127.0.0.1'"
denied "api user CREATE USER" "${api[@]}" "CREATE USER 'evil'@'%'"
allowed "compute user DML" "${cmp[@]}" "UPDATE urls SET active = active"
denied "compute user other database" "${cmp[@]}" "SELECT COUNT(*) FROM mysql.user"
denied "compute user FILE" "${cmp[@]}" "SELECT 1 INTO OUTFILE '/tmp/urlmon-evil-$$'"
denied "compute user GRANT" "${cmp[@]}" "GRANT SELECT ON urlmon.* TO 'urlmon_api'@'127.0.0.1'"
denied "compute user CREATE USER" "${cmp[@]}" "CREATE USER 'evil'@'%'"
denied "compute user SUPER" "${cmp[@]}" "SET GLOBAL max_connections = 1"
check "no OUTFILE written" test ! -e "/tmp/urlmon-evil-$$"
grants() { # grants USER PASSWORD: SHOW GRANTS without the USAGE line and the grantee
    mariadb --no-defaults -N -B -h"$DB_ADDRESS" -P"$DB_PORT" -u"$1" -p"$2" -e "SHOW GRANTS" |
        grep -v '^GRANT USAGE ON \*\.\* TO' | sed 's/ TO .*//'
}
expect_eq "api user: SELECT, UPDATE on urlmon only" "$(grants "${api[@]}")" \
    "GRANT SELECT, UPDATE ON \`urlmon\`.*"
# TRIGGER: `urlmon-compute partition-checks` mirrors writes into the new table while it copies
expect_eq "compute user: urlmon's DML and DDL only" "$(grants "${cmp[@]}")" \
    "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER, TRIGGER ON \`urlmon\`.*"

# The SSRF guard through the whole job: the default ALLOW_PRIVATE_TARGETS.
unset ALLOW_PRIVATE_TARGETS
export TIMEOUT=3 CONNECT_TIMEOUT=2
reset_all
port=$target_port
add_url loopback "$T/ssrf/1"
add_url localhost "http://localhost:$port/ssrf/2"
add_url loopback-v6 "http://[::1]:$port/ssrf/3"
add_url other-loopback "http://127.1.2.3:$port/ssrf/4"
add_url zero "http://0.0.0.0:$port/ssrf/5"
add_url metadata "http://169.254.169.254/latest/meta-data/"
add_url private10 "http://10.0.0.1/"
add_url private192 "http://192.168.0.1/"
add_url private172 "http://172.16.0.1/"
add_url cgnat "http://100.64.0.1/"
add_url v6-ula "http://[fd00::1]/"
add_url v6-mapped "http://[::ffff:127.0.0.1]:$port/ssrf/6"
add_url decimal "http://2130706433:$port/ssrf/7"
n=$(sql "SELECT COUNT(*) FROM urls")
compute
expect_eq "guarded run: exit status" "$rc" 0
[ "$rc" -eq 0 ] || tail -20 "$work/out"
expect_eq "every check recorded" "$(sql "SELECT COUNT(*) FROM checks")" "$n"
sql "SELECT u.name, c.error_class, c.response_ms, c.error_message FROM checks c
     JOIN urls u ON u.id = c.url_id ORDER BY u.id" | sed 's/^/  /'
expect_eq "every private target blocked" "$(sql "SELECT GROUP_CONCAT(u.name) FROM checks c
    JOIN urls u ON u.id = c.url_id WHERE NOT (c.error_class <=> 'blocked')")" NULL
settle_target_log
expect_eq "not one request reached the target" "$(wc -l <"$work/target.log" 2>/dev/null || echo 0)" 0
check_exactly_once "guarded run"
finish
