#!/usr/bin/env python3
"""Integration: the in-process copies of cached answers (docs/api.md, "The cache").

Two urlmon-api instances on the private stack's Redis and MariaDB. A cached answer is
served from the process (urlmon_api_cache_local_hits_total grows) only while Redis'
invalidations reach it (CLIENT TRACKING): cache=false on one instance, a compute run,
a key deleted with redis-cli or FLUSHDB must show on every instance at once; the copy
expires with the Redis key; while Redis or the invalidation connection is down no copy is
served, and every copy is dropped.
"""
import datetime as dt
import http.server
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import (Api, Checks, Failure, OkHandler, add_url, check, eq, metric, mysql,  # noqa: E402
                     now, redis, reset, run_tests, stack, wait_for)

A = B = None
KEY = "urlmon:cache:/urls/summary"


def summary(api, path="/urls/summary"):
    body, headers = api.get_json(path)
    return {e["status"]: e["count"] for e in body}, headers.get("x-cache")


def warm_local(api, want):
    """GETs until api answers `want` from its in-process copy."""
    hits0 = metric(api, "urlmon_api_cache_local_hits_total")
    deadline = time.time() + 10
    while time.time() < deadline:
        got, xc = summary(api)
        if metric(api, "urlmon_api_cache_local_hits_total") > hits0:
            eq((got, xc), (want, "HIT"), "answer from the in-process copy")
            return
        time.sleep(0.05)
    raise Failure("no in-process hit within 10 s")


def one_check(ok=True, minutes=1):
    c = Checks()
    c.add(1, now() - dt.timedelta(minutes=minutes), success=ok)
    c.flush()


def setup():
    reset()
    add_url(1, "local", "https://local.example/")
    one_check()
    for api in (A, B):
        wait_for("tracking on", lambda api=api: metric(api, "urlmon_api_local_cache_up") == 1, 15)


def test_local_hits_and_other_instance_cache_false():
    setup()
    eq(summary(A), ({"success": 1, "fail": 0}, "MISS"), "first GET")
    warm_local(A, {"success": 1, "fail": 0})
    warm_local(B, {"success": 1, "fail": 0})
    check(metric(B, "urlmon_api_local_cache_entries") >= 1, "B holds a copy")
    one_check(ok=False, minutes=2)
    eq(summary(B), ({"success": 1, "fail": 0}, "HIT"), "stale until recomputed (as in Redis)")
    # cache=false on A resets the cache everywhere: B's copy goes with the Redis key
    eq(summary(A, "/urls/summary?cache=false"), ({"success": 1, "fail": 1}, "MISS"), "A recomputes")
    got, _ = summary(B)
    eq(got, {"success": 1, "fail": 1}, "B after A's cache=false")
    warm_local(B, {"success": 1, "fail": 1})
    warm_local(A, {"success": 1, "fail": 1})


def test_redis_cli_delete_and_flush():
    setup()
    summary(A)
    warm_local(A, {"success": 1, "fail": 0})
    warm_local(B, {"success": 1, "fail": 0})
    one_check(ok=False, minutes=2)
    redis("UNLINK", KEY)  # what the compute job does after a run
    for api in (A, B):
        eq(summary(api)[0], {"success": 1, "fail": 1}, "after the key was deleted")
    warm_local(A, {"success": 1, "fail": 1})
    warm_local(B, {"success": 1, "fail": 1})
    one_check(ok=False, minutes=3)
    redis("FLUSHDB")
    for api in (A, B):
        eq(metric(api, "urlmon_api_local_cache_entries"), 0.0, "no copy after FLUSHDB")
        eq(summary(api)[0], {"success": 1, "fail": 2}, "after FLUSHDB")


