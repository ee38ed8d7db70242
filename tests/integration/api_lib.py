"""tests/integration/api_lib.py: helpers for the API's integration tests.

Runs against the private stack the ctest `stack` fixture starts (environment: DB_*,
CACHE_*, URLMON_API_BIN, URLMON_ROOT, URLMON_STACK_DIR). Starts urlmon-api on a free
port as the API's own MySQL user (urlmon_api: SELECT and UPDATE only), talks HTTP with
http.client or raw sockets, and writes test data with the mariadb client exactly as
the compute job does: a check row plus, in the same transaction, its rollup_hourly,
rollup_daily and rollup_hourly_total increments, which urlmon-rollup (URLMON_ROLLUP_BIN:
the job's own rollup code, compute/rollup.c) derives from the checks.
"""
import calendar
import datetime as dt
import http.client
import http.server
import json
import os
import socket
import subprocess
import sys
import time

ROOT = os.environ.get("URLMON_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
API_BIN = os.environ.get("URLMON_API_BIN", "")
ROLLUP_BIN = os.environ.get("URLMON_ROLLUP_BIN", "")
UTC = dt.timezone.utc


class Failure(Exception):
    pass


class OkHandler(http.server.BaseHTTPRequestHandler):
    """A target that answers every GET 200 "ok", quietly (for http.server)."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def eq(got, want, what):
    if got != want:
        raise Failure("%s: got %r, want %r" % (what, got, want))


# ---- MySQL ------------------------------------------------------------------------

def mysql(sql, root=False):
    """Runs SQL (several statements allowed); returns rows as lists of strings."""
    if root:
        cmd = ["bash", os.path.join(ROOT, "scripts", "stack.sh"), "sql", "-N", "-B"]
    else:
        cmd = ["mariadb", "--no-defaults", "-h", os.environ["DB_ADDRESS"], "-P",
               os.environ["DB_PORT"], "-u", os.environ["DB_USER"],
               "-p" + os.environ.get("DB_PASSWORD", ""), "-N", "-B", os.environ["DB_NAME"]]
    p = subprocess.run(cmd, input="SET time_zone = '+00:00';\n" + sql, capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        raise Failure("mysql: %s\n%s" % (p.stderr.strip(), sql[:2000]))
    return [line.split("\t") for line in p.stdout.splitlines()]


def sql_str(s):
    """A MySQL string literal for test-controlled text (hex, so nothing needs escaping)."""
    return "X'%s'" % s.encode("utf-8").hex() if s else "''"


def sql_time(t):
    return "'%s'" % t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def reset():
    mysql("DELETE FROM checks; DELETE FROM rollup_hourly; DELETE FROM rollup_daily;"
          " DELETE FROM rollup_hourly_total; DELETE FROM result_batches; DELETE FROM run_locks;"
          " DELETE FROM runs; DELETE FROM urls; DELETE FROM incidents; DELETE FROM outbox;")
    redis("FLUSHDB")


def add_url(url_id, name, url, active=1, regex=None):
    mysql("INSERT INTO urls (id, name, url, regex, active, created_at, updated_at)"
          " VALUES (%d, %s, %s, %s, %d, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3));"
          % (url_id, sql_str(name), sql_str(url), sql_str(regex) if regex else "NULL", active))


class Checks:
    """Collects checks and writes them, with their rollups, as the compute job does."""

    def __init__(self):
        self.rows = []
        self.run_id = int(time.time() * 1000) % 1000000000

    def add(self, url_id, when, success=True, response_ms=100):
        self.run_id += 1
        self.rows.append((url_id, self.run_id, when, 1 if success else 0, response_ms))

    def flush(self):
        stmts = ["START TRANSACTION;"]
        for url_id, run_id, when, ok, ms in self.rows:
            stmts.append(
                "INSERT INTO checks (url_id, run_id, checked_at, success, http_status,"
                " response_ms, error_class) VALUES (%d, %d, %s, %d, %s, %d, %s);"
                % (url_id, run_id, sql_time(when), ok, "200" if ok else "500", ms,
                   "NULL" if ok else "'http_status'"))
        stmts.append(rollup_sql((url_id, epoch_ms(when), ok, ms)
                                for url_id, _, when, ok, ms in self.rows))
        stmts.append("COMMIT;")
        mysql("\n".join(stmts))
        self.rows = []


def epoch_ms(t):
    """A naive UTC datetime as ms since the epoch (what sql_time writes, to the ms)."""
    return calendar.timegm(t.timetuple()) * 1000 + t.microsecond // 1000


def rollup_sql(checks):
    """The compute job's rollup upserts for (url_id, checked_at_ms, success, response_ms)
    rows, made by urlmon-rollup from compute/rollup.c: the rules exist once."""
    text = "".join("%d\t%d\t%d\t%s\n" % (u, at, 1 if ok else 0,
                                          "\\N" if ms is None else "%d" % ms)
                   for u, at, ok, ms in checks)
    if not ROLLUP_BIN:
        raise Failure("URLMON_ROLLUP_BIN is not set (the urlmon-rollup binary)")
    p = subprocess.run([ROLLUP_BIN], input=text, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise Failure("urlmon-rollup: %s" % p.stderr.strip())
    return p.stdout


def now():
    return dt.datetime.now(UTC).replace(tzinfo=None)


# ---- Redis ------------------------------------------------------------------------

def redis(*args):
    cmd = ["redis-cli", "-h", os.environ["CACHE_ADDRESS"], "-p", os.environ["CACHE_PORT"],
           "--no-raw"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    return p.stdout.strip()


def stack(action):
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "stack.sh"), action], check=True,
                   capture_output=True, timeout=120)


# ---- the API process ---------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Api:
    def __init__(self, **env):
        self.port = free_port()
        e = dict(os.environ)
        e.update({"API_ADDRESS": "127.0.0.1", "API_PORT": str(self.port),
                  "DB_USER": "urlmon_api", "DB_PASSWORD": "urlmon-api-local",
                  "LOG_LEVEL": "warn", "API_THREADS": "4"})
        e.update({k: str(v) for k, v in env.items()})
        self.log_path = os.path.join(os.environ.get("URLMON_STACK_DIR", "/tmp"),
                                     "api-test-%d.log" % self.port)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([API_BIN], env=e, stdout=self.log, stderr=self.log)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Failure("urlmon-api exited with %s: %s" % (self.proc.returncode,
                                                                 open(self.log_path).read()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise Failure("urlmon-api did not listen within 15 s")

    def request(self, method, path, body=None, headers=None, timeout=15):
        """Returns (status, headers dict lower-cased, body bytes)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def get_json(self, path, want=200):
        status, headers, data = self.request("GET", path)
        if status != want:
            raise Failure("GET %s: %d %s" % (path, status, data[:300]))
        return json.loads(data), headers

    def raw(self, data, timeout=10, read_all=True):
        """Sends raw bytes; returns (status or None, headers, body) of the first answer."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            try:
                s.sendall(data)
            except OSError:
                pass
            buf = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                    if not read_all and b"\r\n\r\n" in buf:
                        head, _, rest = buf.partition(b"\r\n\r\n")
                        n = 0
                        for line in head.split(b"\r\n")[1:]:
                            k, _, v = line.partition(b":")
                            if k.strip().lower() == b"content-length":
                                n = int(v.strip())
                        if len(rest) >= n:
                            break
            except OSError:
                pass
        finally:
            s.close()
        return parse_response(buf)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Failure("urlmon-api did not stop within 15 s of SIGTERM")
        self.log.close()
        return self.proc.returncode

    def stop_checked(self):
        """Stops the API; exits the test with its logs unless it exited 0 (a sanitizer
        report, a leak or a crash makes the exit status non-zero)."""
        rc = self.stop()
        if rc != 0:
            print("urlmon-api exit status %s\n%s" % (rc, self.logs()))
            sys.exit(1)

    def logs(self):
        with open(self.log_path) as f:
            return f.read()


def parse_response(buf):
    if not buf.startswith(b"HTTP/1."):
        return None, {}, buf
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
    return status, headers, body


def metric(api, name):
    """The value of the unlabelled metric name on api's /metrics, or None when absent."""
    st, _, text = api.request("GET", "/metrics")
    eq(st, 200, "GET /metrics")
    for line in text.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_for(what, cond, seconds=10):
    """Polls cond every 50 ms until it holds; a Failure naming what after seconds."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise Failure("%s: not within %g s" % (what, seconds))


def run_tests(tests):
    """Runs test functions in order; prints each result; exits 1 when any failed."""
    failed = 0
    for t in tests:
        t0 = time.time()
        try:
            t()
            print("PASS %s (%.1f s)" % (t.__name__, time.time() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print("FAIL %s: %s: %s" % (t.__name__, type(e).__name__, e), flush=True)
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)
