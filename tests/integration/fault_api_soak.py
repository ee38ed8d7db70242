#!/usr/bin/env python3
"""Fault: the API under sustained load and under slowloris/idle clients.

One urlmon-api (API_REQUEST_TIMEOUT=3) on seeded data (api_bench_data.sh: 500 URLs, 2
days of checks every 10 minutes, rollups derived from them):

1. Starvation: 50 slowloris clients (a header byte per second, never the end of the
   head) and 50 idle connections at once. Each is cut off by the API after
   API_REQUEST_TIMEOUT (within 2.5-5 s of connecting) and, while they are connected,
   normal requests (cached, uncached, MySQL-backed) keep answering in under 1 s.
   (api_deps.py covers one slowloris and one idle client.)
2. Soak: wrk, 256 connections, a 10 s warm-up then six batches of 9 s, on a mix of
   routes: /urls/summary, /urls/top/{success,fail}/{hour,week,month}, now and then
   /urls/top/success/hour?cache=false, /urls?limit=&cursor=, /urls/{id},
   /urls/{id}/checks, /healthz, /metrics. No socket errors, no non-2xx answer, the
   process alive, and no leak. What is judged is what a leak looks like, not a byte limit
   that the load decides: VmRSS is read after the warm-up and after each batch, against the
   requests served (judge_rss). A leak grows RSS with every request, so over the last three
   batches RSS still grows by more than LEAK_SLOPE_PER_REQ (16) bytes per request, and by
   more than LEAK_BYTES_PER_REQ (8) in at least two of them. glibc's five arenas (loop +
   four workers) grow their high-water marks for minutes and then settle (measured: 39
   B/request in the first batch, 2-6 B/request in the last three, once a single 240 KB
   step; valgrind and LeakSanitizer clean), which a fixed limit (+5 % or 2 MiB) could not
   tell from a leak. A leak of a 32-byte block per request fails (38 B/request over the
   last three batches): FAULT_SOAK_LEAK_BYTES=16 preloads soak_leak.c, a deliberate leak,
   into the API, and the test must then FAIL; test_judge_rss_can_fail checks the rule
   itself on series shaped like the measured ones at every run.
Then the API exits 0 on SIGTERM.
"""
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import ROOT, Api, Failure, check, eq, run_tests  # noqa: E402

N_URLS = 500
REQUEST_TIMEOUT = 3
WARMUP_S = 10
BATCHES = 6
BATCH_S = 9
LATE_BATCHES = 3
LEAK_BYTES_PER_REQ = 8.0
LEAK_SLOPE_PER_REQ = 16.0
CONNECTIONS = 256
API = None
# A sanitizer build inflates and grows RSS (shadow memory, quarantine): not judged there.
try:
    with open(os.path.join(os.environ.get("URLMON_BUILD", "."), "CMakeCache.txt")) as _f:
        SANITIZED = "URLMON_SANITIZE:BOOL=ON" in _f.read()
except OSError:
    SANITIZED = False

WRK_SCRIPT = r"""
-- fault_api_soak: a mix of routes, counting answers by status per thread.
local n_urls = %(n_urls)d
codes = {}

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

local tops = {"/urls/top/success/hour", "/urls/top/fail/hour", "/urls/top/success/week",
              "/urls/top/fail/week", "/urls/top/success/month", "/urls/top/fail/month"}

function request()
  local r = math.random(1000)
  local path
  if r <= 5 then
    path = "/urls/top/success/hour?cache=false"
  elseif r <= 250 then
    path = "/urls/summary"
  elseif r <= 500 then
    path = tops[math.random(#tops)]
  elseif r <= 600 then
    path = "/urls?limit=" .. math.random(1, 100) .. "&cursor=" .. math.random(0, n_urls)
  elseif r <= 750 then
    path = "/urls/" .. math.random(1, n_urls)
  elseif r <= 800 then
    path = "/urls/" .. math.random(1, n_urls) .. "/checks?limit=20"
  elseif r <= 950 then
    path = "/healthz"
  else
    path = "/metrics"
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("codes")) do all[k] = (all[k] or 0) + v end
  end
  for k, v in pairs(all) do io.write(string.format("status %%d %%d\n", k, v)) end
end
"""


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Failure("no VmRSS for %d" % pid)


def timed_get(path):
    t0 = time.time()
    st, _, _ = API.request("GET", path, timeout=5)
    return st, time.time() - t0


