#!/usr/bin/env python3
"""bench/gen.py: the benchmark data sets, reproducible (fixed seeds) and fast.

  gen.py urls --n N --delay MS --out PREFIX [--split K] [--fail-pct P --timeout-s S]
             [--tag T] [--tsv]
      PREFIX.txt        one URL per line (bench_checkbench --urls)
      PREFIX.curl.cfg   the same as curl config lines (url = "..."), and with --split K
                        PREFIX.curl.0.cfg .. PREFIX.curl.{K-1}.cfg, the list cut in K parts
      PREFIX.tsv        with --tsv: rows for LOAD DATA into urls
                        (name, url, regex, active, created_at, updated_at)
    URLs spread over 127.0.0.1-127.0.0.8 x ports B..B+3 (--port-base B, default 19180:
    32 listeners of urlmon-target) so no single address/port pair carries all the
    connections. With
    --fail-pct P, P% of the URLs fail, in turn: status=500, close=1, a delay of
    TIMEOUT + 2 s (timeout), garbage=1, and a refused connection (127.0.0.9, where
    nothing listens).

  gen.py inserts --rows N [--batch 1000] --out FILE.sql
      the writer's INSERT INTO checks shape as plain multi-row statements of --batch
      rows each (the MariaDB peer of the writer benchmark)

  gen.py history --urls N --days D --out DIR --rollup-bin PATH [--hourly all|edges]
                 [--raw-hours H] [--raw-first-hours H]
      urls.tsv runs.tsv rollup_hourly.tsv rollup_daily.tsv rollup_hourly_total.tsv
      checks.tsv: N URLs checked every 10 minutes for D days up to now (UTC), as the
      compute job leaves them: daily rollups for every day, all-URL hourly totals, hourly
      rollups for every hour (--hourly all) or only for the days the window plan of
      api/window.h reads them (--hourly edges: today and the first day of each window),
      and raw checks only where the API reads them (the hour holding the start of the
      1-hour, 1-day, 7-day and 30-day windows, and the hour after it), plus every hour of
      the past H hours with --raw-hours H (24: the day of raw checks the dashboard's
      percentiles read, 1.44 million at 10,000 URLs), and every hour of the first H
      hours with --raw-first-hours H (the oldest day, for retention to drop: bench/soak.sh).
      Each URL has its
      own failure rate (most 0, a few high) so the top lists have a real order.
      The rollups are not computed here: every check (the raw ones one by one, the others
      as per-hour counts) goes through urlmon-rollup (--rollup-bin), the compute job's
      own rollup code, so the rules exist once.
"""
import argparse
import bisect
import datetime as dt
import functools
import math
import os
import random
import subprocess
import sys

ADDRS = ["127.0.0.%d" % i for i in range(1, 9)]
NPORTS = 4
REFUSED_ADDR = "127.0.0.9"  # nothing listens there: connection refused
SLOT_S = 600


