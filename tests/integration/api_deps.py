#!/usr/bin/env python3
"""Integration: the API when Redis or MySQL goes away, and the limits on clients.

Redis stopped (stack.sh stop-redis): GETs still answer 200 from MySQL with X-Cache: MISS,
POST /urls answers 503 JSON and queues nothing, /status answers 503 naming redis;
started again: the API reconnects by itself, drops the answers cached before the outage
(Redis kept them, and no compute run could delete them meanwhile), and POST works. MySQL stopped: cached
answers keep flowing, uncached ones are 503 JSON, /status names mysql. /healthz (liveness)
stays 200 through both outages: a load balancer must not kill a task that still serves. Limits: a client
that dribbles its request (slowloris) or idles is cut off after API_REQUEST_TIMEOUT, and
at API_MAX_CONNECTIONS the API stops accepting until a connection closes.
"""
import datetime as dt
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import (Api, Checks, Failure, add_url, check, eq, metric, now, redis,  # noqa: E402
                     reset, run_tests, stack)

API = None


def wait_health(want, timeout=15):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        st, _, body = API.request("GET", "/status")
        last = (st, body)
        # the Redis policy fields are api_qguard.sh's; here: mysql and redis
        got = {k: v for k, v in json.loads(body).items() if k in ("mysql", "redis")}
        if st == want[0] and got == want[1]:
            live = API.request("GET", "/healthz")
            eq((live[0], json.loads(live[2])), (200, {"status": "ok"}),
               "healthz (liveness) while /status is %d" % st)
            return
        time.sleep(0.1)
    raise Failure("status: %r, want %r" % (last, want))


def post(name):
    return API.request("POST", "/urls", body=json.dumps({"name": name,
                                                         "url": "https://%s.example/" % name}),
                       headers={"Content-Type": "application/json"})


def test_redis_down():
    reset()
    add_url(1, "r", "https://r.example/")
    c = Checks()
    c.add(1, now() - dt.timedelta(minutes=1))
    c.flush()
    API.get_json("/urls/summary")  # cached with one check; Redis keeps it (AOF)
    stack("stop-redis")
    try:
        c.add(1, now() - dt.timedelta(minutes=2))  # a run while Redis is down
        c.flush()
        for path in ("/urls/summary", "/urls/top/success/hour", "/urls/top/fail/month",
                     "/urls/summary?cache=false"):
            body, headers = API.get_json(path)
            eq(headers.get("x-cache"), "MISS", path + " with Redis down")
        body, _ = API.get_json("/urls/summary")
        eq(body[0], {"status": "success", "count": 2}, "answer from MySQL")
        st, hd, body = post("while-down")
        eq(st, 503, "POST with Redis down")
        eq(hd.get("content-type"), "application/json", "503 content type")
        check(json.loads(body)["error"].startswith("redis"), "503 names redis: %r" % body)
        wait_health((503, {"mysql": "ok", "redis": "down"}))
        st, _, text = API.request("GET", "/metrics")
        eq(st, 200, "metrics with Redis down")
        check(b"urlmon_api_redis_up 0" in text, "redis_up gauge")
    finally:
        stack("start-redis")
    wait_health((200, {"mysql": "ok", "redis": "ok"}))
    # the answer cached before the outage (one check) must not come back
    body, h1 = API.get_json("/urls/summary")
    eq((h1.get("x-cache"), body[0]["count"]), ("MISS", 2), "first GET after Redis is back")
    time.sleep(0.2)
    body, h2 = API.get_json("/urls/summary")
    eq((h2.get("x-cache"), body[0]["count"]), ("HIT", 2), "cache works again")
    st, _, body = post("after")
    eq(st, 202, "POST after Redis is back: %r" % body)
    eq(json.loads(body)["queue_length"], 1, "queue length")
    queued = redis("--raw", "LRANGE", "urlmon:queue", "0", "-1").splitlines()
    eq([json.loads(q)["name"] for q in queued], ["after"], "queue holds only the accepted POST")


