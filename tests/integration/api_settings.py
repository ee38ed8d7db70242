#!/usr/bin/env python3
"""Integration: each URL's settings (name, regex, interval) through the API (issue 14).

POST /urls with an interval (bounds MIN_INTERVAL..MAX_INTERVAL, named in the 400), the
queue entry carrying it into MySQL through a compute run, an old queue entry without one
still stored (600), adding a known URL again updating and reactivating that row (keeping
its interval when none is given), PUT and PATCH /urls/{id} taking effect in MySQL (merge
patch: null clears the regex), 404 and the 400s, and the cached top lists showing the new
name at once. urlmon-api runs with API_TOKEN set and MIN_INTERVAL=10 so the configured
bounds, not the defaults, are what is enforced.
"""
import http.server
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import Api, Checks, add_url, check, eq, mysql, now, redis, reset, run_tests  # noqa: E402

API = None
TARGET = None
TOKEN = "settings-token"
AUTH = {"Authorization": "Bearer " + TOKEN}
JSONCT = dict(AUTH, **{"Content-Type": "application/json"})
MERGE = dict(AUTH, **{"Content-Type": "application/merge-patch+json"})


class Target(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        body = b"hello settings"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def base():
    return "http://127.0.0.1:%d" % TARGET.server_address[1]


def compute_run():
    p = subprocess.run([os.environ["URLMON_COMPUTE_BIN"], "--interval", "1"],
                       capture_output=True, text=True, timeout=300)
    eq(p.returncode, 0, "urlmon-compute run (stderr: %s)" % p.stderr[-2000:])
    time.sleep(1.1)  # the next run falls into a new one-second slot
    return p.stderr + p.stdout


def post(doc, want=202):
    st, _, body = API.request("POST", "/urls", body=json.dumps(doc), headers=JSONCT)
    eq(st, want, "POST %r: %r" % (doc, body))
    return json.loads(body)


def row(url):
    """(name, regex, interval, active) of the URL in MySQL."""
    rows = mysql("SELECT name, IFNULL(regex, 'NULL'), check_interval, active FROM urls"
                 " WHERE url = '%s'" % url)
    eq(len(rows), 1, "one row for %s" % url)
    return tuple(rows[0])


def send(method, path, doc, headers=JSONCT):
    body = doc if isinstance(doc, str) else json.dumps(doc)
    st, _, data = API.request(method, path, body=body, headers=headers)
    return st, json.loads(data) if data else None


def test_post_interval():
    reset()
    u = base() + "/fast"
    a = post({"name": "fast", "url": u, "interval": 10})
    eq((a["status"], a["interval"]), ("queued", 10), "POST answer echoes the interval")
    b = post({"name": "plain", "url": base() + "/plain"})
    check("interval" not in b, "no interval in the answer when none was given: %r" % b)
    # the configured bounds (MIN_INTERVAL=10 here), named in the message
    for bad in (9, 86401, 0, -1, 7.5, "60", True):
        st, doc = send("POST", "/urls", {"name": "x", "url": base() + "/x", "interval": bad})
        eq(st, 400, "POST interval %r" % (bad,))
        check(doc["error"].startswith("interval: "), "names the field: %r" % doc)
        if bad in (9, 86401, 0, -1):
            check("from 10 to 86400" in doc["error"], "names the bounds: %r" % doc)
    # an entry queued before this version (no interval field) still drains
    redis("LPUSH", "urlmon:queue", json.dumps({"name": "old", "url": base() + "/old"}))
    out = compute_run()
    eq(redis("LLEN", "urlmon:queue").split()[-1], "0", "queue drained")
    eq(redis("LLEN", "urlmon:queue:dead").split()[-1], "0", "nothing dead")
    eq(row(u), ("fast", "NULL", "10", "1"), "interval stored")
    eq(row(base() + "/plain")[2], "600", "default interval")
    eq(row(base() + "/old")[2], "600", "old queue entry: default interval")
    check("3 new, 0 already known" in out, "the drain says what it did: %s" % out[-1500:])
    page = API.get_json("/urls")[0]
    got = {i["name"]: i["interval"] for i in page["items"]}
    eq(got, {"fast": 10, "plain": 600, "old": 600}, "GET /urls shows interval")


def test_readd_updates():
    u = base() + "/fast"
    uid = int(mysql("SELECT id FROM urls WHERE url = '%s'" % u)[0][0])
    st, _ = send("DELETE", "/urls/%d" % uid, None, AUTH)
    eq(st, 200, "DELETE")
    # the same URL spelled differently: same row, updated and active again
    post({"name": "fast again", "url": u.replace("http://", "HTTP://"), "regex": "hello",
          "interval": 20})
    out = compute_run()
    eq(row(u), ("fast again", "hello", "20", "1"), "re-add updated and reactivated")
    eq(mysql("SELECT COUNT(*) FROM urls WHERE url = '%s'" % u), [["1"]], "no second row")
    check("0 new, 1 already known" in out, "the drain says it was known: %s" % out[-1500:])
    # re-added without an interval: the interval stays
    post({"name": "fast 3", "url": u})
    compute_run()
    eq(row(u), ("fast 3", "NULL", "20", "1"), "interval kept when none is given")


def test_put_patch():
    u = base() + "/fast"
    uid = int(mysql("SELECT id FROM urls WHERE url = '%s'" % u)[0][0])
    path = "/urls/%d" % uid
    st, doc = send("PUT", path, {"name": "put", "regex": "hel+o", "interval": 30})
    eq(st, 200, "PUT: %r" % doc)
    eq((doc["id"], doc["name"], doc["regex"], doc["interval"], doc["url"]),
       (uid, "put", "hel+o", 30, u), "PUT answer")
    for k in ("latest_check", "uptime", "response_ms_24h", "active", "created"):
        check(k in doc, "PUT answers like GET /urls/{id}: %s missing" % k)
    eq(row(u), ("put", "hel+o", "30", "1"), "PUT in MySQL")
    eq(API.get_json(path)[0]["interval"], 30, "GET /urls/{id} shows it")
    # PUT replaces: what is left out takes its default
    st, doc = send("PUT", path, {"name": "put 2"})
    eq((st, doc["regex"], doc["interval"]), (200, None, 600), "PUT with only a name")
    eq(row(u), ("put 2", "NULL", "600", "1"), "PUT defaults in MySQL")
    # PATCH changes only what it names
    st, doc = send("PATCH", path, {"interval": 45, "regex": "x"}, MERGE)
    eq((st, doc["name"], doc["regex"], doc["interval"]), (200, "put 2", "x", 45), "PATCH")
    st, doc = send("PATCH", path, {"regex": None})
    eq((st, doc["regex"], doc["interval"]), (200, None, 45), "merge patch: null clears")
    eq(row(u), ("put 2", "NULL", "45", "1"), "PATCH in MySQL")
    st, doc = send("PATCH", path, {"interval": None})
    eq((st, doc["interval"]), (200, 600), "merge patch: null interval = default")
    # alerting thresholds (docs/alerting.md): a value, null = the global one, PUT resets
    st, doc = send("PATCH", path, {"fail_threshold": 3, "success_threshold": 2})
    eq((st, doc["fail_threshold"], doc["success_threshold"]), (200, 3, 2), "PATCH thresholds")
    eq(mysql("SELECT fail_threshold, success_threshold FROM urls WHERE id = %d" % uid),
       [["3", "2"]], "thresholds in MySQL")
    st, doc = send("PATCH", path, {"fail_threshold": None})
    eq((st, doc["fail_threshold"], doc["success_threshold"]), (200, None, 2),
       "merge patch: null threshold = the global one")
    st, doc = send("PATCH", path, {"fail_threshold": 0})
    eq((st, doc.get("error", "")[:15]), (400, "fail_threshold:"), "threshold 0 refused")
    st, doc = send("PUT", path, {"name": "put 2", "interval": 600})
    eq((st, doc["success_threshold"]), (200, None), "PUT resets the thresholds")
    st, doc = send("PATCH", path, {})
    eq((st, doc["name"]), (200, "put 2"), "empty patch answers the URL")
    # SQL-looking text is data
    evil = "x'); DROP TABLE urls; --"
    st, doc = send("PATCH", path, {"name": evil})
    eq((st, doc["name"]), (200, evil), "name byte for byte")
    eq(row(u)[0], evil, "in MySQL too")
    # a removed URL keeps its settings editable and stays removed
    send("DELETE", path, None, AUTH)
    st, doc = send("PATCH", path, {"interval": 60})
    eq((st, doc["active"], doc["interval"]), (200, False, 60), "PATCH does not reactivate")


def test_errors():
    uid = int(mysql("SELECT MIN(id) FROM urls")[0][0])
    path = "/urls/%d" % uid
    before = mysql("SELECT name, IFNULL(regex, ''), check_interval, updated_at FROM urls"
                   " WHERE id = %d" % uid)
    cases = [
        ("PUT", "/urls/99999999", {"name": "n"}, JSONCT, 404, "id: no such URL"),
        ("PATCH", "/urls/99999999", {"interval": 60}, JSONCT, 404, "id: no such URL"),
        ("PATCH", "/urls/99999999", {}, JSONCT, 404, "id: no such URL"),
        ("PUT", path, {"interval": 60}, JSONCT, 400, "name: is required"),
        ("PATCH", path, {"name": None}, JSONCT, 400, "name: cannot be null"),
        ("PATCH", path, {"name": ""}, JSONCT, 400, "name: must not be empty"),
        ("PATCH", path, {"interval": 9}, JSONCT, 400, "from 10 to 86400"),
        ("PATCH", path, {"interval": 86401}, JSONCT, 400, "from 10 to 86400"),
        ("PATCH", path, {"interval": "60"}, JSONCT, 400, "interval: must be a number"),
        ("PATCH", path, {"regex": "("}, JSONCT, 400, "regex:"),
        ("PATCH", path, {"url": "http://other.example/"}, JSONCT, 400, "url: cannot be changed"),
        ("PATCH", path, {"active": True}, JSONCT, 400, "unknown field"),
        ("PATCH", path, "[1]", JSONCT, 400, "body: must be a JSON object"),
        ("PATCH", path, "{", JSONCT, 400, "body: is not valid JSON"),
        ("PUT", path, {"name": "n"}, dict(AUTH, **{"Content-Type": "text/plain"}), 415,
         "content-type"),
        ("PUT", path, {"name": "n"}, MERGE, 415, "content-type"),
        ("PATCH", path, {"name": "n"}, {"Content-Type": "application/json"}, 401,
         "authorization"),
    ]
    for method, p, doc, headers, want, msg in cases:
        st, body = send(method, p, doc, headers)
        eq(st, want, "%s %s %r" % (method, p, doc))
        check(msg in body["error"], "%s %s %r: %r lacks %r" % (method, p, doc, body, msg))
    eq(mysql("SELECT name, IFNULL(regex, ''), check_interval, updated_at FROM urls"
             " WHERE id = %d" % uid), before, "refused changes changed nothing")


def test_top_list_shows_new_name():
    reset()
    add_url(1, "before", "https://one.example/")
    c = Checks()
    c.add(1, now(), success=True)
    c.flush()
    top, _ = API.get_json("/urls/top/success/hour")
    eq([e["name"] for e in top], ["before"], "top list")
    _, hd, _ = API.request("GET", "/urls/top/success/hour")
    eq(hd.get("x-cache"), "HIT", "cached")
    st, _ = send("PATCH", "/urls/1", {"name": "after"})
    eq(st, 200, "PATCH")
    top, _ = API.get_json("/urls/top/success/hour")
    eq([e["name"] for e in top], ["after"], "the cached top list shows the new name at once")


def main():
    global API, TARGET
    reset()
    TARGET = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=TARGET.serve_forever, daemon=True).start()
    API = Api(API_TOKEN=TOKEN, MIN_INTERVAL=10)
    try:
        run_tests([test_post_interval, test_readd_updates, test_put_patch, test_errors,
                   test_top_list_shows_new_name])
    finally:
        TARGET.shutdown()
        API.stop_checked()


if __name__ == "__main__":
    main()
