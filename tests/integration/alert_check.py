#!/usr/bin/env python3
"""tests/integration/alert_check.py: checks for the alerting tests (prints one line,
exits 1 when the check fails).

    alert_check.py webhooks LOG SECRET      ids unique, signatures valid, an incident's
                                            opening before its closing; prints
                                            "<count> <type>:<count> ..." sorted
    alert_check.py am AM_URL URL            the active alert of URL: its labels as
                                            "alertname|url|name|error_class|severity",
                                            or "none"
"""
import hashlib
import hmac
import json
import sys
import urllib.request


def webhooks(log, secret):
    seen, types = {}, {}
    try:
        lines = open(log, encoding="utf-8").read().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        rec = json.loads(line)
        body = json.loads(rec["body"])
        want = "sha256=" + hmac.new(secret.encode(), rec["body"].encode(), hashlib.sha256).hexdigest()
        if rec["signature"] != want:
            print("bad signature on %s: %s" % (body["id"], rec["signature"]))
            return 1
        if rec["event"] != body["id"]:
            print("X-Urlmon-Event %s differs from the body's id %s" % (rec["event"], body["id"]))
            return 1
        if body["id"] in seen:
            print("event %s arrived twice" % body["id"])
            return 1
        for key in ("type", "url", "name", "state", "opened_at", "text", "incident_id"):
            if key not in body:
                print("event %s has no %s" % (body["id"], key))
                return 1
        if body["type"] == "incident_closed" and \
                "urlmon-%d-incident_opened" % body["incident_id"] not in seen:
            print("incident %d: closed arrived before opened" % body["incident_id"])
            return 1
        seen[body["id"]] = body
        types[body["type"]] = types.get(body["type"], 0) + 1
    print(" ".join([str(len(seen))] + ["%s:%d" % kv for kv in sorted(types.items())]))
    return 0


def am(base, url):
    with urllib.request.urlopen(base + "/api/v2/alerts", timeout=5) as r:
        alerts = json.loads(r.read())
    mine = [a for a in alerts if a["labels"].get("url") == url]
    if not mine:
        print("none")
        return 0
    lab = mine[0]["labels"]
    print("|".join(lab.get(k, "-") for k in ("alertname", "url", "name", "error_class", "severity"))
          + ("" if len(mine) == 1 else " (%d alerts)" % len(mine)))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "webhooks":
        sys.exit(webhooks(sys.argv[2], sys.argv[3]))
    sys.exit(am(sys.argv[2], sys.argv[3]))
