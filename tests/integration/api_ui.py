#!/usr/bin/env python3
"""Integration: the dashboard's files and data routes over HTTP (no browser).

- every embedded file (GET /, /docs, /ui/...) answers 200 with its Content-Type, the
  bytes of its source file (api/ui/, Debian's Chart.js, npm's swagger-ui-dist), an ETag,
  Cache-Control: no-cache, a same-origin Content-Security-Policy; gzip when accepted
  (and the gzip form inflates to the same bytes), identity when not or when q=0;
  304 on If-None-Match; HEAD; 405 on POST.
- GET /dashboard/urls, /dashboard/percentiles and /dashboard/urls/{id} after real compute runs against
  urlmon-target: every active URL, its alerting state (since, certificate) and latest
  check, p50/p95 equal to GET /urls/{id}, uptimes and hourly series equal to what the runs
  wrote; 400/404 for bad ids.
- /dashboard/urls built again after writes keeps the sums of past hours and days only
  while they cannot have changed: after a write in the current hour, a late write into a
  past hour (a spool replayed late) and a URL made active again, its answer equals the
  one a freshly started urlmon-api builds from scratch.
"""
import gzip
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datetime as dt  # noqa: E402

from api_lib import Api, Checks, check, eq, mysql, now, reset, run_tests  # noqa: E402
from ui_lib import Target, compute_run  # noqa: E402

ROOT = os.environ["URLMON_ROOT"]
UI = os.path.join(ROOT, "api", "ui")
SWAGGER = os.path.join(ROOT, "tools", "ui", "node_modules", "swagger-ui-dist")
FILES = {
    "/": ("text/html; charset=utf-8", os.path.join(UI, "index.html")),
    "/ui/app.js": ("text/javascript; charset=utf-8", os.path.join(UI, "app.js")),
    "/ui/app.css": ("text/css; charset=utf-8", os.path.join(UI, "app.css")),
    "/ui/favicon.svg": ("image/svg+xml", os.path.join(UI, "favicon.svg")),
    "/ui/chart.min.js": ("text/javascript; charset=utf-8",
                         "/usr/share/javascript/chart.js/chart.min.js"),
    "/docs": ("text/html; charset=utf-8", os.path.join(UI, "docs.html")),
    "/ui/docs.js": ("text/javascript; charset=utf-8", os.path.join(UI, "docs.js")),
    "/ui/swagger-ui.css": ("text/css; charset=utf-8", os.path.join(SWAGGER, "swagger-ui.css")),
    "/ui/swagger-ui-bundle.js": ("text/javascript; charset=utf-8",
                                 os.path.join(SWAGGER, "swagger-ui-bundle.js")),
}
API = None
TGT = None


def test_files():
    for path, (ctype, src) in FILES.items():
        want = open(src, "rb").read()
        st, h, body = API.request("GET", path)
        eq(st, 200, "GET %s" % path)
        eq(h.get("content-type"), ctype, "Content-Type of %s" % path)
        eq(body, want, "bytes of %s" % path)
        check("content-encoding" not in h, "%s: no gzip unless asked" % path)
        eq(h.get("cache-control"), "no-cache", "Cache-Control of %s" % path)
        csp = h.get("content-security-policy", "")
        for d in ("default-src 'self'", "script-src 'self'", "connect-src 'self'",
                  "frame-ancestors 'none'"):
            check(d in csp, "%s: CSP has %s: %r" % (path, d, csp))
        check("unsafe" not in csp and "http" not in csp, "%s: CSP same-origin only" % path)
        etag = h.get("etag", "")
        check(etag.startswith('"') and etag.endswith('"') and len(etag) == 18,
              "%s: strong ETag %r" % (path, etag))
        st, h2, body = API.request("GET", path, headers={"Accept-Encoding": "gzip, deflate, br"})
        eq((st, h2.get("content-encoding"), h2.get("vary")), (200, "gzip", "Accept-Encoding"),
           "gzip of %s" % path)
        eq(gzip.decompress(body), want, "gzip of %s inflates to the file" % path)
        check(len(body) < len(want), "%s: gzip is smaller" % path)
        st, h3, body = API.request("GET", path, headers={"Accept-Encoding": "gzip;q=0, br"})
        eq((st, "content-encoding" in h3, body == want), (200, False, True),
           "%s with gzip;q=0" % path)
        st, _, body = API.request("GET", path, headers={"If-None-Match": etag})
        eq((st, body), (304, b""), "If-None-Match of %s" % path)
        st, _, body = API.request("GET", path, headers={"If-None-Match": h2["etag"],
                                                        "Accept-Encoding": "gzip"})
        eq((st, body), (304, b""), "If-None-Match (gzip ETag) of %s" % path)
        st, _, body = API.request("GET", path, headers={"If-None-Match": '"0000000000000000"'})
        eq((st, body == want), (200, True), "a stale ETag of %s" % path)
        st, h4, body = API.request("HEAD", path)
        eq((st, body, h4.get("etag")), (200, b"", etag), "HEAD %s" % path)
    st, _, _ = API.request("GET", "/docs/")
    eq(st, 200, "/docs/ (one trailing slash)")
    st, h, body = API.request("POST", "/", body="x", headers={"Content-Type": "text/plain"})
    eq((st, h.get("allow")), (405, "GET, HEAD"), "POST /")
    check(json.loads(body)["error"].startswith("method:"), "405 body")
    for path in ("/ui/", "/ui/nope.js", "/index.html", "/ui/app.js/x", "//ui/app.js"):
        st, _, body = API.request("GET", path)
        eq((st, json.loads(body)), (404, {"error": "no such route"}), "GET %s" % path)


