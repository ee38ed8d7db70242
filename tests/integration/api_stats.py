#!/usr/bin/env python3
"""Integration: the API's read routes against real MariaDB + Redis.

Shapes, ordering and ties of the top lists, every window edge (checks just inside and
just outside the hour, week and month windows, including the partial hour and the
partial day at the start), the summary, X-Cache HIT/MISS and the key's TTL, single-flight
under a locked table, the URL list/detail/checks routes, DELETE, health and metrics.
"""
import concurrent.futures as cf
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import (Api, Checks, Failure, add_url, check, eq, mysql, now, redis,  # noqa: E402
                     reset, run_tests)

API = None
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
SPANS = {"hour": H, "week": 7 * D, "month": 30 * D}


def floor_hour(t):
    return t.replace(minute=0, second=0, microsecond=0)


def floor_day(t):
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def ceil_hour(t):
    f = floor_hour(t)
    return f if f == t else f + H


def ceil_day(t):
    f = floor_day(t)
    return f if f == t else f + D


def window_times(span, t0):
    """(inside, outside) check times for a window of `span` ending at t0. The API's own
    "now" is a few seconds later than t0, so margins are 30 s on the inside and 5 s on
    the outside."""
    start = t0 - span
    inside = [start + dt.timedelta(seconds=30), t0 - dt.timedelta(seconds=60)]
    outside = [start - dt.timedelta(seconds=5), start - dt.timedelta(minutes=10), start - 2 * H]
    if span > H:
        # whole hours, the first whole day, and today: rollup parts
        for t in (ceil_hour(start) + dt.timedelta(minutes=1),
                  ceil_day(start) + dt.timedelta(minutes=1),
                  ceil_day(start) + D + dt.timedelta(hours=5),
                  floor_day(t0) + dt.timedelta(seconds=1)):
            if start + dt.timedelta(seconds=30) < t < t0 - dt.timedelta(seconds=30):
                inside.append(t)
        # before the start but in the same hour / the same day as the start: the
        # rollup buckets hold them, the answer must not
        for t in (floor_hour(start) + dt.timedelta(seconds=1),
                  floor_day(start) + dt.timedelta(seconds=1)):
            if t < start - dt.timedelta(seconds=5):
                outside.append(t)
    return inside, outside


def test_shapes_and_empty():
    reset()
    for path in ("/urls/top/success/hour", "/urls/top/fail/week", "/urls/top/success/month"):
        body, headers = API.get_json(path)
        eq(body, [], path)
        eq(headers.get("x-cache"), "MISS", path + " X-Cache")
        eq(headers.get("content-type"), "application/json", path + " Content-Type")
    body, headers = API.get_json("/urls/summary")
    eq(body, [{"status": "success", "count": 0}, {"status": "fail", "count": 0}], "empty summary")


def test_windows():
    """Each span gets its own URLs (success and fail); counts must be exactly the inside
    checks, whatever hour and day boundaries fall near the window's start."""
    reset()
    t0 = now()
    c = Checks()
    expect = {}
    uid = 0
    summary = {"success": 0, "fail": 0}
    for span_name, span in SPANS.items():
        for status in ("success", "fail"):
            uid += 1
            add_url(uid, "%s-%s" % (span_name, status), "https://%s-%s.example/" % (span_name,
                                                                                     status))
            inside, outside = window_times(span, t0)
            for t in inside + outside:
                c.add(uid, t, success=(status == "success"))
            expect[(span_name, status)] = (uid, len(inside))
            for t in inside + outside:
                if t >= t0 - 30 * D + dt.timedelta(seconds=10):
                    summary[status] += 1
    c.flush()
    for (span_name, status), (u, n) in expect.items():
        body, _ = API.get_json("/urls/top/%s/%s?cache=false" % (status, span_name))
        counts = {e["name"]: e["count"] for e in body}
        name = "%s-%s" % (span_name, status)
        eq(counts.get(name), n, "top/%s/%s count of %s" % (status, span_name, name))
        # the other spans' URLs appear with their own checks inside this window only
        for e in body:
            check(e["count"] > 0, "count > 0")
    body, _ = API.get_json("/urls/summary?cache=false")
    eq(body, [{"status": "success", "count": summary["success"]},
              {"status": "fail", "count": summary["fail"]}], "summary over the inserted checks")


