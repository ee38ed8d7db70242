#!/usr/bin/env python3
"""Security: SQL-injection text through every input of the compute job lands as literal data.

Classic injection strings (quotes, comments, stacked statements, SLEEP, backslashes, ^Z,
unicode quotes, NUL) go in through every door urlmon-compute reads: the CSV (--data-path:
name, url, regex) and the Redis queue (name, url, regex), and through what a monitored
server sends back (the body, whose first regex match is stored in checks.regex_match).
Afterwards every accepted value is in MySQL byte for byte (compared as HEX), the rows with
NUL or an uncompilable regex were refused (bad row / dead entry), every table is intact,
no SLEEP ran (the job takes far less than one SLEEP(5)), and the rollups equal the raw
counts. (The API's inputs are covered by api_bad.py and api_flow.py.)
"""
import csv
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import Failure, check, eq, mysql, redis, reset, run_tests  # noqa: E402

COMPUTE = os.environ.get("URLMON_COMPUTE_BIN", "")
TARGET = os.environ.get("URLMON_TARGET_BIN", "")
TABLES = ["checks", "incidents", "install", "outbox", "result_batches", "rollup_daily",
          "rollup_hourly", "rollup_hourly_total", "run_locks", "runs", "schema_version", "urls"]

# Text for names and regexes (no control characters; the regex column gets those that
# compile as PCRE2, the others are in REFUSED_REGEXES).
STRINGS = [
    "' OR 1=1 --",
    "'; DROP TABLE urls; --",
    "\"; DROP TABLE urls; --",
    "\\'",
    "%' AND SLEEP(5) --",
    "1' AND (SELECT SLEEP(5)) AND '1'='1",
    "admin'/*",
    "*/ OR /**/ 1=1 #",
    "') UNION SELECT id, url, regex FROM urls --",
    "\\\\' OR \\\\\"",
    "a\\\\b\\\\\\\\c\\\\",
    "\u2018 OR \u20181\u2019=\u20191\u2019 \u201cx\u201d \u02bc \uff07 \u00b4 `",
    "\u00a5\u005c' \u20a9' \uff3c'",
    "x\u00bf'\u00bf' OR 1=1",
    "; SELECT SLEEP(5); #",
    "$(touch /tmp/pwned) `id` ${HOME}",
    "%00' %27 %22 &#39; \\x27 0x27",
]
# Path text for URLs (printable ASCII without spaces, as the URL rule wants).
URL_TEXT = [
    "'OR'1'='1'--",
    "';DROP%20TABLE%20urls;--",
    "\";DROP%20TABLE%20urls;--",
    "\\'",
    "%'AND%20SLEEP(5)--",
    "a\\b\\\\c\\",
    "%2527%2522%5c",
    "x'/**/OR/**/1=1#",
]
REFUSED_NAMES = ["nul \x00' OR 1=1 --", "\x00", "ctl \x1a'; DROP TABLE urls; --"]
NOT_REGEX = ["*/ OR /**/ 1=1 #", "') UNION SELECT id, url, regex FROM urls --"]
REFUSED_REGEXES = ["\\", "(' OR 1=1 --", "nul\x00'"] + NOT_REGEX
# What the monitored server answers: the regex START.*END stores the match.
BODY = ("START ' OR 1=1 -- \"; DROP TABLE urls; -- \\' \\\\ %' AND SLEEP(5) -- \x1a "
        "\u2018\u2019\u201c\u201d\uff07 END")


