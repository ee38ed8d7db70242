#!/usr/bin/env bash
# Integration: certificate expiry. A local TLS server with a certificate made here that
# expires in 3 days: the check records the expiry, one cert_expiring warning is raised
# (not repeated by the next run) and delivered with the right days left; a renewed
# certificate closes it (cert_renewed).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
here=$(dirname "$0")
tport=$((20000 + CACHE_PORT % 10000 + 47))
rport=$((20000 + CACHE_PORT % 10000 + 48))
pids=()
tls_pid=""
stop_tls() {
    if [ -n "$tls_pid" ]; then kill -TERM "$tls_pid" 2>/dev/null || true; wait "$tls_pid" 2>/dev/null || true; fi
    tls_pid=""
}
trap 'stop_tls; for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; cleanup' EXIT

# make_cert DAYS NAME: a self-signed certificate for 127.0.0.1 valid for DAYS days.
make_cert() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$1" \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$work/$2.key" -out "$work/$2.pem" 2>/dev/null
}
# start_tls NAME: an HTTPS server answering 200 with that certificate.
start_tls() {
    python3 - "$tport" "$work/$1.pem" "$work/$1.key" >"$work/tls.out" 2>&1 <<'PY' &
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True); srv.serve_forever()
PY
    tls_pid=$!
    for _ in $(seq 1 50); do
        if grep -q ready "$work/tls.out" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "TLS server did not start: $(cat "$work/tls.out")" >&2
    return 1
}
run() {
    next_slot
    compute
    if [ "$rc" -ne 0 ]; then
        bad "urlmon-compute exited $rc"
        cat "$work/out"
    fi
}

reset_all
make_cert 3 short
make_cert 90 long
cat "$work/short.pem" "$work/long.pem" >"$work/ca.pem"
export CA_BUNDLE=$work/ca.pem TIMEOUT=3
python3 "$here/alert_receiver.py" "$rport" "$work/hooks.jsonl" >"$work/recv.out" 2>&1 &
pids+=($!)
export WEBHOOK_URLS=http://127.0.0.1:$rport/ WEBHOOK_SECRET=k
start_tls short
made=$(date +%s)
add_url tls "https://127.0.0.1:$tport/"
run
expect_eq "the check succeeded over TLS" "$(sql "SELECT success FROM checks")" 1
expect_eq "expiry recorded on the check and the URL (3 days, +-2 min)" "$(sql "SELECT
    ABS(UNIX_TIMESTAMP(c.cert_expires_at) - $made - 3 * 86400) < 120
    AND c.cert_expires_at = u.cert_expires_at FROM checks c JOIN urls u ON u.id = c.url_id")" 1
expect_eq "one warning" "$(sql "SELECT CONCAT(COUNT(*), '/', MIN(kind), '/', MIN(closed_at IS NULL))
    FROM incidents")" "1/cert_expiring/1"
expect_eq "one event, delivered" "$(sql "SELECT CONCAT(type, '/', state) FROM outbox")" \
    "cert_expiring/sent"
expect_eq "webhook: days left 2 (3 days less a few seconds)" "$(python3 -c '
import json, sys
rows = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
print(" ".join("%s:%s" % (r["type"], r["cert_days_left"]) for r in rows))' "$work/hooks.jsonl")" \
    "cert_expiring:2"
run
expect_eq "the next run raises no second warning" "$(sql "SELECT COUNT(*) FROM outbox")" 1

stop_tls
start_tls long
run
expect_eq "renewed: the warning is closed" "$(sql "SELECT COUNT(*) FROM incidents
    WHERE closed_at IS NOT NULL")" 1
expect_eq "cert_renewed event" "$(sql "SELECT GROUP_CONCAT(type ORDER BY id) FROM outbox")" \
    "cert_expiring,cert_renewed"
expect_eq "URL row has the new expiry (90 days)" "$(sql "SELECT
    ABS(UNIX_TIMESTAMP(cert_expires_at) - $made - 90 * 86400) < 300 FROM urls")" 1
finish