def test_slowloris_and_idle_do_not_starve():
    slow, idle = [], []
    opened = {}
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", API.port))
        s.sendall(b"GET /urls/summary HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        opened[s] = time.time()
        slow.append(s)
        s2 = socket.create_connection(("127.0.0.1", API.port))
        opened[s2] = time.time()
        idle.append(s2)
    closed = {}
    stop = threading.Event()

    def dribble():  # one byte per second on every slowloris socket still open
        while not stop.is_set():
            for s in slow:
                if s not in closed:
                    try:
                        s.send(b"a")
                    except OSError:
                        pass
            stop.wait(1.0)

    def watch():  # when the server closes each socket
        socks = slow + idle
        while not stop.is_set() and len(closed) < len(socks):
            r, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.05)
            for s in r:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    closed[s] = time.time() - opened[s]

    threads = [threading.Thread(target=dribble), threading.Thread(target=watch)]
    for t in threads:
        t.start()
    worst = 0.0
    answered = 0
    try:
        t_end = time.time() + REQUEST_TIMEOUT + 2
        paths = ["/healthz", "/urls/summary", "/urls/top/fail/week", "/urls/1",
                 "/urls/top/success/hour?cache=false", "/urls?limit=50"]
        while time.time() < t_end:
            for p in paths:
                st, took = timed_get(p)
                eq(st, 200, "GET %s while slow clients are connected" % p)
                worst = max(worst, took)
                answered += 1
            time.sleep(0.05)
        deadline = time.time() + 5
        while len(closed) < 100 and time.time() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join()
        for s in slow + idle:
            s.close()
    print("  %d normal requests while 100 slow clients were connected: slowest %.0f ms"
          % (answered, worst * 1000))
    check(worst < 1.0, "a normal request took %.2f s while slow clients were connected" % worst)
    eq(len(closed), 100, "slow and idle connections closed by the server")
    lo, hi = REQUEST_TIMEOUT - 0.5, REQUEST_TIMEOUT + 2.0
    times = sorted(closed.values())
    print("  cut off after %.2f-%.2f s (API_REQUEST_TIMEOUT=%d)" % (times[0], times[-1],
                                                                   REQUEST_TIMEOUT))
    bad = [round(t, 2) for t in times if not lo <= t <= hi]
    eq(bad, [], "connections cut off outside %.1f-%.1f s" % (lo, hi))
    st, took = timed_get("/urls/summary")
    eq(st, 200, "serving afterwards")


def run_wrk(script, seconds):
    """One wrk run of the route mix; returns its request count after checking that every
    answer was a 200 and there was no socket error."""
    p = subprocess.run(["wrk", "-t2", "-c%d" % CONNECTIONS, "-d%ds" % seconds, "--timeout", "5s",
                        "--latency", "-s", script, "http://127.0.0.1:%d" % API.port],
                       capture_output=True, text=True, timeout=seconds + 60)
    out = p.stdout
    eq(p.returncode, 0, "wrk exit status: %s" % p.stderr)
    check(API.proc.poll() is None, "urlmon-api crashed under load: %s" % API.logs()[-2000:])
    reqs = re.search(r"(\d+) requests in", out)
    codes = {int(k): int(v) for k, v in re.findall(r"^status (\d+) (\d+)$", out, re.M)}
    check(reqs and int(reqs.group(1)) > 0, "wrk made no requests:\n" + out)
    check("Socket errors" not in out, "socket errors:\n" + out)
    check("Non-2xx" not in out, "non-2xx answers:\n" + out)
    eq(sorted(codes), [200], "statuses")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    return int(reqs.group(1)), float(rps.group(1)) if rps else 0.0, p99.group(1) if p99 else "?"


def judge_rss(points):
    """points: (requests served so far, VmRSS KB) after the warm-up and after each equal
    batch. A leak grows RSS with every request: over the late batches RSS still grows by
    more than LEAK_SLOPE_PER_REQ bytes per request, and it grows in most of them (at least
    LATE_BATCHES - 1 over LEAK_BYTES_PER_REQ), not in one step. glibc's arenas settle: late
    batches grow RSS a few bytes per request, or once by a step. Returns (leaking, late
    growth in bytes per request, per-batch growth in bytes per request)."""
    rates = []
    for (n0, kb0), (n1, kb1) in zip(points, points[1:]):
        rates.append((kb1 - kb0) * 1024.0 / max(n1 - n0, 1))
    late = rates[-LATE_BATCHES:]
    (n_a, kb_a), (n_b, kb_b) = points[-LATE_BATCHES - 1], points[-1]
    late_rate = (kb_b - kb_a) * 1024.0 / max(n_b - n_a, 1)
    growing = sum(1 for r in late if r > LEAK_BYTES_PER_REQ)
    return late_rate > LEAK_SLOPE_PER_REQ and growing >= LATE_BATCHES - 1, late_rate, rates