class Target:
    def __init__(self, work):
        ready = os.path.join(work, "target.ready")
        self.log = open(os.path.join(work, "target.out"), "w")
        self.proc = subprocess.Popen([TARGET, "--listen", "127.0.0.1:0", "--ready-file", ready],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if time.time() > deadline or self.proc.poll() is not None:
                raise Failure("urlmon-target did not start")
            time.sleep(0.05)
        with open(ready) as f:
            addr = [line.split()[1] for line in f if line.startswith("listen ")][0]
        self.base = "http://" + addr

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def resp_lpush(key, values):
    """LPUSH of raw byte strings over RESP (redis-cli cannot pass NUL bytes)."""
    out = [b"*%d\r\n" % (2 + len(values))]
    for a in [b"LPUSH", key.encode()] + values:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    with socket.create_connection((os.environ["CACHE_ADDRESS"], int(os.environ["CACHE_PORT"])),
                                  timeout=10) as s:
        s.sendall(b"".join(out))
        reply = s.recv(100)
    check(reply.startswith(b":"), "LPUSH: %r" % reply)


def run_compute(work, *args):
    t0 = time.time()
    env = dict(os.environ, TIMEOUT="2", CONNECT_TIMEOUT="2", SPOOL_DIR=os.path.join(work, "spool"))
    p = subprocess.run([COMPUTE] + list(args), env=env, capture_output=True, text=True,
                       timeout=120, errors="replace")
    return p.returncode, p.stdout + p.stderr, time.time() - t0


def tables_intact(what):
    eq([r[0] for r in mysql("SHOW TABLES")], TABLES, what + ": tables")
    eq([r[3] for r in mysql("CHECK TABLE urls, checks, runs, rollup_hourly")], ["OK"] * 4,
       what + ": CHECK TABLE")


def hexrows(sql):
    return sorted(tuple(r) for r in mysql(sql))


def canonical(url):
    """The stored form of our (already lower-case) URLs: the fragment dropped."""
    return url.split("#", 1)[0]


def h(s):
    return s.encode("utf-8").hex().upper()


def test_csv_and_queue():
    reset()
    work = tempfile.mkdtemp(prefix="urlmon-fault-inj-")
    target = Target(work)
    try:
        T = target.base
        want = {}  # canonical url -> (name, regex or None)
        # ---- the CSV: every string as a name and as a regex, every URL text in a URL
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["name", "url", "regex"])
        for i, s in enumerate(STRINGS):
            url = "%s/csv/%d" % (T, i)
            rx = None if s in NOT_REGEX else s
            w.writerow([s, url, rx or ""])
            want[url] = (s, rx)
        for i, u in enumerate(URL_TEXT):
            url = "%s/csvu/%d/%s" % (T, i, u)
            w.writerow(["csv url %d %s" % (i, STRINGS[i]), url, ""])
            want[canonical(url)] = ("csv url %d %s" % (i, STRINGS[i]), None)
        echo = "%s/echo?body=%s" % (T, urllib.parse.quote(BODY, safe=""))
        w.writerow(["echo", echo, "(?s)START.*END"])
        want[echo] = ("echo", "(?s)START.*END")
        data = buf.getvalue().encode("utf-8")
        bad_csv = io.StringIO()
        bw = csv.writer(bad_csv, lineterminator="\r\n")
        for i, s in enumerate(REFUSED_NAMES):
            bw.writerow([s, "%s/csvbad/n%d" % (T, i), ""])
        for i, s in enumerate(REFUSED_REGEXES):
            bw.writerow(["refused regex %d" % i, "%s/csvbad/r%d" % (T, i), s])
        data += bad_csv.getvalue().encode("utf-8")
        path = os.path.join(work, "inj.csv")
        with open(path, "wb") as f:
            f.write(data)
        # ---- the queue: the same strings as names and regexes, raw NUL entries
        entries = []
        for i, s in enumerate(STRINGS):
            url = "%s/q/%d" % (T, i)
            rx = None if s in NOT_REGEX else s
            entries.append(json.dumps({"name": "q " + s, "url": url, "regex": rx}).encode())
            want[url] = ("q " + s, rx)
        for i, u in enumerate(URL_TEXT):
            url = "%s/qu/%d/%s" % (T, i, u)
            entries.append(json.dumps({"name": "q url %d" % i, "url": url}).encode())
            want[canonical(url)] = ("q url %d" % i, None)
        dead = [
            b'{"name":"raw nul \x00\' OR 1=1 --","url":"' + T.encode() + b'/qbad/1"}',
            b'{"name":"esc nul \\u0000\' OR 1=1 --","url":"' + T.encode() + b'/qbad/2"}',
            json.dumps({"name": "bad rx", "url": T + "/qbad/3", "regex": "(' OR 1=1 --"}).encode(),
            json.dumps({"name": "ctl \x1a'", "url": T + "/qbad/4"}).encode(),
            b"'; DROP TABLE urls; --",
            json.dumps({"name": "n", "url": T + "/qbad/5", "regex": "nul\x00'"}).encode(),
        ] + [json.dumps({"name": "n", "url": T + "/qbad/rx%d" % i, "regex": rx}).encode()
             for i, rx in enumerate(NOT_REGEX)]
        resp_lpush("urlmon:queue", entries + dead)

        rc, out, secs = run_compute(work, "--data-path", path)
        eq(rc, 0, "compute exit status: " + out[-2000:])
        print("  compute run with injection text: %.1f s" % secs)
        check(secs < 5, "no SLEEP(5) ran: the job took %.1f s" % secs)
        nbad = out.count(": bad row skipped: ")
        eq(nbad, len(REFUSED_NAMES) + len(REFUSED_REGEXES), "CSV rows refused")
        tables_intact("after the run")

        got = hexrows("SELECT HEX(url), HEX(name), COALESCE(HEX(regex), 'NULL') FROM urls")
        exp = sorted((h(u), h(n), h(r) if r is not None else "NULL") for u, (n, r) in want.items())
        if got != exp:
            missing = set(exp) - set(got)
            extra = set(got) - set(exp)
            raise Failure("urls differ: %d missing %s, %d unexpected %s" % (
                len(missing), [bytes.fromhex(m[0]).decode() for m in list(missing)[:3]],
                len(extra), [bytes.fromhex(x[0]).decode() for x in list(extra)[:3]]))
        eq(redis("LLEN", "urlmon:queue"), "(integer) 0", "queue drained")
        eq(redis("LLEN", "urlmon:queue:processing"), "(integer) 0", "processing empty")
        eq(redis("LLEN", "urlmon:queue:dead"), "(integer) %d" % len(dead), "dead entries")
        eq(mysql("SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url_id)) FROM checks")[0][0],
           "%d/%d" % (len(want), len(want)), "every URL checked once")
        # What the monitored server sent, stored through the escaped batch builder.
        row = mysql("SELECT c.success, HEX(c.regex_match) FROM checks c JOIN urls u"
                    " ON u.id = c.url_id WHERE u.name = 'echo'")
        eq(row, [["1", h(BODY)]], "the body's match stored byte for byte")
        tables_intact("at the end")
        eq(mysql("SELECT COUNT(*) FROM checks c LEFT JOIN urls u ON u.id = c.url_id"
                 " WHERE u.id IS NULL")[0][0], "0", "every check has its URL")
        rows = mysql("SELECT (SELECT SUM(success_count) + SUM(fail_count) FROM rollup_hourly),"
                     " (SELECT SUM(success_count) + SUM(fail_count) FROM rollup_daily),"
                     " (SELECT SUM(success_count) + SUM(fail_count) FROM rollup_hourly_total),"
                     " (SELECT COUNT(*) FROM checks)")
        eq(len(set(rows[0])), 1, "rollups equal the raw counts %r" % rows)
    finally:
        target.stop()
        subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    run_tests([test_csv_and_queue])