def test_dashboard_urls():
    d, _ = API.get_json("/dashboard/urls")
    active, _ = API.get_json("/urls?active=true&limit=1000")
    eq([u["id"] for u in d["items"]], [u["id"] for u in active["items"]], "every active URL")
    eq(len(d["items"]), len(TGT.urls) - 1, "the removed URL is left out")
    by_name = {u["name"]: u for u in d["items"]}
    p, _ = API.get_json("/dashboard/percentiles")
    eq([e["id"] for e in p["items"]], [u["id"] for u in d["items"]], "percentiles of every URL")
    pct = {e.pop("id"): e for e in p["items"]}
    for u in d["items"]:
        one, _ = API.get_json("/urls/%d" % u["id"])
        eq((u["name"], u["url"]), (one["name"], one["url"]), "name and url of %s" % u["name"])
        eq({k: u[k] for k in ("state", "since", "cert_expires_at")},
           {k: one[k] for k in ("state", "since", "cert_expires_at")},
           "state, since and certificate of %s" % u["name"])
        lc, olc = u["last_check"], one["latest_check"]
        eq({k: lc[k] for k in lc}, {k: olc[k] for k in lc}, "latest check of %s" % u["name"])
        eq(pct[u["id"]], {k: one["response_ms_24h"][k] for k in ("p50", "p95", "samples")},
           "p50/p95 of %s" % u["name"])
        # every check of this test lies in the current hour and day, so the bucketed
        # uptimes equal the exact rolling ones
        eq(u["uptime"], one["uptime"], "uptime of %s" % u["name"])
        eq(len(u["hourly_ms"]), 24, "24 hourly points")
        rows = mysql("SELECT success_count, fail_count, response_ms_sum FROM rollup_hourly"
                     " WHERE url_id = %d AND bucket = DATE_FORMAT(UTC_TIMESTAMP(), '%%Y-%%m-%%d %%H:00:00')"
                     % u["id"])
        s, f, ms = (int(x) for x in rows[0])
        eq((u["hourly_fail"][-1], u["hourly_ms"][-1]), (f, (ms + (s + f) // 2) // (s + f)),
           "the current hour of %s" % u["name"])
        eq(sum(u["hourly_fail"][:-1]), 0, "no failures before this hour")
    eq((by_name["ok"]["last_check"]["success"], by_name["ok"]["uptime"]["24h"]), (True, 100),
       "ok URL")
    eq((by_name["503"]["last_check"]["error_class"], by_name["503"]["uptime"]["30d"],
        pct[by_name["503"]["id"]]["p50"]), ("http_status", 0, None), "503 URL")
    eq(by_name["half"]["uptime"]["24h"], 50, "a URL that failed one of its two runs")
    # the alerting state, not the latest check: two failures in a row (FAIL_THRESHOLD 2) make
    # 503 down; half failed once after a success and stays up; no https, no certificate
    eq([(n, by_name[n]["state"], by_name[n]["since"] is not None) for n in ("ok", "503", "half")],
       [("ok", "up", True), ("503", "down", True), ("half", "up", True)], "states")
    eq((by_name["half"]["last_check"]["success"], by_name["ok"]["cert_expires_at"]), (False, None),
       "half's latest check failed; no certificate over http")
    slow = pct[by_name["slow"]["id"]]["p50"]
    check(slow >= 150, "the slow URL's p50 >= 150 (got %s)" % slow)


def test_dashboard_url():
    d, _ = API.get_json("/dashboard/urls")
    u = [x for x in d["items"] if x["name"] == "half"][0]
    s, _ = API.get_json("/dashboard/urls/%d" % u["id"])
    eq((s["id"], len(s["hourly"]), len(s["daily"])), (u["id"], 168, 30), "series shape")
    eq((s["hourly"][-1]["success"], s["hourly"][-1]["fail"]), (1, 1), "this hour")
    eq((s["daily"][-1]["success"], s["daily"][-1]["fail"]), (1, 1), "today")
    eq(sum(b["success"] + b["fail"] for b in s["hourly"][:-1]), 0, "earlier hours empty")
    check(s["hourly"][-1]["hour"].endswith(":00:00.000Z") and s["daily"][-1]["day"].endswith(
        "T00:00:00.000Z"), "bucket times")
    for path, want in (("/dashboard/urls/999999", 404), ("/dashboard/urls/0", 400),
                       ("/dashboard/urls/abc", 400), ("/dashboard/urls?x=1", 400),
                       ("/dashboard", 404), ("/dashboard/urls/1/x", 404),
                       ("/dashboard/percentiles?cache=false", 400), ("/dashboard/percentiles/1", 404)):
        st, _, body = API.request("GET", path)
        eq(st, want, "GET %s" % path)
        check("error" in json.loads(body), "%s: JSON error" % path)
    st, h, _ = API.request("DELETE", "/dashboard/urls/%d" % u["id"])
    eq((st, h.get("allow")), (405, "GET, HEAD"), "DELETE on a dashboard route")


def fresh_items():
    """/dashboard/urls's items as a urlmon-api started now builds them (nothing kept)."""
    api = Api()
    try:
        d, _ = api.get_json("/dashboard/urls")
    finally:
        api.stop_checked()
    return d["items"]


def test_dashboard_settled_sums():
    ids = {name: int(i) for name, i in mysql("SELECT name, id FROM urls")}
    t = now()
    c = Checks()  # history: past hours of today or yesterday, and past days
    for h in (2, 5, 20):
        c.add(ids["ok"], t - dt.timedelta(hours=h), success=h != 5, response_ms=40 + h)
    for days in (3, 10, 25):
        c.add(ids["half"], t - dt.timedelta(days=days), success=days != 10, response_ms=90)
        c.add(ids["gone"], t - dt.timedelta(days=days), success=False, response_ms=70)
    c.flush()
    d, _ = API.get_json("/dashboard/urls")  # built in full; the past sums kept
    eq(d["items"], fresh_items(), "after the history was written")
    steps = [
        ("a write in the current hour", lambda: (c.add(ids["ok"], now(), False, 300), c.flush())),
        ("a late write into a past hour", lambda: (c.add(ids["slow"], now() - dt.timedelta(
            hours=3), False, 250), c.flush())),
        ("a late write into a past day", lambda: (c.add(ids["503"], now() - dt.timedelta(
            days=4), True, 20), c.flush())),
        ("a URL active again", lambda: mysql(
            "UPDATE urls SET active = 1, deactivated_at = NULL, updated_at = UTC_TIMESTAMP(3)"
            " WHERE name = 'gone';")),
    ]
    for what, write in steps:
        before, _ = API.get_json("/dashboard/urls")
        write()
        d, _ = API.get_json("/dashboard/urls")
        check(d["items"] != before["items"], "%s changes the answer" % what)
        eq(d["items"], fresh_items(), "after %s" % what)


def main():
    global API, TGT
    reset()
    TGT = Target(["ok", "/ok"], ["slow", "/slow?delay=150"], ["503", "/e?status=503"],
                 ["half", "/h"], ["gone", "/g"])
    try:
        TGT.load_csv()
        TGT.set_half_failing()
        compute_run()
        mysql("UPDATE urls SET active = 0, deactivated_at = UTC_TIMESTAMP(3)"
              " WHERE name = 'gone';")
        API = Api()
        try:
            run_tests([test_files, test_dashboard_urls, test_dashboard_url,
                       test_dashboard_settled_sums])
        finally:
            API.stop_checked()
    finally:
        TGT.stop()


if __name__ == "__main__":
    main()