def test_mysql_down():
    API.get_json("/urls/top/success/hour")
    good, _ = API.get_json("/urls/summary")
    time.sleep(0.2)
    stack("stop-db")
    try:
        body, headers = API.get_json("/urls/top/success/hour")
        eq(headers.get("x-cache"), "HIT", "cached answer with MySQL down")
        body, headers = API.get_json("/urls/summary")
        eq(headers.get("x-cache"), "HIT", "summary cached with MySQL down")
        st, hd, body = API.request("GET", "/urls/summary?cache=false")
        eq(st, 503, "uncached with MySQL down")
        check(json.loads(body)["error"].startswith("mysql"), "names mysql: %r" % body)
        # the failed recompute leaves the last good answer in place
        body, headers = API.get_json("/urls/summary")
        eq((body, headers.get("x-cache")), (good, "HIT"), "summary after a failed cache=false")
        st, _, body = API.request("GET", "/urls/1")
        eq(st, 503, "detail with MySQL down")
        wait_health((503, {"mysql": "down", "redis": "ok"}))
    finally:
        stack("start-db")
    wait_health((200, {"mysql": "ok", "redis": "ok"}))
    body, headers = API.get_json("/urls/summary?cache=false")
    eq(headers.get("x-cache"), "MISS", "after MySQL is back")


def closed_within(sock, seconds):
    """Seconds until the server closed sock (reading and discarding), or None."""
    t0 = time.time()
    sock.settimeout(0.2)
    while time.time() - t0 < seconds:
        try:
            if sock.recv(4096) == b"":
                return time.time() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.time() - t0
    return None


def test_slowloris_and_idle():
    api = Api(API_REQUEST_TIMEOUT=2)
    try:
        slow = socket.create_connection(("127.0.0.1", api.port))
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        t0 = time.time()
        closed = None
        slow.settimeout(0.3)
        while time.time() - t0 < 6:
            try:
                slow.sendall(b"X-A: b\r\n")  # a header line every 0.3 s, never the end
                if slow.recv(4096) == b"":
                    closed = time.time() - t0
                    break
            except socket.timeout:
                continue
            except OSError:
                closed = time.time() - t0
                break
        slow.close()
        check(closed is not None and closed < 3.5,
              "slowloris connection closed after %r s (API_REQUEST_TIMEOUT=2)" % closed)
        idle = socket.create_connection(("127.0.0.1", api.port))
        took = closed_within(idle, 6)
        idle.close()
        check(took is not None and 1.5 < took < 3.5, "idle connection closed after %r s" % took)
        # keep-alive: one request, then idle
        ka = socket.create_connection(("127.0.0.1", api.port))
        ka.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: t\r\n\r\n")
        took = closed_within(ka, 6)
        ka.close()
        check(took is not None and took < 3.5, "keep-alive idle closed after %r s" % took)
        eq(api.request("GET", "/healthz")[0], 200, "still serving")
    finally:
        rc = api.stop()
    eq(rc, 0, "exit status (log: %s)" % api.logs()[-2000:])


def test_connection_cap():
    api = Api(API_MAX_CONNECTIONS=16, API_REQUEST_TIMEOUT=20)
    socks = []
    try:
        for _ in range(16):
            socks.append(socket.create_connection(("127.0.0.1", api.port)))
        time.sleep(0.3)
        # the 17th connects (kernel backlog) but is not served while 16 are open
        extra = socket.create_connection(("127.0.0.1", api.port))
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        extra.settimeout(1.0)
        try:
            early = extra.recv(4096)
        except socket.timeout:
            early = None
        eq(early, None, "answer at the connection cap")
        socks.pop().close()
        extra.settimeout(10)
        data = b""
        while True:
            chunk = extra.recv(4096)
            if not chunk:
                break
            data += chunk
        check(data.startswith(b"HTTP/1.1 200"), "served once a slot was free: %r" % data[:60])
        extra.close()
        for s in socks:
            s.close()
        socks = []
        deadline = time.time() + 5
        while time.time() < deadline and metric(api, "urlmon_api_connections") != 1:
            time.sleep(0.1)
        eq(metric(api, "urlmon_api_connections"), 1.0, "connections after closing (the scrape)")
    finally:
        for s in socks:
            s.close()
        rc = api.stop()
    eq(rc, 0, "exit status (log: %s)" % api.logs()[-2000:])


def main():
    global API
    # X-Cache is asserted right after Redis or MySQL comes back, where a warm would race
    # the GET (HIT or MISS); api_warm tests the warm through both outages.
    API = Api(CACHE_WARM=0)
    try:
        run_tests([test_redis_down, test_mysql_down, test_slowloris_and_idle,
                   test_connection_cap])
    finally:
        API.stop_checked()


if __name__ == "__main__":
    main()