def url_for(i, delay, tag, fail_kind, timeout_s, port_base):
    host = "%s:%d" % (ADDRS[i % len(ADDRS)], port_base + (i // len(ADDRS)) % NPORTS)
    path = "/%s/%d" % (tag, i)
    if fail_kind is None:
        return "http://%s%s?delay=%d" % (host, path, delay)
    if fail_kind == 0:
        return "http://%s%s?delay=%d&status=500" % (host, path, delay)
    if fail_kind == 1:
        return "http://%s%s?delay=%d&close=1" % (host, path, delay)
    if fail_kind == 2:
        return "http://%s%s?delay=%d" % (host, path, timeout_s * 1000 + 2000)
    if fail_kind == 3:
        return "http://%s%s?delay=%d&garbage=1" % (host, path, delay)
    return "http://%s:%d%s?delay=%d" % (REFUSED_ADDR, port_base, path, delay)


def cmd_urls(a):
    every = int(round(100.0 / a.fail_pct)) if a.fail_pct > 0 else 0
    urls = []
    for i in range(a.n):
        kind = None
        if every and i % every == every - 1:
            kind = (i // every) % 5
        urls.append(url_for(i, a.delay, a.tag, kind, a.timeout_s, a.port_base))
    with open(a.out + ".txt", "w", encoding="ascii") as f:
        f.write("\n".join(urls) + "\n")
    with open(a.out + ".curl.cfg", "w", encoding="ascii") as f:
        f.writelines('url = "%s"\n' % u for u in urls)
    if a.split > 1:
        per = (len(urls) + a.split - 1) // a.split
        for k in range(a.split):
            with open("%s.curl.%d.cfg" % (a.out, k), "w", encoding="ascii") as f:
                f.writelines('url = "%s"\n' % u for u in urls[k * per:(k + 1) * per])
    if a.tsv:
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        with open(a.out + ".tsv", "w", encoding="ascii") as f:
            for i, u in enumerate(urls):
                f.write("bench %s %d\t%s\t\\N\t1\t%s\t%s\n" % (a.tag, i, u, now, now))
    return 0


def fail_rate(rng):
    r = rng.random()
    if r < 0.70:
        return 0.0
    if r < 0.90:
        return 0.01
    if r < 0.98:
        return 0.05
    return rng.choice([0.3, 0.5, 0.8, 1.0])


def cmd_history(a):
    rng = random.Random(20240607)
    os.makedirs(a.out, exist_ok=True)
    n, days = a.urls, a.days
    utc = dt.timezone.utc
    now = int(dt.datetime.now(utc).timestamp()) // SLOT_S * SLOT_S
    first = now - days * 86400 - 86400  # one spare day before the 30-day window
    first -= first % 3600
    nslots = (now - first) // SLOT_S + 1
    per_hour = 3600 // SLOT_S

    @functools.lru_cache(maxsize=65536)
    def fmt(ts):
        return dt.datetime.fromtimestamp(ts, utc).strftime("%Y-%m-%d %H:%M:%S")

    rates = [fail_rate(rng) for _ in range(n)]
    base_ms = [30 + rng.randrange(300) for _ in range(n)]
    created = fmt(first - 86400)
    with open(os.path.join(a.out, "urls.tsv"), "w", encoding="ascii") as f:
        for u in range(1, n + 1):
            f.write("%d\tsite %05d\thttps://site%d.example.com/\t\\N\t1\t%s\t%s\n" %
                    (u, u % 5000, u, created, created))
    with open(os.path.join(a.out, "runs.tsv"), "w", encoding="ascii") as f:
        for s in range(nslots):
            t = first + s * SLOT_S
            f.write("%d\t%d\tdone\t%s.000\t%s.500\t%d\t%d\n" % (s + 1, t // SLOT_S, fmt(t), fmt(t + 200),
                                                               n, n))

    # Hours whose raw checks the API reads: the last 3 hours, and 3 hours around the
    # start of each window (1, 7, 30 days), so the edges stay covered for a while.
    # api/window.h: a window [now - span, now] reads raw checks in the hour holding its
    # start, hourly rollups from there to the end of that day, daily rollups after. The
    # hour after each start is covered too, for the minutes the benchmark takes.
    raw_hours = set(range(now // 3600 * 3600 - a.raw_hours * 3600, now + 1, 3600))
    raw_hours.update(first + k * 3600 for k in range(a.raw_first_hours))
    edge_days = {fmt(now)[:10]}
    for span_h in (1, 24, 7 * 24, 30 * 24):
        h0 = (now - span_h * 3600) // 3600 * 3600
        for k in (0, 1):
            raw_hours.add(h0 + k * 3600)
            edge_days.add(fmt(h0 + k * 3600)[:10])

    # Binomial(slots, p) by inverse CDF: one random number per URL and hour.
    cdfs = {}
    for p in set(rates):
        for ns in range(1, per_hour + 1):
            acc, cdf = 0.0, []
            for k in range(ns + 1):
                acc += math.comb(ns, k) * p ** k * (1 - p) ** (ns - k)
                cdf.append(acc)
            cdfs[(p, ns)] = cdf
    failing = [u for u in range(n) if rates[u] > 0]
    # urlmon-rollup input: url_id, checked_at_ms, success, response_ms[, count]. A URL's
    # checks of an hour that are not kept raw all took base_ms, so they go in as two
    # counted lines (successes, failures) at the start of the hour.
    # For speed, an hour's lines come from a template of every URL's all-successes line
    # ("\0" where the hour goes), cut around the URLs that failed in that hour.
    ids = ["%d\t" % (u + 1) for u in range(n)]
    templates = {}  # ns -> (text, offset of each URL's line, end)
    hourly = os.path.join(a.out, "rollup_hourly.tsv")
    hourly_edges = os.path.join(a.out, "rollup_hourly.edges.tsv")
    keep = None
    if a.hourly != "all":
        # Keep the hourly rows of the edge days only, filtered as urlmon-rollup writes
        # them (a FIFO in place of its file): at 1M URLs the rows of every hour would be
        # ~34 GB on disk for a month, of which the API reads a few days.
        for f in (hourly, hourly_edges):
            if os.path.lexists(f):
                os.unlink(f)
        os.mkfifo(hourly)
        keep = subprocess.Popen(["grep", "-E", "^(%s) " % "|".join(sorted(edge_days)), hourly],
                                stdout=open(hourly_edges, "w", encoding="ascii"),
                                env=dict(os.environ, LC_ALL="C"))
    roll = subprocess.Popen([a.rollup_bin, "--tsv", a.out], stdin=subprocess.PIPE,
                            text=True, encoding="ascii")
    # Raw checks: one file per raw hour, each in primary key order (url_id, then run_id:
    # the loop below goes URL by URL, slot by slot), merged at the end by sort -m. No
    # list of every row in memory: at 1M URLs a raw hour is 6 million rows.
    raw_files = []
    nhours = 0
    hour = first
    while hour <= now:
        slots = [s for s in range(per_hour) if hour + s * SLOT_S <= now]
        ns = len(slots)
        hour_ms = "%d" % (hour * 1000)
        out = []
        if hour in raw_hours:
            raw_path = os.path.join(a.out, "checks.%d.part" % len(raw_files))
            raw_files.append(raw_path)
            rawf = open(raw_path, "w", encoding="ascii")
            for u in range(n):
                p = rates[u]
                for s in slots:
                    t = hour + s * SLOT_S
                    ok = not (p and rng.random() < p)
                    rms = base_ms[u] + (u * 7 + t // SLOT_S) % 50
                    at_ms = (t + (u % 599)) * 1000 + u % 1000
                    rawf.write("%d\t%d\t%s.%03d\t%d\t%d\t%d\t%s\n" % (
                        u + 1, (t - first) // SLOT_S + 1, fmt(t + (u % 599)), u % 1000, ok,
                        200 if ok else 503, rms, "\\N" if ok else "http_status"))
                    out.append("%s%d\t%d\t%d\n" % (ids[u], at_ms, ok, rms))
            rawf.close()
        else:
            fails = {}
            for u in failing:
                f = bisect.bisect_left(cdfs[(rates[u], ns)], rng.random())
                if f:
                    fails[u] = f
            tpl = templates.get(ns)
            if tpl is None:
                lines = ["%s\0\t1\t%d\t%d\n" % (ids[u], base_ms[u], ns) for u in range(n)]
                offs = [0]
                for line in lines:
                    offs.append(offs[-1] + len(line))
                tpl = templates[ns] = ("".join(lines), offs)
            text, offs = tpl
            prev = 0
            for u in sorted(fails):
                f = fails[u]
                out.append(text[offs[prev]:offs[u]])
                if f < ns:
                    out.append("%s\0\t1\t%d\t%d\n" % (ids[u], base_ms[u], ns - f))
                out.append("%s\0\t0\t%d\t%d\n" % (ids[u], base_ms[u], f))
                prev = u + 1
            out.append(text[offs[prev]:offs[n]])
            out = ["".join(out).replace("\0", hour_ms)]
        roll.stdin.writelines(out)
        nhours += 1
        hour += 3600
    roll.stdin.close()
    if roll.wait() != 0:
        sys.exit("history: urlmon-rollup failed")
    if keep is not None:
        if keep.wait() != 0:
            sys.exit("history: filtering the hourly rollups failed")
        os.unlink(hourly)
        os.replace(hourly_edges, hourly)
    # primary key order: the load appends to the clustered index
    with open(os.path.join(a.out, "checks.tsv"), "w", encoding="ascii") as f:
        subprocess.run(["sort", "-m", "-t", "\t", "-k1,1n", "-k2,2n"] + raw_files, stdout=f,
                       check=True, env=dict(os.environ, LC_ALL="C"))
    for path in raw_files:
        os.unlink(path)
    print("history: %d URLs, %d hours from %s to %s, raw checks in %d hours, hourly rollups "
          "for %s" % (n, nhours, fmt(first), fmt(now), len(raw_hours),
                      "every day" if a.hourly == "all" else "days " + " ".join(sorted(edge_days))))
    return 0


def cmd_inserts(a):
    """The writer's checks INSERT, same columns and value shapes, as a SQL script."""
    with open(a.out, "w", encoding="ascii") as f:
        f.write("SET SESSION time_zone = '+00:00';\n")
        for b in range(0, a.rows, a.batch):
            vals = []
            for i in range(b, min(a.rows, b + a.batch)):
                ok = i % 50 != 49
                vals.append("(%d,%d,'2026-01-01 00:%02d:%02d.%03d',%d,%s,%d,0,1,NULL,%d,%s,%s,"
                            "NULL,NULL)" % (
                                i + 1, a.run_id, (i // 1000) % 60, i % 60, i % 1000, ok,
                                200 if ok else 500, 40 + i % 400, 38 + i % 400,
                                "NULL" if ok else "'http_status'",
                                "NULL" if ok else "'HTTP status 500 is not 2xx or 3xx'"))
            f.write("INSERT INTO checks (url_id,run_id,checked_at,success,http_status,"
                    "response_ms,dns_ms,connect_ms,tls_ms,ttfb_ms,error_class,error_message,"
                    "regex_matched,regex_match) VALUES " + ",".join(vals) + ";\n")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("urls")
    u.add_argument("--n", type=int, required=True)
    u.add_argument("--delay", type=int, default=0)
    u.add_argument("--out", required=True)
    u.add_argument("--split", type=int, default=1)
    u.add_argument("--fail-pct", type=float, default=0.0)
    u.add_argument("--timeout-s", type=int, default=10)
    u.add_argument("--tag", default="c")
    u.add_argument("--port-base", type=int, default=19180)
    u.add_argument("--tsv", action="store_true")
    h = sub.add_parser("history")
    h.add_argument("--urls", type=int, default=10000)
    h.add_argument("--days", type=int, default=30)
    h.add_argument("--out", required=True)
    h.add_argument("--hourly", choices=("all", "edges"), default="all")
    h.add_argument("--raw-hours", type=int, default=0,
                   help="raw checks for every hour of the past H hours too")
    h.add_argument("--raw-first-hours", type=int, default=0,
                   help="raw checks for the first H hours of the history too (a day that "
                        "retention drops)")
    h.add_argument("--rollup-bin", required=True,
                   help="urlmon-rollup (BUILD/compute/urlmon-rollup)")
    i = sub.add_parser("inserts")
    i.add_argument("--rows", type=int, required=True)
    i.add_argument("--batch", type=int, default=1000)
    i.add_argument("--run-id", type=int, default=999999)
    i.add_argument("--out", required=True)
    a = ap.parse_args()
    return {"urls": cmd_urls, "history": cmd_history, "inserts": cmd_inserts}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
