#!/usr/bin/env python3
"""Integration: a table of bad requests, each with its expected status and a JSON error.

Runs urlmon-api with API_TOKEN set. Every case is sent as raw bytes on its own
connection, and every answer must be {"error": "..."} JSON with Cache-Control: no-store,
including those for requests libevent's HTTP parser refuses before a handler runs
(request line or headers over 16 KiB or malformed: 400; a body over 64 KiB: 413; a
chunk size that cannot be read: 400, though libevent says 413; an unknown method
token: 501), whose HTML pages api/conn.c replaces. Afterwards the
service must still be healthy and the tables intact.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import Api, Failure, add_url, check, eq, mysql, reset, run_tests  # noqa: E402

TOKEN = "s3cret-token"
AUTH = "Authorization: Bearer %s\r\n" % TOKEN
JSON = "Content-Type: application/json\r\n"
API = None


def req(method, target, headers="", body=b""):
    if isinstance(body, str):
        body = body.encode()
    head = "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s" % (method, target, headers)
    if body or method == "POST":
        head += "Content-Length: %d\r\n" % len(body)
    return head.encode("latin-1") + b"\r\n" + body


def chunked(body):
    """POST /urls with a chunked body, sent as is (no Content-Length)."""
    return ("POST /urls HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s%s"
            "Transfer-Encoding: chunked\r\n\r\n" % (AUTH, JSON)).encode() + body


def post(body, headers=AUTH + JSON):
    return req("POST", "/urls", headers, body)


def big(n):
    return json.dumps({"name": "a", "url": "http://example.com/", "regex": "x" * n})


# (description, raw request, expected status, JSON error required, error must mention)
CASES = [
    ("unknown route", req("GET", "/nope"), 404, True, "no such route"),
    ("page with DELETE", req("DELETE", "/"), 405, True, "method"),
    ("page path traversal", req("GET", "/ui/../docs"), 404, True, "no such route"),
    ("path traversal", req("GET", "/urls/../etc/passwd"), 404, True, "no such route"),
    ("encoded traversal", req("GET", "/urls/%2e%2e/%2e%2e/etc/passwd"), 404, True, "no such route"),
    ("double slash", req("GET", "//urls"), 404, True, "no such route"),
    ("id not a number", req("GET", "/urls/abc"), 400, True, "id"),
    ("id zero", req("GET", "/urls/0"), 400, True, "id"),
    ("id negative", req("GET", "/urls/-1"), 400, True, "id"),
    ("id 2^63", req("GET", "/urls/9223372036854775808"), 400, True, "id"),
    ("id huge", req("GET", "/urls/" + "9" * 40), 400, True, "id"),
    ("id fraction", req("GET", "/urls/1.5/checks"), 400, True, "id"),
    ("id sql injection", req("GET", "/urls/1%20OR%201=1"), 400, True, "id"),
    ("id sql injection 2", req("GET", "/urls/1;DROP%20TABLE%20urls"), 400, True, "id"),
    ("cache=maybe", req("GET", "/urls/summary?cache=maybe"), 400, True, "cache"),
    ("cache=1", req("GET", "/urls/top/success/hour?cache=1"), 400, True, "cache"),
    ("cache twice", req("GET", "/urls/summary?cache=true&cache=false"), 400, True, "cache"),
    ("bad status", req("GET", "/urls/top/maybe/hour"), 400, True, "status"),
    ("bad timespan", req("GET", "/urls/top/fail/year"), 400, True, "timespan"),
    ("status injection", req("GET", "/urls/top/success'%20OR%20'1'='1/hour"), 400, True,
     "status"),
    ("limit 0", req("GET", "/urls?limit=0"), 400, True, "limit"),
    ("limit huge", req("GET", "/urls?limit=" + "9" * 30), 400, True, "limit"),
    ("limit text", req("GET", "/urls?limit=ten"), 400, True, "limit"),
    ("cursor injection", req("GET", "/urls?cursor=1%27%20OR%20%271%27=%271"), 400, True,
     "cursor"),
    ("before injection", req("GET", "/urls/1/checks?before=1;DELETE%20FROM%20checks"), 400,
     True, "before"),
    ("unknown parameter", req("GET", "/urls?x=1"), 400, True, "x"),
    ("bad percent escape", req("GET", "/urls/summary?cache=%zz"), 400, True, "cache"),
    ("NUL in query", req("GET", "/urls/summary?cache=%00"), 400, True, "cache"),
    ("cursor of 200 digits", req("GET", "/urls?cursor=" + "9" * 200), 400, True, "cursor"),
    ("before=0", req("GET", "/urls/1/checks?before=0"), 400, True, "before"),
    ("PUT", req("PUT", "/urls"), 405, True, "method"),
    ("PATCH", req("PATCH", "/urls/1/checks"), 405, True, "method"),
    ("PUT a list", req("PUT", "/urls/summary"), 405, True, "method"),
    ("DELETE a list", req("DELETE", "/urls/summary", AUTH), 405, True, "method"),
    ("POST a top list", req("POST", "/urls/top/success/hour", AUTH + JSON, "{}"), 405, True,
     "method"),
    ("OPTIONS", req("OPTIONS", "/urls"), 405, True, "method"),
    ("TRACE", req("TRACE", "/urls/1"), 405, True, "method"),
    ("unknown method token", req("FOO", "/urls"), 501, True, "method"),
    ("POST without token", req("POST", "/urls", JSON, '{"name":"a","url":"http://a.example/"}'),
     401, True, "authorization"),
    ("POST wrong token", req("POST", "/urls", "Authorization: Bearer nope\r\n" + JSON,
                             '{"name":"a","url":"http://a.example/"}'), 401, True,
     "authorization"),
    ("POST token prefix", req("POST", "/urls", "Authorization: Bearer s3cret\r\n" + JSON,
                              '{"name":"a","url":"http://a.example/"}'), 401, True,
     "authorization"),
    ("POST basic auth", req("POST", "/urls", "Authorization: Basic czNjcmV0\r\n" + JSON,
                            '{"name":"a","url":"http://a.example/"}'), 401, True,
     "authorization"),
    ("DELETE without token", req("DELETE", "/urls/1"), 401, True, "authorization"),
    ("no content type", post('{"name":"a","url":"http://a.example/"}', AUTH), 415, True,
     "content-type"),
    ("text/plain", post('{"name":"a","url":"http://a.example/"}',
                        AUTH + "Content-Type: text/plain\r\n"), 415, True, "content-type"),
    ("application/jsonx", post('{"name":"a","url":"http://a.example/"}',
                               AUTH + "Content-Type: application/jsonx\r\n"), 415, True,
     "content-type"),
    ("empty body", post(""), 400, True, "body"),
    ("malformed JSON", post('{"name":'), 400, True, "body"),
    ("truncated JSON", post('{"name":"a","url":"http://a.exa'), 400, True, "body"),
    ("trailing garbage", post('{"name":"a","url":"http://a.example/"} x'), 400, True, "body"),
    ("array body", post("[]"), 400, True, "body"),
    ("number body", post("12"), 400, True, "body"),
    ("name not a string", post('{"name":1,"url":"http://a.example/"}'), 400, True, "name"),
    ("url not a string", post('{"name":"a","url":["http://a.example/"]}'), 400, True, "url"),
    ("regex huge number", post('{"name":"a","url":"http://a.example/","regex":1e999999}'), 400,
     True, "regex"),
    ("unknown field", post('{"name":"a","url":"http://a.example/","x":1}'), 400, True, "body"),
    ("missing url", post('{"name":"a"}'), 400, True, "url"),
    ("missing name", post('{"url":"http://a.example/"}'), 400, True, "name"),
    ("empty name", post('{"name":"","url":"http://a.example/"}'), 400, True, "name"),
    ("name 256 chars", post(json.dumps({"name": "n" * 256, "url": "http://a.example/"})), 400,
     True, "name"),
    ("name control char", post('{"name":"a\\u0007b","url":"http://a.example/"}'), 400, True,
     "name"),
    ("ftp url", post('{"name":"a","url":"ftp://a.example/"}'), 400, True, "url"),
    ("file url", post('{"name":"a","url":"file:///etc/passwd"}'), 400, True, "url"),
    ("javascript url", post('{"name":"a","url":"javascript:alert(1)"}'), 400, True, "url"),
    ("relative url", post('{"name":"a","url":"/etc/passwd"}'), 400, True, "url"),
    ("url with credentials", post('{"name":"a","url":"http://u:p@a.example/"}'), 400, True,
     "url"),
    ("url 3000 bytes", post(json.dumps({"name": "a", "url": "http://a.example/" + "x" * 3000})),
     400, True, "url"),
    ("regex does not compile", post('{"name":"a","url":"http://a.example/","regex":"("}'), 400,
     True, "regex"),
    ("regex 1025 chars", post(big(1025)), 400, True, "regex"),
    ("interval below MIN_INTERVAL", post('{"name":"a","url":"http://a.example/","interval":4}'),
     400, True, "interval: is out of range (expected whole seconds from 5 to 86400)"),
    ("interval above MAX_INTERVAL",
     post('{"name":"a","url":"http://a.example/","interval":86401}'), 400, True, "interval"),
    ("interval text", post('{"name":"a","url":"http://a.example/","interval":"60"}'), 400, True,
     "interval"),
    ("interval fraction", post('{"name":"a","url":"http://a.example/","interval":60.5}'), 400,
     True, "interval"),
    ("PATCH without token", req("PATCH", "/urls/1", JSON, '{"interval":60}'), 401, True,
     "authorization"),
    ("PUT without token", req("PUT", "/urls/1", JSON, '{"name":"n"}'), 401, True,
     "authorization"),
    ("PUT text/plain", req("PUT", "/urls/1", AUTH + "Content-Type: text/plain\r\n",
                           '{"name":"n"}'), 415, True, "content-type"),
    ("PATCH no content type", req("PATCH", "/urls/1", AUTH, '{"interval":60}'), 415, True,
     "content-type"),
    ("PUT empty body", req("PUT", "/urls/1", AUTH + JSON), 400, True, "body"),
    ("PUT without name", req("PUT", "/urls/1", AUTH + JSON, '{"interval":60}'), 400, True,
     "name: is required"),
    ("PATCH name null", req("PATCH", "/urls/1", AUTH + JSON, '{"name":null}'), 400, True,
     "name"),
    ("PATCH url", req("PATCH", "/urls/1", AUTH + JSON, '{"url":"http://b.example/"}'), 400,
     True, "url: cannot be changed"),
    ("PATCH unknown field", req("PATCH", "/urls/1", AUTH + JSON, '{"active":true}'), 400, True,
     "body"),
    ("PATCH interval 0", req("PATCH", "/urls/1", AUTH + JSON, '{"interval":0}'), 400, True,
     "interval: is out of range (expected whole seconds from 5 to 86400)"),
    ("PATCH interval injection", req("PATCH", "/urls/1", AUTH + JSON,
                                     '{"interval":"1; DROP TABLE urls"}'), 400, True,
     "interval"),
    ("PATCH regex does not compile", req("PATCH", "/urls/1", AUTH + JSON, '{"regex":"("}'), 400,
     True, "regex"),
    ("PATCH malformed JSON", req("PATCH", "/urls/1", AUTH + JSON, '{"interval":'), 400, True,
     "body"),
    ("PATCH unknown id", req("PATCH", "/urls/424242", AUTH + JSON, '{"interval":60}'), 404, True,
     "id"),
    ("PUT bad id", req("PUT", "/urls/1%20OR%201=1", AUTH + JSON, '{"name":"n"}'), 400, True,
     "id"),
    ("invalid UTF-8", post(b'{"name":"\xff\xfe","url":"http://a.example/"}'), 400, True, "body"),
    ("overlong UTF-8", post(b'{"name":"\xc0\xaf","url":"http://a.example/"}'), 400, True,
     "body"),
    ("raw NUL byte", post(b'{"name":"a\x00b","url":"http://a.example/"}'), 400, True, "body"),
    ("escaped NUL", post('{"name":"a\\u0000b","url":"http://a.example/"}'), 400, True, "body"),
    ("deep nesting", post("[" * 100000 + "]" * 100000), 413, True, "body"),
    ("nesting under the limit", post("[" * 3000 + "]" * 3000), 400, True, "body"),
    ("body 100 KiB", post("x" * (100 * 1024)), 413, True, "body"),
    ("body 10 MiB", post("x" * (10 * 1024 * 1024)), 413, True, "body"),
    ("chunked and Content-Length together",
     req("POST", "/urls", AUTH + JSON + "Transfer-Encoding: chunked\r\n",
         b"%x\r\n%s\r\n0\r\n\r\n" % (70000, b"x" * 70000)), 400, True, "request"),
    # chunked bodies (raw: no Content-Length). libevent answers 413 for a chunk size it
    # cannot read as for one over the limit; conn.c tells them apart (api/chunkline.h).
    ("a chunk of 70000 bytes", chunked(b"%x\r\n%s\r\n0\r\n\r\n" % (70000, b"x" * 70000)), 413,
     True, "body: over 64 KiB"),
    ("chunks over 64 KiB together", chunked(b"8000\r\n%s\r\n8001\r\n" % (b"x" * 0x8000)), 413,
     True, "body: over 64 KiB"),
    ("a chunk size of 30 hex digits", chunked(b"F" * 30 + b"\r\nhello\r\n0\r\n\r\n"), 413, True,
     "body: over 64 KiB"),
    ("a chunk size that is not hex", chunked(b"zz\r\nabc\r\n0\r\n\r\n"), 400, True,
     "body: a chunk size"),
    ("a negative chunk size", chunked(b"-5\r\nhello\r\n0\r\n\r\n"), 400, True,
     "body: a chunk size"),
    ("a chunk size with an extension", chunked(b"5;x=1\r\nhello\r\n0\r\n\r\n"), 400, True,
     "body: a chunk size"),
    ("chunk data longer than its size", chunked(b"5\r\nhelloXX\r\n0\r\n\r\n"), 400, True,
     "body: a chunk size"),
    ("the second chunk size not hex", chunked(b"3\r\nabc\r\nq1\r\nx\r\n0\r\n\r\n"), 400, True,
     "body: a chunk size"),
    ("a chunk size line of 100 letters", chunked(b"g" * 100 + b"\r\n"), 400, True,
     "body: a chunk size"),
    ("URL of 100 KiB", req("GET", "/urls?x=" + "a" * (100 * 1024)), 400, True, "request"),
    ("header of 20 KiB", req("GET", "/healthz", "X-Big: " + "b" * (20 * 1024) + "\r\n"), 400,
     True, "request"),
    ("duplicate Content-Length",
     req("GET", "/healthz", "Content-Length: 0\r\nContent-Length: 0\r\n"), 400, True, "header"),
    ("duplicate Authorization",
     req("POST", "/urls", AUTH + AUTH + JSON, '{"name":"a","url":"http://a.example/"}'), 400,
     True, "header"),
    ("duplicate Content-Type",
     req("POST", "/urls", AUTH + JSON + JSON, '{"name":"a","url":"http://a.example/"}'), 400,
     True, "header"),
    ("duplicate Host", req("GET", "/healthz", "Host: other\r\n"), 400, True, "header"),
    ("header without colon", req("GET", "/healthz", "NoColonHere\r\n"), 400, True, "request"),
    ("Content-Length 10^23",
     b"POST /urls HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413,
     True, "body"),
    ("Expect: foo", req("POST", "/urls", AUTH + JSON + "Expect: foo\r\n", "{}"), 417, True, "expect"),
    ("CONNECT", b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 400, True, "request target"),
    ("no Host in HTTP/1.1", b"GET /openapi.json HTTP/1.1\r\n\r\n", 400, True, "header Host"),
    ("encoded slash", req("GET", "/urls/%2F1"), 400, True, "path"),
]


def test_table():
    eq(len(CASES) >= 40, True, "at least 40 cases")
    failures = []
    for desc, raw, code, want_json, mention in CASES:
        status, headers, body = API.raw(raw, timeout=20, read_all=False)
        why = None
        if status != code:
            why = "status %r" % status
        elif want_json:
            try:
                doc = json.loads(body)
                if not (isinstance(doc, dict) and isinstance(doc.get("error"), str)):
                    why = "not {\"error\": ...}"
                elif mention and not doc["error"].startswith(mention):
                    why = "error %r does not name %r" % (doc["error"], mention)
                elif headers.get("content-type") != "application/json":
                    why = "content type %r" % headers.get("content-type")
                elif headers.get("cache-control") != "no-store":
                    why = "cache-control %r" % headers.get("cache-control")
            except ValueError:
                why = "body is not JSON: %r" % body[:80]
        if code == 405 and status == 405 and "allow" not in headers:
            why = "405 without Allow"
        if code == 401 and status == 401 and "www-authenticate" not in headers:
            why = "401 without WWW-Authenticate"
        if why:
            failures.append("%s: want %d: %s" % (desc, code, why))
    if failures:
        raise Failure("%d of %d cases:\n  %s" % (len(failures), len(CASES),
                                                  "\n  ".join(failures)))


def test_still_healthy():
    body, _ = API.get_json("/healthz")
    eq(body, {"status": "ok"}, "healthz (liveness) after the table")
    body, _ = API.get_json("/status")
    eq({k: body.get(k) for k in ("mysql", "redis")}, {"mysql": "ok", "redis": "ok"},
       "status (readiness) after the table")
    eq(mysql("SELECT COUNT(*) FROM urls"), [["1"]], "urls intact")
    body, _ = API.get_json("/urls/1")
    eq(body["name"], "x'); DROP TABLE urls; --", "name intact")
    # an accepted POST still works with the token
    st, _, b = API.request("POST", "/urls", body=json.dumps(
        {"name": "ok", "url": "http://ok.example/"}),
        headers={"Content-Type": "application/json; charset=utf-8",
                 "Authorization": "Bearer " + TOKEN})
    eq(st, 202, "POST with token: %s" % b)
    check(API.proc.poll() is None, "urlmon-api is running")


def main():
    global API
    reset()
    add_url(1, "x'); DROP TABLE urls; --", "https://intact.example/")
    API = Api(API_TOKEN=TOKEN)
    try:
        run_tests([test_table, test_still_healthy])
    finally:
        API.stop_checked()


if __name__ == "__main__":
    main()
