#!/usr/bin/env python3
"""Integration: POST /urls, a compute run ($URLMON_COMPUTE_BIN), then the URL in the API.

The names, URLs and regexes carry SQL-injection text; they must come back byte for byte
and every table must stay intact. A compute run drains urlmon:queue, checks the URLs (a
local HTTP target; ALLOW_PRIVATE_TARGETS=1 in the test environment), writes results and
rollups and deletes the cached answers. DELETE then re-POST reactivates the URL.
"""
import http.server
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import Api, check, eq, mysql, redis, reset, run_tests  # noqa: E402

API = None
TARGET = None
INJECT_NAME = "Robert'); DROP TABLE urls; -- \"quoted\" \\ back"
INJECT_REGEX = "hello|'; DELETE FROM checks; --"


class Target(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        body = b"hello urlmon"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def compute_run():
    p = subprocess.run([os.environ["URLMON_COMPUTE_BIN"], "--interval", "1"],
                       capture_output=True, text=True, timeout=300)
    eq(p.returncode, 0, "urlmon-compute run (stderr: %s)" % p.stderr[-2000:])
    time.sleep(1.1)  # the next run falls into a new one-second slot


def post(name, url, regex=None):
    doc = {"name": name, "url": url}
    if regex is not None:
        doc["regex"] = regex
    st, _, body = API.request("POST", "/urls", body=json.dumps(doc),
                              headers={"Content-Type": "application/json"})
    eq(st, 202, "POST %s: %r" % (name, body))
    return json.loads(body)


def test_post_then_run():
    base = "http://127.0.0.1:%d" % TARGET.server_address[1]
    a = post(INJECT_NAME, base + "/a?q='%20OR%20'1'='1", INJECT_REGEX)
    eq((a["status"], a["url"], a["regex"]), ("queued", base + "/a?q='%20OR%20'1'='1", INJECT_REGEX),
       "POST answer")
    b = post("plain", base.upper().replace("HTTP", "http") + "/b")
    eq(b["url"], base + "/b", "canonical url")
    API.get_json("/urls/summary")
    time.sleep(0.2)
    eq(redis("EXISTS", "urlmon:cache:/urls/summary").split()[-1], "1", "cached before the run")
    compute_run()
    eq(redis("LLEN", "urlmon:queue").split()[-1], "0", "queue drained")
    eq(redis("EXISTS", "urlmon:cache:/urls/summary").split()[-1], "0", "cache cleared by the run")
    page, _ = API.get_json("/urls")
    got = {u["name"]: u for u in page["items"]}
    eq(set(got), {INJECT_NAME, "plain"}, "names byte for byte")
    eq((got[INJECT_NAME]["url"], got[INJECT_NAME]["regex"], got[INJECT_NAME]["active"]),
       (base + "/a?q='%20OR%20'1'='1", INJECT_REGEX, True), "stored entry")
    d, _ = API.get_json("/urls/%d" % got[INJECT_NAME]["id"])
    check(d["latest_check"] is not None, "a check was stored")
    eq((d["latest_check"]["success"], d["latest_check"]["regex_matched"]), (True, True),
       "the check")
    top, _ = API.get_json("/urls/top/success/hour")
    eq(sorted(e["name"] for e in top), sorted([INJECT_NAME, "plain"]), "top after the run")
    eq(mysql("SELECT COUNT(*) FROM urls; SELECT COUNT(*) >= 2 FROM checks;"), [["2"], ["1"]],
       "tables intact")


def test_delete_then_readd():
    page, _ = API.get_json("/urls")
    plain = [u for u in page["items"] if u["name"] == "plain"][0]
    st, _, _ = API.request("DELETE", "/urls/%d" % plain["id"])
    eq(st, 200, "DELETE")
    page, _ = API.get_json("/urls?active=true")
    eq([u["name"] for u in page["items"]], [INJECT_NAME], "only the other one active")
    post("plain again", plain["url"])
    compute_run()
    d, _ = API.get_json("/urls/%d" % plain["id"])
    eq((d["active"], d["name"]), (True, "plain again"), "reactivated by re-adding")


def main():
    global API, TARGET
    reset()
    TARGET = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=TARGET.serve_forever, daemon=True).start()
    # test_post_then_run sees the run's delete in Redis; with the warm the answers would be
    # back within ms (api_warm tests that).
    API = Api(CACHE_WARM=0)
    try:
        run_tests([test_post_then_run, test_delete_then_readd])
    finally:
        TARGET.shutdown()
        API.stop_checked()


if __name__ == "__main__":
    main()
