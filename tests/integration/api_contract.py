#!/usr/bin/env python3
"""Integration: the live API against its own /openapi.json (a contract test).

Sends requests that exercise every operation (answers, errors, HEAD, requests libevent
refuses) and checks each answer: its status is one the document lists for that path
and method, its Content-Type is the documented one, and a JSON body validates against
the documented schema (JSON Schema 2020-12, as OpenAPI 3.1 uses, with python3-jsonschema).
A HEAD answer must list the GET's status and Content-Length and carry no body.
"""
import http.client
import json
import os
import re
import sys

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import Api, Checks, Failure, add_url, check, eq, mysql, now, reset, run_tests  # noqa: E402

API = None
DOC = None
TOKEN = "contract-token"
AUTH = {"Authorization": "Bearer " + TOKEN}
JSONCT = {"Content-Type": "application/json"}


def operation(path, method):
    """The path template and operation the document has for a concrete path."""
    bare = path.split("?")[0].rstrip("/") or "/"
    for tmpl, item in DOC["paths"].items():
        rx = "^" + "/".join("[^/]+" if seg.startswith("{") else re.escape(seg)
                            for seg in tmpl.split("/")) + "$"
        if re.match(rx, bare):
            op = item.get(method.lower()) or item.get("get")
            return tmpl, op
    raise Failure("%s %s: no path in the document matches" % (method, path))


def resolve(obj):
    while "$ref" in obj:
        node = DOC
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def validate(method, path, status, headers, body):
    tmpl, op = operation(path, method)
    responses = op["responses"]
    key = str(status)
    check(key in responses, "%s %s: status %d is not documented for %s (documented: %s)"
          % (method, path, status, tmpl, ", ".join(responses)))
    resp = resolve(responses[key])
    content = resp.get("content")
    if not content:
        return
    ctype = headers.get("content-type", "")
    media = next((m for m in content if ctype.split(";")[0] == m.split(";")[0]), None)
    check(media is not None, "%s %s %d: Content-Type %r, documented %s"
          % (method, path, status, ctype, list(content)))
    if method == "HEAD" or not media.startswith("application/json"):
        return
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "components": DOC["components"]}
    schema.update(content[media].get("schema", {}))
    try:
        jsonschema.Draft202012Validator(schema).validate(json.loads(body))
    except jsonschema.ValidationError as e:
        raise Failure("%s %s %d: the body does not match the schema: %s at %s\n%s"
                      % (method, path, status, e.message, list(e.absolute_path), body[:300]))


def call(method, path, body=None, headers=None):
    st, hd, data = API.request(method, path, body=body, headers=headers)
    validate(method, path, st, hd, data)
    return st, hd, data


def setup():
    reset()
    add_url(1, "one", "https://one.example/")
    add_url(2, "two", "https://two.example/", active=0)
    c = Checks()
    for i in range(5):
        c.add(1, now(), success=i % 2 == 0)
        c.add(2, now(), success=False)
    c.flush()
    # alerting: URL 1 is down with an open incident, and has a certificate warning behind it
    mysql("UPDATE urls SET state = 'down', state_since = UTC_TIMESTAMP(3), fail_threshold = 3,"
          " cert_expires_at = UTC_TIMESTAMP() + INTERVAL 3 DAY WHERE id = 1;"
          " INSERT INTO incidents (url_id, kind, url, name, opened_at, detected_at, closed_at,"
          " open_run_id, close_run_id, error_class, error_message, http_status, cert_expires_at)"
          " VALUES (1, 'cert_expiring', 'https://one.example/', 'one', UTC_TIMESTAMP(3),"
          " UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 1, 2, NULL, NULL, NULL, UTC_TIMESTAMP()),"
          " (1, 'down', 'https://one.example/', 'one', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), NULL,"
          " 3, NULL, 'http_status', 'HTTP 503', 503, NULL);")


GETS = [
    ("/urls/summary", 200), ("/urls/summary?cache=false", 200), ("/urls/summary?cache=x", 400),
    ("/urls/top/fail/week", 200), ("/urls/top/success/hour?cache=false", 200),
    ("/urls/top/success/month", 200), ("/urls/top/x/week", 400), ("/urls/top/fail/day", 400),
    ("/urls", 200), ("/urls?limit=1", 200), ("/urls?active=false", 200), ("/urls?limit=0", 400),
    ("/urls?cursor=" + "9" * 200, 400), ("/urls/1", 200), ("/urls/2", 200), ("/urls/999", 404),
    ("/urls/abc", 400), ("/urls/%2F1", 400), ("/urls/1/checks", 200),
    ("/urls/1/checks?limit=2", 200), ("/urls/1/checks?before=0", 400),
    ("/urls/999/checks", 404), ("/healthz", 200), ("/status", 200), ("/metrics", 200),
    ("/openapi.json", 200), ("/incidents", 200), ("/incidents?state=open&limit=1", 200),
    ("/incidents?state=closed", 200), ("/incidents?state=all&cursor=0", 200),
    ("/incidents?state=x", 400), ("/incidents?limit=0", 400), ("/urls/1/incidents", 200),
    ("/urls/1/incidents?state=open", 200), ("/urls/999/incidents", 404),
    ("/urls/1/incidents?before=1", 400),
    # the dashboard's data: URL 1 (down, with a certificate) checks state, since and
    # cert_expires_at against DashUrl
    ("/dashboard/urls", 200), ("/dashboard/urls/1", 200), ("/dashboard/urls/999", 404),
    ("/dashboard/urls/abc", 400), ("/dashboard/percentiles", 200),
]