def test_late_write():
    """A check written late into a closed day (a run straddling midnight, a spool replay)
    must show: the API keeps closed days' sums in process and must notice the change."""
    reset()
    add_url(1, "late", "https://late.example/")
    c = Checks()
    t0 = now()
    c.add(1, floor_day(t0) - D + dt.timedelta(hours=12))
    c.add(1, floor_day(t0) - 3 * D)
    c.flush()
    for span in ("week", "month"):
        body, _ = API.get_json("/urls/top/success/%s?cache=false" % span)
        eq(body, [{"name": "late", "url": "https://late.example/", "count": 2}], span)
    c.add(1, floor_day(t0) - D + dt.timedelta(hours=23, minutes=59))
    c.add(1, floor_day(t0) - 2 * D, success=False)
    c.flush()
    for span in ("week", "month"):
        body, _ = API.get_json("/urls/top/success/%s?cache=false" % span)
        eq(body, [{"name": "late", "url": "https://late.example/", "count": 3}], span + " late")
        body, _ = API.get_json("/urls/top/fail/%s?cache=false" % span)
        eq(body, [{"name": "late", "url": "https://late.example/", "count": 1}], span + " fail")


def test_order_and_ties():
    reset()
    t0 = now() - dt.timedelta(minutes=5)
    c = Checks()
    # 12 URLs tied at 2 checks, one with 3, one with 1: the top is the 3, then the nine
    # smallest (name, url) of the tied ones; names repeat so url breaks ties.
    names = ["m", "b", "a", "a", "z", "c", "c", "k", "d", "e", "f", "g"]
    for i, name in enumerate(names, start=1):
        add_url(i, name, "https://u%02d.example/" % (13 - i))
        c.add(i, t0)
        c.add(i, t0 - dt.timedelta(minutes=10))
    add_url(13, "zz", "https://top.example/")
    for k in range(3):
        c.add(13, t0 - dt.timedelta(minutes=k))
    add_url(14, "aaa", "https://one.example/")
    c.add(14, t0)
    add_url(15, "failing", "https://failing.example/")
    c.add(15, t0, success=False)
    c.flush()
    body, _ = API.get_json("/urls/top/success/hour")
    eq(len(body), 10, "top length")
    eq(body[0], {"name": "zz", "url": "https://top.example/", "count": 3}, "first")
    tied = sorted((n, "https://u%02d.example/" % (13 - i)) for i, n in enumerate(names, start=1))
    eq([(e["name"], e["url"]) for e in body[1:]], tied[:9], "ties by name then url")
    check(all(e["count"] == 2 for e in body[1:]), "tied counts")
    body, _ = API.get_json("/urls/top/fail/hour")
    eq(body, [{"name": "failing", "url": "https://failing.example/", "count": 1}], "top fail")
    # the same answer with a trailing slash, and from week/month
    body2, _ = API.get_json("/urls/top/success/hour/")
    eq(body2[0]["name"], "zz", "trailing slash")
    body3, _ = API.get_json("/urls/top/success/month/")
    eq(body3[0], {"name": "zz", "url": "https://top.example/", "count": 3}, "month first")


def test_large_tie():
    """Hundreds of URLs share the 10th count (the usual case: every healthy URL has the
    same number of checks); the order must still be count, then name, then url in byte
    order, whichever way the API finds the names."""
    import random
    reset()
    rnd = random.Random(7)
    t0 = now() - dt.timedelta(minutes=5)
    c = Checks()
    expect = []
    for i in range(1, 301):
        name = rnd.choice(["alpha", "Beta", "beta", "gamma", "Zed", "zed"]) + str(rnd.randint(0, 40))
        url = "https://t%03d.example/" % rnd.randint(0, 999)
        add_url(i, name, url + str(i))
        n = 3 if i in (17, 230, 111) else (1 if i % 6 == 0 else 2)
        for k in range(n):
            c.add(i, t0 - dt.timedelta(minutes=k))
        expect.append((-n, name.encode(), (url + str(i)).encode()))
    c.flush()
    want = [{"name": n.decode(), "url": u.decode(), "count": -k} for k, n, u in sorted(expect)[:10]]
    for span in ("hour", "week", "month"):
        body, _ = API.get_json("/urls/top/success/%s?cache=false" % span)
        eq(body, want, "top/success/%s with a large tie" % span)


