#!/usr/bin/env python3
"""Integration: the cache warm (api/warm.h, issue 19).

Real compute runs (urlmon-compute) check URLs on the project's target server
(urlmon-target). After a run deletes urlmon:cache:*, the API recomputes the 6 top lists and
the summary into Redis without any GET; the first GET of each is then a HIT whose body is
the cache=false answer, counts of the run included. Two instances on one Redis compute each
answer once in total (the warm lock). With CACHE_WARM=0 the first GET after a run is a MISS
(the check can fail). A FLUSHALL and a Redis restart are warmed again; with MySQL down the
warm fails, is counted, and nothing else changes.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import (ROOT, Api, Failure, check, eq, metric, mysql, redis, reset, run_tests,  # noqa: E402
                     stack, wait_for)
from ui_lib import compute_run, start_target  # noqa: E402

PATHS = ["/urls/top/%s/%s" % (s, t) for s in ("success", "fail")
         for t in ("hour", "week", "month")] + ["/urls/summary"]
KEYS = ["urlmon:cache:" + p for p in PATHS]
TMP = None
TARGET = None
CSV = None


def present():
    """How many of the 7 answers are in Redis."""
    return sum(int(redis("EXISTS", k).split()[-1]) for k in KEYS)


def settle(*apis):
    """Waits until the instances' warms are over: all 7 answers present and the warm
    counters of every instance unchanged for a second."""
    wait_for("7 answers present", lambda: present() == 7)
    last = None
    for _ in range(100):
        now = [(metric(a, "urlmon_api_cache_warm_answers_total"),
                metric(a, "urlmon_api_cache_warms_total")) for a in apis]
        if now == last:
            return
        last = now
        time.sleep(1)
    raise Failure("the warm counters did not settle")


def summary_total(body):
    return sum(e["count"] for e in body)


def test_warm_after_run():
    api = Api(CACHE_WARM=1, LOG_LEVEL="info")
    try:
        settle(api)  # the warm after connecting
        before, _ = api.get_json("/urls/summary?cache=false")
        warms = metric(api, "urlmon_api_cache_warms_total")
        answers = metric(api, "urlmon_api_cache_warm_answers_total")
        compute_run()  # deletes urlmon:cache:*; no GET from here until the keys are back
        wait_for("7 answers in Redis after the run, without a GET", lambda: present() == 7, 5)
        settle(api)
        eq(metric(api, "urlmon_api_cache_warms_total") - warms, 1, "one warm for the run")
        eq(metric(api, "urlmon_api_cache_warm_answers_total") - answers, 7, "7 answers warmed")
        seconds = metric(api, "urlmon_api_cache_warm_last_seconds")
        check(seconds is not None and 0.1 <= seconds < 10, "warm time %r" % seconds)
        print("warm after a run: %.3f s (150 ms of it the debounce)" % seconds)
        for path in PATHS:
            st, headers, body = api.request("GET", path)
            eq((st, headers.get("x-cache")), (200, "HIT"), "first GET of %s after the run" % path)
            fresh, h2 = api.get_json(path + "?cache=false")
            eq(h2.get("x-cache"), "MISS", path + "?cache=false")
            eq(json.loads(body), fresh, "warmed %s = the cache=false answer" % path)
        after, _ = api.get_json("/urls/summary")
        eq(summary_total(after) - summary_total(before), 3, "the run's 3 checks are counted")
        warms = metric(api, "urlmon_api_cache_warms_total")
    finally:
        api.stop_checked()
    lines = [ln for ln in open(api.log_path) if "cache warm: 7 answers written in" in ln]
    eq(len(lines), warms, "one log line per warm")


def test_get_joins_the_warm():
    """A GET arriving while the warm computes its key waits for that computation (one
    MySQL job, X-Cache: MISS) instead of starting its own. The warm is held inside MySQL by a
    table lock the queries wait for."""
    api = Api(CACHE_WARM=1)
    lock = None
    try:
        settle(api)
        joins = metric(api, "urlmon_api_singleflight_joins_total")
        answers = metric(api, "urlmon_api_cache_warm_answers_total")
        lock = subprocess.Popen(["bash", os.path.join(ROOT, "scripts", "stack.sh"), "sql"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        lock.stdin.write("LOCK TABLES checks WRITE, rollup_hourly_total WRITE;\n"
                         "SELECT SLEEP(0);\n")
        lock.stdin.flush()
        time.sleep(0.5)
        redis("DEL", KEYS[-1])  # the summary, as a run deletes it
        wait_for("the warm's job waiting in MySQL",
                 lambda: metric(api, "urlmon_api_jobs_running") >= 1, 5)
        got = {}
        t = threading.Thread(target=lambda: got.update(r=api.request("GET", "/urls/summary")))
        t.start()
        wait_for("the GET joined the warm's job",
                 lambda: metric(api, "urlmon_api_singleflight_joins_total") == joins + 1, 5)
        lock.stdin.write("UNLOCK TABLES;\n")
        lock.stdin.close()
        lock.wait(timeout=30)
        lock = None
        t.join(timeout=30)
        st, headers, body = got["r"]
        eq((st, headers.get("x-cache")), (200, "MISS"), "the GET during the warm")
        settle(api)
        eq(metric(api, "urlmon_api_cache_warm_answers_total") - answers, 1, "the warm wrote it")
        st, headers, cached = api.request("GET", "/urls/summary")
        eq((st, headers.get("x-cache"), cached), (200, "HIT", body), "the next GET")
    finally:
        if lock:
            lock.kill()
            lock.wait()
        api.stop_checked()


def test_two_instances_compute_once():
    a, b = Api(CACHE_WARM=1), Api(CACHE_WARM=1)
    try:
        settle(a, b)
        base = [metric(x, "urlmon_api_cache_warm_answers_total") for x in (a, b)]
        compute_run()
        settle(a, b)
        got = [metric(x, "urlmon_api_cache_warm_answers_total") for x in (a, b)]
        eq(got[0] - base[0] + got[1] - base[1], 7, "answers computed by both instances (%r -> %r)"
           % (base, got))
        for x in (a, b):
            for path in PATHS:
                st, headers, _ = x.request("GET", path)
                eq((st, headers.get("x-cache")), (200, "HIT"), "GET %s on each instance" % path)
        eq(redis("EXISTS", "urlmon:warm:lock").split()[-1], "0", "the lock is released")
    finally:
        a.stop_checked()
        b.stop_checked()


def test_lock_held_elsewhere():
    """An instance that died holding the lock: this one yields until the lock expires,
    GETs miss meanwhile, and the next invalidation (a GET's own fill) warms the rest."""
    api = Api(CACHE_WARM=1)
    try:
        settle(api)
        yields = metric(api, "urlmon_api_cache_warm_yields_total")
        warms = metric(api, "urlmon_api_cache_warms_total")
        redis("SET", "urlmon:warm:lock", "warm:1:1:1", "PX", "2000")
        redis("UNLINK", *KEYS)
        wait_for("yielded to the lock holder",
                 lambda: metric(api, "urlmon_api_cache_warm_yields_total") > yields, 5)
        eq(present(), 0, "nothing warmed while another instance holds the lock")
        eq(metric(api, "urlmon_api_cache_warms_total"), warms, "no warm")
        wait_for("the lock expired", lambda: redis("EXISTS", "urlmon:warm:lock")[-1] == "0", 5)
        st, headers, _ = api.request("GET", "/urls/summary")
        eq((st, headers.get("x-cache")), (200, "MISS"), "a GET after the lock expired")
        wait_for("the rest warmed after the GET's fill", lambda: present() == 7, 5)
        settle(api)
        eq(metric(api, "urlmon_api_cache_warm_answers_total") > 0, True, "warmed by this one")
    finally:
        api.stop_checked()


def test_warm_off():
    api = Api(CACHE_WARM=0)
    try:
        for path in PATHS:
            api.get_json(path)
        time.sleep(0.3)
        compute_run()
        time.sleep(0.5)
        eq(present(), 0, "nothing recomputed with CACHE_WARM=0")
        st, headers, _ = api.request("GET", "/urls/summary")
        eq((st, headers.get("x-cache")), (200, "MISS"), "first GET after a run, CACHE_WARM=0")
        eq(metric(api, "urlmon_api_cache_warms_total"), 0, "no warm")
    finally:
        api.stop_checked()


def test_flush_and_restart():
    api = Api(CACHE_WARM=1)
    try:
        settle(api)
        warms = metric(api, "urlmon_api_cache_warms_total")
        redis("FLUSHALL")
        wait_for("7 answers after FLUSHALL", lambda: present() == 7, 5)
        settle(api)
        eq(metric(api, "urlmon_api_cache_warms_total") - warms, 1, "one warm after FLUSHALL")
        warms = metric(api, "urlmon_api_cache_warms_total")
        before, _ = api.get_json("/urls/summary")
        stack("stop-redis")
        try:
            time.sleep(0.5)
            st, headers, _ = api.request("GET", "/urls/summary")
            eq((st, headers.get("x-cache")), (200, "MISS"), "Redis down: from MySQL")
            compute_run()  # cannot delete the answers cached before the outage
            eq(metric(api, "urlmon_api_cache_warms_total"), warms, "no warm without Redis")
        finally:
            stack("start-redis")
        # Redis reloads its append-only file; the API deletes the answers on reconnecting
        # and warms them again
        wait_for("a warm after the restart",
                 lambda: metric(api, "urlmon_api_cache_warms_total") > warms, 15)
        settle(api)
        eq(metric(api, "urlmon_api_cache_warms_total") - warms, 1, "one warm after the restart")
        for path in PATHS:
            st, headers, _ = api.request("GET", path)
            eq((st, headers.get("x-cache")), (200, "HIT"), "GET %s after the restart" % path)
        after, headers = api.get_json("/urls/summary")
        eq(summary_total(after) - summary_total(before), 3,
           "the warmed summary holds the run made during the outage")
    finally:
        api.stop_checked()


def test_mysql_down():
    api = Api(CACHE_WARM=1)
    try:
        settle(api)
        failures = metric(api, "urlmon_api_cache_warm_failures_total")
        stack("stop-db")
        try:
            redis("DEL", KEYS[-1])
            wait_for("the failed warm counted",
                     lambda: metric(api, "urlmon_api_cache_warm_failures_total") > failures, 15)
            time.sleep(0.5)
            eq(metric(api, "urlmon_api_cache_warm_failures_total") - failures, 1,
               "one answer failed, no retry loop")
            eq(present(), 6, "the other answers untouched")
            st, headers, _ = api.request("GET", "/urls/top/fail/week")
            eq((st, headers.get("x-cache")), (200, "HIT"), "cached answers still served")
            st, _, body = api.request("GET", "/urls/summary")
            eq(st, 503, "the missing one: as without the warm (%r)" % body)
        finally:
            stack("start-db")
        wait_for("MySQL back", lambda: api.request("GET", "/status")[0] == 200, 30)
        st, headers, _ = api.request("GET", "/urls/summary")
        eq((st, headers.get("x-cache")), (200, "MISS"), "the next GET computes it")
    finally:
        api.stop_checked()
    check("1 failed (MySQL or Redis)" in open(api.log_path).read(), "the failure is logged")


def main():
    global TMP, TARGET, CSV
    reset()
    TMP = tempfile.mkdtemp(prefix="urlmon-warm-")
    TARGET, port = start_target(TMP, "target")
    try:
        CSV = os.path.join(TMP, "urls.csv")
        with open(CSV, "w") as f:
            f.write("name,url,regex,interval\n")
            f.write("up-a,http://127.0.0.1:%d/a,,1\n" % port)
            f.write("up-b,http://127.0.0.1:%d/b,,1\n" % port)
            f.write("down,http://127.0.0.1:%d/c?status=503,,1\n" % port)
        compute_run(CSV)
        eq(mysql("SELECT COUNT(*) FROM urls"), [["3"]], "3 URLs")
        run_tests([test_warm_after_run, test_get_joins_the_warm, test_two_instances_compute_once,
                   test_lock_held_elsewhere, test_warm_off, test_flush_and_restart,
                   test_mysql_down])
    finally:
        TARGET.terminate()
        TARGET.wait(timeout=15)
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