def test_gets_and_heads():
    setup()
    for path, want in GETS:
        st, hd, body = call("GET", path)
        eq(st, want, "GET %s" % path)
        c = http.client.HTTPConnection("127.0.0.1", API.port, timeout=10)
        c.request("HEAD", path)
        r = c.getresponse()
        hbody = r.read()
        hh = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        validate("HEAD", path, r.status, hh, hbody)
        eq(r.status, want, "HEAD %s" % path)
        eq(hbody, b"", "HEAD %s body" % path)
        if "cache=false" not in path and path not in ("/metrics", "/healthz", "/status"):
            eq(hh.get("content-length"), str(len(body)), "HEAD %s Content-Length" % path)


def test_writes_and_refusals():
    setup()
    good = json.dumps({"name": "n", "url": "https://n.example/"})
    cases = [
        ("POST", "/urls", good, dict(AUTH, **JSONCT), 202),
        ("POST", "/urls", good, JSONCT, 401),
        ("POST", "/urls", "{", dict(AUTH, **JSONCT), 400),
        ("POST", "/urls", json.dumps({"name": "t", "url": "https://t.example/",
                                      "fail_threshold": 3, "success_threshold": 2}),
         dict(AUTH, **JSONCT), 202),
        ("POST", "/urls", json.dumps({"name": "t", "url": "https://t.example/",
                                      "fail_threshold": 0}), dict(AUTH, **JSONCT), 400),
        ("POST", "/urls", good, dict(AUTH, **{"Content-Type": "text/plain"}), 415),
        ("POST", "/urls", "x" * (100 * 1024), dict(AUTH, **JSONCT), 413),
        ("POST", "/urls", good, dict(AUTH, Expect="foo", **JSONCT), 417),
        ("DELETE", "/urls/2", None, AUTH, 200),
        ("DELETE", "/urls/999", None, AUTH, 404),
        ("DELETE", "/urls/abc", None, AUTH, 400),
        ("DELETE", "/urls/1", None, {}, 401),
        ("PUT", "/urls/1", json.dumps({"name": "one", "interval": 30}), dict(AUTH, **JSONCT), 200),
        ("PUT", "/urls/1", json.dumps({"regex": "x"}), dict(AUTH, **JSONCT), 400),
        ("PUT", "/urls/1", json.dumps({"name": "n"}), JSONCT, 401),
        ("PUT", "/urls/999", json.dumps({"name": "n"}), dict(AUTH, **JSONCT), 404),
        ("PUT", "/urls/abc", json.dumps({"name": "n"}), dict(AUTH, **JSONCT), 400),
        ("PUT", "/urls/1", json.dumps({"name": "n"}), dict(AUTH, **{"Content-Type": "text/plain"}),
         415),
        ("PUT", "/urls/1", "x" * (100 * 1024), dict(AUTH, **JSONCT), 413),
        ("PATCH", "/urls/1", json.dumps({"regex": None}),
         dict(AUTH, **{"Content-Type": "application/merge-patch+json"}), 200),
        ("PATCH", "/urls/1", json.dumps({"interval": 1}), dict(AUTH, **JSONCT), 400),
        ("PATCH", "/urls/999", "{}", dict(AUTH, **JSONCT), 404),
        ("PATCH", "/urls/1", "{}", dict(AUTH, **{"Content-Type": "text/plain"}), 415),
        ("PATCH", "/urls/1", "{}", {}, 401),
        ("PUT", "/urls", None, {}, 405),
        ("PATCH", "/urls/1/checks", None, {}, 405),
        ("DELETE", "/urls/summary", None, AUTH, 405),
    ]
    for method, path, body, headers, want in cases:
        st, _, data = call(method, path, body, headers)
        eq(st, want, "%s %s: %r" % (method, path, data[:200]))


def main():
    global API, DOC
    API = Api(API_TOKEN=TOKEN)
    try:
        st, _, body = API.request("GET", "/openapi.json")
        eq(st, 200, "/openapi.json")
        DOC = json.loads(body)
        jsonschema.Draft202012Validator.check_schema(
            {"$schema": "https://json-schema.org/draft/2020-12/schema",
             "$defs": DOC["components"]["schemas"]})
        run_tests([test_gets_and_heads, test_writes_and_refusals])
    finally:
        API.stop_checked()


if __name__ == "__main__":
    main()