def test_cache_hit_miss_ttl():
    reset()
    add_url(1, "cached", "https://cached.example/")
    c = Checks()
    c.add(1, now() - dt.timedelta(minutes=1))
    c.flush()
    key = "urlmon:cache:/urls/summary"
    b1, h1 = API.get_json("/urls/summary")
    eq(h1.get("x-cache"), "MISS", "first GET")
    time.sleep(0.2)  # the fill is asynchronous
    b2, h2 = API.get_json("/urls/summary/")
    eq(h2.get("x-cache"), "HIT", "second GET (trailing slash, same key)")
    eq(b2, b1, "cached body")
    ttl = int(redis("TTL", key).split()[-1])
    check(590 <= ttl <= 600, "TTL of %s is %d, want 590..600" % (key, ttl))
    eq(json.loads(redis("--raw", "GET", key)), b1, "the stored answer")
    # new data: the cache still answers the old body until cache=false
    c.add(1, now() - dt.timedelta(minutes=2), success=False)
    c.flush()
    b3, h3 = API.get_json("/urls/summary")
    eq((h3.get("x-cache"), b3), ("HIT", b1), "stale until recomputed")
    b4, h4 = API.get_json("/urls/summary?cache=false")
    eq(h4.get("x-cache"), "MISS", "cache=false")
    eq(b4[1], {"status": "fail", "count": 1}, "recomputed")
    time.sleep(0.2)
    b5, h5 = API.get_json("/urls/summary")
    eq((h5.get("x-cache"), b5), ("HIT", b4), "overwritten by cache=false")
    # one key per distinct query
    API.get_json("/urls/top/success/week")
    API.get_json("/urls/top/fail/week")
    time.sleep(0.2)
    keys = sorted(redis("--raw", "KEYS", "urlmon:cache:*").split())
    eq(keys, ["urlmon:cache:/urls/summary", "urlmon:cache:/urls/top/fail/week",
              "urlmon:cache:/urls/top/success/week"], "cache keys")
    # a deleted key (as after a compute run) is a miss again
    redis("DEL", key)
    _, h6 = API.get_json("/urls/summary")
    eq(h6.get("x-cache"), "MISS", "after the compute job's delete")