def test_judge_rss_can_fail():
    """The leak rule on series shaped like measured ones (VmRSS KB after the warm-up and
    six batches of 22,000 requests): arenas that settle, or grow once late, pass; a leak
    of a 32-byte block per request fails (measured with soak_leak.c: 46, 55, 33, 28, 81,
    6 bytes per request by batch)."""
    def series(kbs):
        return [(i * 22000, kb) for i, kb in enumerate(kbs)]

    cases = [("arenas settling", [10700, 11550, 11670, 11740, 11800, 12040, 12080], False),
             ("arenas, one late step", [10700, 11550, 11670, 11740, 11800, 13300, 13310], False),
             ("arenas at 4 B/request", [10700, 11600, 11700, 11800, 11890, 11980, 12070], False),
             ("a 32 B/request leak", [11960, 13090, 14350, 15040, 15650, 17450, 17590], True),
             ("a 32 B/request leak, steady", [11960, 12960, 13660, 14360, 15060, 15760, 16460],
              True)]
    for what, kbs, want in cases:
        leaking, late_rate, rates = judge_rss(series(kbs))
        check(leaking == want, "%s: judged %s (late %.1f B/request, by batch %s)" % (
            what, "a leak" if leaking else "no leak", late_rate,
            ", ".join("%.1f" % r for r in rates)))


def test_wrk_soak():
    work = tempfile.mkdtemp(prefix="urlmon-fault-soak-")
    script = os.path.join(work, "mix.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT % {"n_urls": N_URLS})
    pid = API.proc.pid
    try:
        n, rps, p99 = run_wrk(script, WARMUP_S)
        print("  warm-up %d s x %d connections: %d requests, %.0f req/s, p99 %s" % (
            WARMUP_S, CONNECTIONS, n, rps, p99))
        points = [(0, vmrss_kb(pid))]
        for i in range(BATCHES):
            n, rps, p99 = run_wrk(script, BATCH_S)
            points.append((points[-1][0] + n, vmrss_kb(pid)))
            print("  batch %d: %d requests, %.0f req/s, p99 %s, VmRSS %d KB" % (
                i + 1, n, rps, p99, points[-1][1]))
    finally:
        subprocess.run(["rm", "-rf", work], check=False)
    leaking, late_rate, rates = judge_rss(points)
    print("  RSS growth per request by batch: %s bytes; the last %d together %.1f (a leak:"
          " above %.0f, and %d of them above %.0f)" % (
              ", ".join("%.1f" % r for r in rates), LATE_BATCHES, late_rate,
              LEAK_SLOPE_PER_REQ, LATE_BATCHES - 1, LEAK_BYTES_PER_REQ))
    print("  VmRSS %d KB after the warm-up, %d KB after %d requests" % (
        points[0][1], points[-1][1], points[-1][0]))
    check(SANITIZED or not leaking,
          "RSS keeps growing with requests (a leak): %.1f bytes per request over the last %d"
          " batches; by batch %s; VmRSS %d -> %d KB" % (
              late_rate, LATE_BATCHES, ", ".join("%.1f" % r for r in rates), points[0][1],
              points[-1][1]))
    st, _, _ = API.request("GET", "/healthz")
    eq(st, 200, "healthy after the soak")


def seed():
    env = dict(os.environ)
    subprocess.run(["bash", os.path.join(ROOT, "tests", "integration", "api_bench_data.sh"),
                    str(N_URLS), "2"], env=env, check=True, capture_output=True, timeout=300)


def main():
    global API
    t0 = time.time()
    seed()
    print("seeded %d URLs in %.1f s" % (N_URLS, time.time() - t0))
    env = dict(API_REQUEST_TIMEOUT=REQUEST_TIMEOUT, API_THREADS=4, MAX_POOL=8)
    if os.environ.get("FAULT_SOAK_LEAK_BYTES"):
        # the proof that the soak can fail: a leak of that many bytes per answer
        # (soak_leak.c, preloaded); the test must then FAIL
        env["LD_PRELOAD"] = os.environ["FAULT_SOAK_LEAK_LIB"]
        print("FAULT_SOAK_LEAK_BYTES=%s: urlmon-api leaks that much per answer on purpose"
              % os.environ["FAULT_SOAK_LEAK_BYTES"])
    API = Api(**env)
    try:
        run_tests([test_judge_rss_can_fail, test_slowloris_and_idle_do_not_starve, test_wrk_soak])
    finally:
        rc = API.stop()
        if rc != 0:
            print("urlmon-api exit status %s\n%s" % (rc, API.logs()[-3000:]))
            sys.exit(1)


if __name__ == "__main__":
    main()