def test_compute_run_invalidates():
    setup()
    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OkHandler)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    try:
        mysql("UPDATE urls SET active = 0 WHERE id = 1;")  # the run checks only url 2
        add_url(2, "checked", "http://127.0.0.1:%d/" % target.server_address[1])
        summary(A)
        warm_local(A, {"success": 1, "fail": 0})
        warm_local(B, {"success": 1, "fail": 0})
        p = subprocess.run([os.environ["URLMON_COMPUTE_BIN"], "--interval", "1"],
                           capture_output=True, text=True, timeout=300)
        eq(p.returncode, 0, "urlmon-compute run (stderr: %s)" % p.stderr[-2000:])
    finally:
        target.shutdown()
        target.server_close()
    # no sleep: the run's UNLINK reached both instances before it returned
    for api in (A, B):
        eq(summary(api)[0], {"success": 2, "fail": 0}, "the run shows at once")


def test_copy_expires_with_the_key():
    setup()
    short = Api(CACHE_TTL=2, CACHE_WARM=0)  # with the warm an expired key comes back
    try:
        wait_for("tracking on", lambda: metric(short, "urlmon_api_local_cache_up") == 1, 15)
        eq(summary(short)[1], "MISS", "first GET")
        warm_local(short, {"success": 1, "fail": 0})
        time.sleep(2.2)
        eq(summary(short)[1], "MISS", "after the key's TTL")
    finally:
        rc = short.stop()
    eq(rc, 0, "exit status (log: %s)" % short.logs()[-2000:])


def test_invalidation_connection_lost():
    setup()
    summary(A)
    warm_local(A, {"success": 1, "fail": 0})
    warm_local(B, {"success": 1, "fail": 0})
    # only the subscriber connections die: both instances must forget their copies
    redis("CLIENT", "KILL", "TYPE", "pubsub")
    for api in (A, B):
        wait_for("copies dropped", lambda api=api: metric(api, "urlmon_api_local_cache_entries") == 0, 15)
    one_check(ok=False, minutes=2)
    for api in (A, B):
        wait_for("tracking back", lambda api=api: metric(api, "urlmon_api_local_cache_up") == 1, 15)
        # the reconnect dropped urlmon:cache:*: recomputed, not the old answer
        eq(summary(api)[0], {"success": 1, "fail": 1}, "after the reconnect")
    warm_local(A, {"success": 1, "fail": 1})


def test_redis_down():
    setup()
    summary(A)
    warm_local(A, {"success": 1, "fail": 0})
    warm_local(B, {"success": 1, "fail": 0})
    stack("stop-redis")
    try:
        for api in (A, B):
            wait_for("redis down", lambda api=api: metric(api, "urlmon_api_redis_up") == 0, 15)
            eq(metric(api, "urlmon_api_local_cache_up"), 0.0, "no tracking without Redis")
            eq(metric(api, "urlmon_api_local_cache_entries"), 0.0, "copies dropped")
        one_check(ok=False, minutes=2)
        for api in (A, B):
            eq(summary(api), ({"success": 1, "fail": 1}, "MISS"), "from MySQL, not the copy")
    finally:
        stack("start-redis")
    for api in (A, B):
        wait_for("tracking back", lambda api=api: metric(api, "urlmon_api_local_cache_up") == 1, 15)
        eq(summary(api)[0], {"success": 1, "fail": 1}, "after Redis is back")
    warm_local(A, {"success": 1, "fail": 1})
    warm_local(B, {"success": 1, "fail": 1})


def main():
    global A, B
    # The copies' tests write checks straight into MySQL and assert which GET computes
    # (MISS) and when a copy goes; a warm refills behind them (api_warm tests it).
    A = Api(CACHE_WARM=0)
    B = Api(CACHE_WARM=0)
    try:
        run_tests([test_local_hits_and_other_instance_cache_false, test_redis_cli_delete_and_flush,
                   test_compute_run_invalidates, test_copy_expires_with_the_key,
                   test_invalidation_connection_lost, test_redis_down])
    finally:
        A.stop_checked()
        B.stop_checked()


if __name__ == "__main__":
    main()