def test_fill_guard():
    """A fill guard deleted while the query runs (a compute run finished meanwhile)
    means the possibly stale answer is not cached."""
    reset()
    key = "urlmon:cache:/urls/top/success/hour"
    guard = key + "#fill"
    locker = subprocess.Popen(
        ["bash", os.path.join(os.environ["URLMON_ROOT"], "scripts", "stack.sh"), "sql", "-e",
         "LOCK TABLES checks WRITE, urls WRITE; SELECT SLEEP(2); UNLOCK TABLES;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    result = {}
    t = threading.Thread(target=lambda: result.update(r=API.get_json("/urls/top/success/hour")))
    t.start()
    time.sleep(0.5)
    check(redis("--raw", "GET", guard).startswith("fill:"), "guard while querying")
    eq(redis("EXISTS", key).split()[-1], "0", "the answer's key is left alone")
    redis("DEL", key, guard)  # what the compute job does (urlmon:cache:*) after a run
    t.join(15)
    locker.wait(15)
    eq(result["r"][1].get("x-cache"), "MISS", "answer")
    time.sleep(0.3)
    eq(redis("EXISTS", key).split()[-1], "0", "no fill after the key was deleted")


def test_single_flight():
    """20 concurrent cache=false GETs while the tables are locked: one MySQL job, 19
    joins, all 20 answers equal; a cached route keeps answering meanwhile."""
    reset()
    add_url(1, "sf", "https://sf.example/")
    c = Checks()
    c.add(1, now() - dt.timedelta(minutes=1))
    c.flush()
    API.get_json("/urls/top/success/week")  # warm one key
    time.sleep(0.2)

    def metric(name):
        _, _, text = API.request("GET", "/metrics")
        for line in text.decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    joins0 = metric("urlmon_api_singleflight_joins_total")
    db0 = metric('urlmon_api_mysql_query_duration_seconds_count{route="summary"}')
    locker = subprocess.Popen(
        ["bash", os.path.join(os.environ["URLMON_ROOT"], "scripts", "stack.sh"), "sql", "-e",
         "LOCK TABLES rollup_hourly_total WRITE, checks WRITE; SELECT SLEEP(2); UNLOCK TABLES;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    with cf.ThreadPoolExecutor(20) as ex:
        futs = [ex.submit(API.request, "GET", "/urls/summary?cache=false") for _ in range(20)]
        time.sleep(0.3)
        t1 = time.time()
        st, hd, _ = API.request("GET", "/urls/top/success/week")
        fast = time.time() - t1
        results = [f.result() for f in futs]
    locker.wait(15)
    eq(st, 200, "cached route during the lock")
    eq(hd.get("x-cache"), "HIT", "cached route during the lock")
    check(fast < 0.5, "a cached answer took %.3f s while MySQL was blocked" % fast)
    eq({r[0] for r in results}, {200}, "statuses")
    eq(len({r[2] for r in results}), 1, "one answer for all")
    eq({r[1].get("x-cache") for r in results}, {"MISS"}, "X-Cache")
    eq(metric('urlmon_api_mysql_query_duration_seconds_count{route="summary"}') - db0, 1.0,
       "MySQL jobs for 20 concurrent misses")
    eq(metric("urlmon_api_singleflight_joins_total") - joins0, 19.0, "joins")


def test_urls_list_detail_checks():
    reset()
    for i in range(1, 8):
        add_url(i, "n%d" % i, "https://l%d.example/" % i, active=0 if i == 4 else 1,
                regex="ok" if i == 2 else None)
    body, _ = API.get_json("/urls?limit=3")
    eq([u["id"] for u in body["items"]], [1, 2, 3], "page 1")
    eq(body["next_cursor"], "3", "cursor 1")
    eq(set(body["items"][0]), {"id", "name", "url", "regex", "active", "created", "deactivated",
                               "interval", "state", "since", "fail_threshold", "success_threshold",
                               "cert_expires_at", "cert_days_left"}, "item fields")
    eq(body["items"][0]["state"], "unknown", "a URL never checked is unknown")
    check(body["items"][0]["created"].endswith("Z") and "T" in body["items"][0]["created"],
          "ISO 8601 UTC")
    eq(body["items"][1]["regex"], "ok", "regex")
    body, _ = API.get_json("/urls/?limit=3&cursor=3")
    eq([u["id"] for u in body["items"]], [4, 5, 6], "page 2")
    eq(body["items"][0]["active"], False, "inactive listed")
    body, _ = API.get_json("/urls?limit=3&cursor=6")
    eq(([u["id"] for u in body["items"]], body["next_cursor"]), ([7], None), "last page")
    body, _ = API.get_json("/urls?limit=3&cursor=%s" % 6)
    body, _ = API.get_json("/urls?active=false")
    eq([u["id"] for u in body["items"]], [4], "active=false")
    body, _ = API.get_json("/urls?limit=1000&cursor=9223372036854775807")
    eq(body, {"items": [], "next_cursor": None}, "past the end")

    t0 = now()
    c = Checks()
    c.add(1, t0 - 3 * D)  # run ids grow with time, as the compute job's do
    for k in range(30):  # every 10 minutes, oldest first; 3 failures
        c.add(1, t0 - dt.timedelta(minutes=10 * (30 - k)), success=k % 10 != 0,
              response_ms=100 + k)
    c.flush()
    d, _ = API.get_json("/urls/1")
    eq(d["id"], 1, "detail id")
    eq(d["latest_check"]["response_ms"], 129, "latest check")
    eq(d["latest_check"]["success"], True, "latest success")
    eq(d["uptime"]["24h"], 90.0, "uptime 24h")
    eq(d["uptime"]["7d"], round(100 * 28 / 31, 3), "uptime 7d")
    ok = sorted(100 + k for k in range(30) if k % 10 != 0)
    eq(d["response_ms_24h"], {"p50": ok[(len(ok) * 50 + 99) // 100 - 1],
                              "p95": ok[(len(ok) * 95 + 99) // 100 - 1], "samples": len(ok)},
       "percentiles")
    d, _ = API.get_json("/urls/2/")
    eq((d["latest_check"], d["uptime"]["30d"], d["response_ms_24h"]["p50"]), (None, None, None),
       "no checks")
    page, _ = API.get_json("/urls/1/checks?limit=10")
    eq(len(page["items"]), 10, "checks page")
    runs = [x["run_id"] for x in page["items"]]
    eq(runs, sorted(runs, reverse=True), "newest first")
    page2, _ = API.get_json("/urls/1/checks/?limit=10&before=%s" % page["next_before"])
    check(page2["items"][0]["run_id"] < runs[-1], "before cursor")
    page3, _ = API.get_json("/urls/1/checks?limit=1000")
    eq((len(page3["items"]), page3["next_before"]), (31, None), "all checks")
    API.get_json("/urls/999/checks", want=404)
    API.get_json("/urls/999", want=404)


def test_delete():
    reset()
    add_url(1, "del", "https://del.example/")
    c = Checks()
    c.add(1, now() - dt.timedelta(minutes=1))
    c.flush()
    st, _, body = API.request("DELETE", "/urls/1")
    eq(st, 200, "DELETE")
    d = json.loads(body)
    eq((d["id"], d["active"]), (1, False), "deactivated")
    check(d["deactivated"] and d["deactivated"].endswith("Z"), "deactivated time")
    st, _, body2 = API.request("DELETE", "/urls/1/")
    eq((st, json.loads(body2)["deactivated"]), (200, d["deactivated"]), "idempotent")
    eq(mysql("SELECT active, deactivated_at IS NOT NULL FROM urls WHERE id = 1"), [["0", "1"]],
       "row")
    eq(mysql("SELECT COUNT(*) FROM checks WHERE url_id = 1"), [["1"]], "history kept")
    body, _ = API.get_json("/urls/top/success/hour?cache=false")
    eq([e["name"] for e in body], ["del"], "history still counts in top lists")
    st, _, body = API.request("DELETE", "/urls/12345")
    eq((st, json.loads(body)), (404, {"error": "id: no such URL"}), "unknown id")


def test_health_metrics_openapi():
    for path in ("/healthz", "/healthz/"):
        body, _ = API.get_json(path)
        eq(body, {"status": "ok"}, path + " (liveness)")
    for path in ("/status", "/status/"):
        body, _ = API.get_json(path)
        eq({k: body.get(k) for k in ("mysql", "redis")}, {"mysql": "ok", "redis": "ok"}, path)
        check(body.get("queue_evictable") is False and "redis_policy" in body, path + " policy")
    st, hd, text = API.request("GET", "/metrics")
    eq(st, 200, "metrics")
    check(hd["content-type"].startswith("text/plain"), "metrics content type")
    text = text.decode()
    for needle in ("urlmon_api_requests_total{route=\"healthz\",code=\"200\"}",
                   "urlmon_api_request_duration_seconds_bucket{route=\"healthz\",le=\"+Inf\"}",
                   "urlmon_api_cache_hits_total", "urlmon_api_cache_misses_total",
                   "urlmon_api_mysql_query_duration_seconds_bucket",
                   "urlmon_api_queue_length ", "urlmon_api_connections "):
        check(needle in text, "metrics lack %s" % needle)
    doc, _ = API.get_json("/openapi.json")
    eq(doc["openapi"], "3.1.0", "openapi version")
    for p in ("/urls/top/{status}/{timespan}", "/urls/summary", "/urls", "/urls/{id}",
              "/urls/{id}/checks", "/healthz", "/status", "/metrics", "/openapi.json"):
        check(p in doc["paths"], "openapi lacks %s" % p)
    st, hd, body = API.request("HEAD", "/urls/summary")
    eq((st, body), (200, b""), "HEAD")
    check("x-cache" in hd, "HEAD X-Cache")


def main():
    global API
    # These tests write checks straight into MySQL and count on every answer being computed
    # by the GET that asks (MISS, fill guard, TTL): no warm (api_warm tests that).
    API = Api(CACHE_WARM=0)
    try:
        run_tests([test_shapes_and_empty, test_windows, test_late_write, test_order_and_ties,
                   test_large_tie,
                   test_cache_hit_miss_ttl, test_fill_guard, test_single_flight,
                   test_urls_list_detail_checks, test_delete, test_health_metrics_openapi])
    finally:
        API.stop_checked()


if __name__ == "__main__":
    main()
