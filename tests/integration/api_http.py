#!/usr/bin/env python3
"""Integration: HTTP details on the wire, with raw sockets and a second client
(http.client) where it matters.

HEAD answers carry the GET's headers (Content-Length included) and no body, so a
request pipelined after a HEAD is read correctly; an HTTP/1.1 request without Host is a
400; path segments are percent-decoded before routing; the debug log line of a request
never carries a secret query value; CORS_ORIGINS governs cross-origin calls (preflights
answered, never credentials); METRICS_PORT moves /metrics to its own listener; an answer
over 16 KiB on a kept-alive connection does not wait 40 ms (TCP_NODELAY).
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import (API_BIN, Api, Checks, Failure, add_url, check, eq, free_port,  # noqa: E402
                     now, parse_response, reset, run_tests)


def read_responses(sock, n, head_first=False, timeout=5):
    """Reads n responses from sock, framing each by its Content-Length (the first one as
    the answer to a HEAD when head_first: no body whatever Content-Length says).
    Returns [(status, headers, body)] and the bytes left over."""
    sock.settimeout(timeout)
    buf = b""
    out = []
    deadline = time.time() + timeout
    while len(out) < n and time.time() < deadline:
        if b"\r\n\r\n" in buf:
            head, _, rest = buf.partition(b"\r\n\r\n")
            status, headers, _ = parse_response(head + b"\r\n\r\n")
            want = 0 if (head_first and not out) else int(headers.get("content-length", "0"))
            if len(rest) >= want:
                out.append((status, headers, rest[:want]))
                buf = rest[want:]
                continue
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    # whatever else arrives within a moment is left over (a HEAD body would be)
    sock.settimeout(0.3)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
    except OSError:
        pass
    return out, buf


def raw_conn(api):
    return socket.create_connection(("127.0.0.1", api.port), timeout=5)


GET_ROUTES = ["/urls/summary", "/urls/top/fail/week", "/urls", "/urls/1", "/urls/1/checks",
              "/healthz", "/status", "/openapi.json", "/nope", "/urls/abc"]


def setup_data():
    reset()
    add_url(1, "one", "https://one.example/")
    c = Checks()
    c.add(1, now())
    c.flush()


def test_head_pipelined_raw():
    api = Api()
    try:
        setup_data()
        for path in GET_ROUTES:
            st, hd, body = api.request("GET", path)
            s = raw_conn(api)
            try:
                s.sendall(("HEAD %s HTTP/1.1\r\nHost: x\r\n\r\n"
                           "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
                got, extra = read_responses(s, 2, head_first=True)
            finally:
                s.close()
            eq(len(got), 2, "%s: answers to HEAD + GET (left over %r)" % (path, extra[:120]))
            eq(got[0][0], st, "%s: HEAD status" % path)
            eq(got[0][1].get("content-length"), str(len(body)),
               "%s: HEAD Content-Length = the GET body's length" % path)
            eq(got[0][1].get("content-type"), hd.get("content-type"), "%s: Content-Type" % path)
            eq(got[1][0], 200, "%s: the GET after the HEAD" % path)
            eq(json.loads(got[1][2]), {"status": "ok"}, "%s: its body (/healthz liveness)" % path)
            eq(extra, b"", "%s: nothing after the two answers" % path)
    finally:
        api.stop_checked()


def test_head_http_client_keepalive():
    """http.client reads a HEAD answer without a body; the next request on the same
    connection must parse (it fails with a BadStatusLine on a leaked body)."""
    api = Api()
    try:
        setup_data()
        c = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
        for path in ("/urls/summary", "/urls/summary", "/urls/1"):
            c.request("HEAD", path)
            r = c.getresponse()
            eq(r.read(), b"", "HEAD body")
            eq(r.status, 200, "HEAD %s" % path)
            check(int(r.getheader("Content-Length")) > 0, "HEAD %s Content-Length" % path)
            c.request("GET", "/urls/summary")
            r = c.getresponse()
            eq(r.status, 200, "GET after HEAD %s" % path)
            json.loads(r.read())
        c.close()
    finally:
        api.stop_checked()


def test_large_answer_no_delay():
    """An answer over 16 KiB (libevent writes it in pieces of 16 KiB) on a kept-alive
    connection must not wait for the client's delayed acknowledgement: without
    TCP_NODELAY Nagle's algorithm held the second piece back 40 ms each time."""
    api = Api()
    try:
        reset()
        for i in range(1, 101):
            add_url(i, "large %03d" % i, "https://large.example/%03d/%s" % (i, "x" * 400))
        c = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
        times = []
        for _ in range(25):
            t0 = time.monotonic()
            c.request("GET", "/urls?limit=100")
            r = c.getresponse()
            data = r.read()
            times.append(time.monotonic() - t0)
            eq(r.status, 200, "/urls?limit=100")
        c.close()
        check(len(data) > 40000, "the answer spans several 16 KiB writes: %d bytes" % len(data))
        times.sort()
        check(times[len(times) // 2] < 0.030,
              "median of 25 kept-alive GETs of %d bytes: %.1f ms (40 ms = Nagle + delayed ACK)"
              % (len(data), times[len(times) // 2] * 1000))
    finally:
        api.stop_checked()


def test_host_required():
    api = Api()
    try:
        st, hd, body = api.raw(b"GET /openapi.json HTTP/1.1\r\n\r\n", read_all=False)
        eq(st, 400, "HTTP/1.1 without Host")
        eq(hd.get("content-type"), "application/json", "JSON error")
        check(json.loads(body)["error"].startswith("header Host"), "names Host: %r" % body)
        st, _, _ = api.raw(b"GET /openapi.json HTTP/1.0\r\n\r\n")
        eq(st, 200, "HTTP/1.0 needs no Host")
        st, _, _ = api.raw(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        eq(st, 200, "HTTP/1.1 with Host")
    finally:
        api.stop_checked()


def test_percent_encoded_path():
    api = Api()
    try:
        setup_data()
        add_url(11, "eleven", "https://eleven.example/")
        for enc, plain in (("/urls/top/%66ail/week", "/urls/top/fail/week"),
                           ("/urls/%31%31", "/urls/11"),
                           ("/%75rls/summary?cache=false", "/urls/summary?cache=false")):
            want, _ = api.get_json(plain)
            got, _ = api.get_json(enc)
            eq(got, want, enc)
        for bad in ("/urls/%2F11", "/urls/1%00", "/urls/%zz"):
            st, _, body = api.request("GET", bad)
            eq(st, 400, bad)
            check(json.loads(body)["error"].startswith("path"), "%s names the path" % bad)
    finally:
        api.stop_checked()


def test_no_secrets_in_logs():
    api = Api(LOG_LEVEL="debug")
    try:
        for target in ("/urls/summary?token=SeCrEt-one", "/urls?access_token=SeCrEt-two&limit=5",
                       "/healthz?api_key=SeCrEt-three", "/urls?limit=5&password=SeCrEt-four"):
            api.request("GET", target)
        api.request("GET", "/urls?limit=7")
        time.sleep(0.3)
        logs = api.logs()
        check("SeCrEt" not in logs, "a secret query value reached the log:\n" +
              "\n".join(line for line in logs.splitlines() if "SeCrEt" in line))
        check("/urls?access_token=REDACTED&limit=5" in logs, "redacted line:\n" + logs[-2000:])
        check("/urls?limit=7" in logs, "the API's own parameters are still logged")
    finally:
        api.stop_checked()


def preflight(api, path, origin, method, headers=None):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    h.update(headers or {})
    return api.request("OPTIONS", path, headers=h)


def test_cors_list():
    api = Api(CORS_ORIGINS="https://dash.example, http://127.0.0.1:8080")
    try:
        st, hd, body = preflight(api, "/urls", "https://dash.example", "POST",
                                 {"Access-Control-Request-Headers": "authorization,content-type"})
        eq(st, 204, "preflight of a listed origin: %r" % body)
        eq(hd.get("access-control-allow-origin"), "https://dash.example", "allow origin")
        check("POST" in hd.get("access-control-allow-methods", ""), "allow methods %r" % hd)
        check("Authorization" in hd.get("access-control-allow-headers", ""), "allow headers")
        check("access-control-allow-credentials" not in hd, "no credentials")
        check("Origin" in hd.get("vary", ""), "Vary: Origin")
        st, hd, _ = api.request("GET", "/healthz", headers={"Origin": "http://127.0.0.1:8080"})
        eq((st, hd.get("access-control-allow-origin")), (200, "http://127.0.0.1:8080"), "GET")
        check("Origin" in hd.get("vary", ""), "GET Vary: Origin")
        st, hd, body = preflight(api, "/urls", "https://evil.example", "GET")
        eq(st, 403, "unlisted origin")
        check("access-control-allow-origin" not in hd, "no allow-origin for it")
        check(json.loads(body)["error"].startswith("origin"), "JSON error naming the origin")
        st, hd, _ = api.request("GET", "/healthz", headers={"Origin": "https://evil.example"})
        eq(st, 200, "same-origin rules are the browser's: the GET is answered")
        check("access-control-allow-origin" not in hd, "but without allow-origin")
        st, hd, _ = preflight(api, "/urls/summary", "https://dash.example", "DELETE")
        eq(st, 403, "a method the route does not take")
        st, hd, _ = preflight(api, "/nope", "https://dash.example", "GET")
        eq(st, 404, "preflight of no route")
    finally:
        api.stop_checked()


def test_cors_any():
    api = Api(CORS_ORIGINS="*")
    try:
        st, hd, _ = preflight(api, "/urls/summary", "https://any.example", "GET")
        eq((st, hd.get("access-control-allow-origin")), (204, "*"), "GET preflight")
        check("access-control-allow-credentials" not in hd, "never credentials with *")
        st, hd, _ = api.request("GET", "/urls/summary", headers={"Origin": "https://a.example"})
        eq((st, hd.get("access-control-allow-origin")), (200, "*"), "GET")
        check("access-control-allow-credentials" not in hd, "never credentials with *")
        st, hd, _ = preflight(api, "/urls", "https://any.example", "POST")
        eq(st, 403, "* allows GETs only")
        check("access-control-allow-origin" not in hd, "no allow-origin for POST")
    finally:
        api.stop_checked()


def test_cors_default_same_origin():
    api = Api()
    try:
        st, hd, _ = preflight(api, "/urls", "https://dash.example", "GET")
        eq(st, 405, "no CORS_ORIGINS: OPTIONS is not taken")
        check("access-control-allow-origin" not in hd, "no CORS header")
        st, hd, _ = api.request("GET", "/healthz", headers={"Origin": "https://dash.example"})
        check("access-control-allow-origin" not in hd, "no CORS header on GET")
    finally:
        api.stop_checked()
    env = dict(os.environ, CORS_ORIGINS="https://a.example/path", API_PORT="1")
    p = subprocess.run([API_BIN], env=env, capture_output=True, text=True, timeout=10)
    eq(p.returncode, 2, "a bad CORS_ORIGINS stops start-up")
    check("CORS_ORIGINS" in p.stderr, "names the variable: %r" % p.stderr)


def test_refused_at_once():
    """What libevent refuses is answered at once with JSON, never after a timeout."""
    api = Api(API_REQUEST_TIMEOUT="10")
    try:
        for desc, raw, code in (
                ("huge Content-Length",
                 b"POST /urls HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999"
                 b"\r\n\r\n", 413),
                ("Expect 100-continue, 100 MB",
                 b"POST /urls HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000000\r\nExpect: 100-continue\r\n\r\n", 413),
                ("CONNECT", b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
                 400)):
            t0 = time.time()
            st, hd, body = api.raw(raw, timeout=8)  # reads until the server closes
            took = time.time() - t0
            eq(st, code, desc)
            check(took < 3, "%s: closed after %.1f s (API_REQUEST_TIMEOUT is 10)" % (desc, took))
            check(json.loads(body)["error"], "%s: JSON error" % desc)
        # a 10 MiB body sent whole by a client that reads only afterwards still gets the 413
        c = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
        c.request("POST", "/urls", body=b"x" * (10 * 1024 * 1024),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        eq(r.status, 413, "http.client, 10 MiB body")
        check(json.loads(r.read())["error"].startswith("body"), "its JSON error")
        c.close()
    finally:
        api.stop_checked()


def test_pipelined_then_half_close():
    """Every request received before the client's FIN is answered (nc -N)."""
    api = Api()
    try:
        setup_data()
        for path in ("/healthz", "/urls/summary", "/urls", "/openapi.json"):
            for n in (1, 3, 10):
                s = raw_conn(api)
                try:
                    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode() * n)
                    s.shutdown(socket.SHUT_WR)
                    got, extra = read_responses(s, n)
                finally:
                    s.close()
                eq([g[0] for g in got], [200] * n, "%s x %d then FIN" % (path, n))
    finally:
        api.stop_checked()


def test_metrics_port():
    """METRICS_PORT: /metrics, /status and /healthz on a separate listener; the public
    port answers 404 JSON for /metrics and still serves everything else."""
    mport = free_port()
    api = Api(METRICS_PORT=mport)
    try:
        st, _, body = api.request("GET", "/metrics")
        eq((st, json.loads(body)["error"]), (404, "no such route (/metrics is served on METRICS_PORT)"),
           "public port: /metrics")
        eq(api.request("GET", "/healthz")[0], 200, "public port: /healthz")
        eq(api.request("GET", "/urls/summary")[0], 200, "public port: /urls/summary")
        deadline = time.time() + 5
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", mport, timeout=5)
                c.request("GET", "/metrics")
                r = c.getresponse()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        text = r.read().decode()
        eq(r.status, 200, "metrics port: /metrics")
        check("urlmon_api_requests_total" in text, "metrics port: the exposition")
        for path, want in (("/status", 200), ("/healthz", 200), ("/urls/summary", 404),
                           ("/openapi.json", 404), ("/", 404)):
            c = http.client.HTTPConnection("127.0.0.1", mport, timeout=5)
            c.request("GET", path)
            r = c.getresponse()
            data = r.read()
            eq(r.status, want, "metrics port: %s" % path)
            if want == 404:
                check(json.loads(data)["error"].startswith("no such route"), "404 is JSON")
    finally:
        api.stop_checked()
    # METRICS_PORT equal to API_PORT is a configuration error naming the variable.
    e = dict(os.environ, API_ADDRESS="127.0.0.1", API_PORT="18123", METRICS_PORT="18123")
    p = subprocess.run([API_BIN], env=e, capture_output=True, text=True, timeout=15)
    eq(p.returncode, 2, "METRICS_PORT = API_PORT: exit status")
    check("METRICS_PORT" in p.stderr, "the error names METRICS_PORT: %r" % p.stderr)


if __name__ == "__main__":
    run_tests([test_head_pipelined_raw, test_head_http_client_keepalive,
               test_large_answer_no_delay, test_host_required,
               test_percent_encoded_path, test_no_secrets_in_logs, test_cors_list,
               test_cors_any, test_cors_default_same_origin, test_refused_at_once,
               test_pipelined_then_half_close, test_metrics_port])
