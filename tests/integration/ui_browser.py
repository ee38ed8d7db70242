#!/usr/bin/env python3
"""Browser test of the dashboard (GET /) and the API docs (GET /docs).

Real data: URLs added through urlmon-compute --data-path and checked by two real compute
runs against urlmon-target (tests/target/); then urlmon-api on a free port, and
tests/integration/ui_browser.mjs drives Debian's Chromium (headless, puppeteer-core from
tools/ui) through the pages. The script itself stops the URL "Flip"'s target and runs
compute twice mid-test (one failure leaves it up, the second, FAIL_THRESHOLD, makes it down
with an incident, shown without a reload), and stops urlmon-api at the end (the page must
say so). "Secure" is https, served here with a certificate made for the test that expires
in 3 days: its certificate days show highlighted and a cert_expiring incident is on its page
(CA_BUNDLE trusts that certificate only). Screenshots: $URLMON_UI_ARTIFACTS.
"""
import http.server
import os
import ssl
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import Api, OkHandler, reset  # noqa: E402
from ui_lib import Target, compute_run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def start_tls(tmp, days):
    """An https server on a free loopback port whose self-signed certificate for 127.0.0.1
    expires in `days` days; CA_BUNDLE (for the compute runs) trusts it."""
    pem, key = os.path.join(tmp, "tls.pem"), os.path.join(tmp, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", str(days), "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key,
                    "-out", pem], check=True, capture_output=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OkHandler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    os.environ["CA_BUNDLE"] = pem
    return srv


def main():
    reset()
    tgt = Target(["Alpha", "/a"], ["Beta slow", "/b?delay=120"], ["Gamma 503", "/c?status=503"],
                 ["Delta", "/d"], ["Epsilon 404", "/e?status=404"], ["Flip", "/f"],
                 ["Zeta regex", "/z?body=hello"], flip="Flip")
    tls = start_tls(tgt.tmp, 3)
    tgt.urls.append(("Secure", "https://127.0.0.1:%d/" % tls.server_address[1]))
    api = None
    rc = 1
    try:
        tgt.load_csv()
        compute_run()
        api = Api()
        env = dict(os.environ)
        env.update({"UI_BASE": "http://127.0.0.1:%d" % api.port, "UI_FLIP_PID": str(tgt.flip.pid),
                    "UI_API_PID": str(api.proc.pid)})
        os.makedirs(env.get("URLMON_UI_ARTIFACTS", "/tmp/urlmon-ui-artifacts"), exist_ok=True)
        p = subprocess.run([os.environ.get("URLMON_NODE", "node"),
                            os.path.join(HERE, "ui_browser.mjs")], env=env, timeout=600)
        rc = p.returncode
    finally:
        if api:
            st = api.stop()
            if st != 0:
                print("urlmon-api exit status %s\n%s" % (st, api.logs()))
                rc = 1
        tls.shutdown()
        tgt.stop()
    print("ui_browser: %s" % ("PASS" if rc == 0 else "FAIL"))
    sys.exit(rc)


if __name__ == "__main__":
    main()
