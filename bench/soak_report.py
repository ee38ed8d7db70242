#!/usr/bin/env python3
"""bench/soak_report.py: the tables of bench/soak.sh from its results, as Markdown.

  soak_report.py bench/out/soak/soak.jsonl [bench/out/soak/loadavg.tsv]

Sizes are InnoDB's (information_schema DATA_LENGTH + INDEX_LENGTH, after ANALYZE TABLE);
rows are the exact line counts of the loaded files where the load gave them, else InnoDB's
estimate. A full day at N URLs every 10 minutes is N x 144 raw checks, N x 24 hourly and
N daily rollup rows: the per-day figures multiply the measured bytes per row by those.
"""
import json
import statistics
import sys

MB = 1024.0 * 1024.0
GB = MB * 1024.0


def fmt_ms(v):
    if v is None:
        return "-"
    if v >= 1000:
        return "%s ms" % format(round(v), ",")
    if v >= 10:
        return "%.0f ms" % v
    return "%.2f ms" % v


def main():
    rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
    load = []
    if len(sys.argv) > 2:
        for line in open(sys.argv[2], encoding="ascii"):
            t, v = line.split()
            load.append((int(t), float(v)))
    by = lambda sc: [r for r in rows if r.get("scenario") == sc]
    meta = (by("soak_meta") or [{}])[0]
    n = int(meta.get("n", 1000000))
    print("N = %s URLs, history lengths %s days, wrk %s s per figure, cached with %s "
          "connections, innodb_buffer_pool_size %s, %s cores, commit %s, started %s." % (
              format(n, ","), meta.get("days"), meta.get("wrk_s"), meta.get("cached_c"),
              meta.get("buffer_pool"), meta.get("nproc"), meta.get("commit"), meta.get("started")))
    print()

    # --- generation and load
    print("| history | generated (gen.py + urlmon-rollup) | loaded (LOAD DATA) | TSV bytes | rows loaded |")
    print("| --- | ---: | ---: | ---: | --- |")
    for r in by("soak_load"):
        print("| %d days | %.0f s | %.0f s | %.1f GB | %s |" % (
            r["days"], r["gen_s"], r["load_s"], r["tsv_bytes"] / GB,
            ", ".join("%s %s" % (k, format(v, ",")) for k, v in sorted(r.get("lines", {}).items()))))
    print()

    # --- sizes
    loads = {"day%d" % r["days"]: r for r in by("soak_load")}
    print("| state | table | rows | data + index | bytes per row |")
    print("| --- | --- | ---: | ---: | ---: |")
    per_row = {}
    for s in by("soak_sizes"):
        lines = loads.get(s["label"], {}).get("lines", {})
        for name in ("checks", "rollup_hourly", "rollup_daily", "rollup_hourly_total", "urls"):
            t = s["tables"].get(name)
            if not t:
                continue
            nrows = lines.get(name, t["rows_est"])
            exact = name in lines
            size = t["data"] + t["index"]
            bpr = size / nrows if nrows else None
            if bpr and s["label"].startswith("day"):
                per_row.setdefault(name, []).append(bpr)
            print("| %s | %s | %s%s | %.0f MB | %s |" % (
                s["label"], name, format(nrows, ","), "" if exact else " (est.)", size / MB,
                "%.0f" % bpr if bpr else "-"))
        print("| %s | (database directory, du) | | %.0f MB | |" % (s["label"], s["db_dir_bytes"] / MB))
    print()
    last = by("soak_sizes")[-1] if by("soak_sizes") else None
    if last:
        print("Partitions of `checks` at %s (rows: InnoDB's estimate):" % last["label"])
        print()
        print("| partition | rows | data + index |")
        print("| --- | ---: | ---: |")
        for p in last["partitions"]:
            if p["rows_est"] or p["data"] + p["index"] > 64 * 1024:
                print("| %s | %s | %.0f MB |" % (p["name"], format(p["rows_est"], ","),
                                                (p["data"] + p["index"]) / MB))
        print()
    if per_row:
        print("A full day at %s URLs every 10 minutes, from the bytes per row measured above "
              "(median of the loaded states):" % format(n, ","))
        print()
        print("| table | rows per day | bytes per row | per day | kept | at full retention |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, mult, keep in (("checks", 144, 35), ("rollup_hourly", 24, 35),
                                 ("rollup_daily", 1, 400)):
            if name not in per_row:
                continue
            b = statistics.median(per_row[name])
            day = n * mult * b
            print("| %s | %s | %.0f | %.1f GB | %d days | %.0f GB |" % (
                name, format(n * mult, ","), b, day / GB, keep, day * keep / GB))
        print()

    # --- API
    api = by("soak_api")
    days = sorted({int(r["days"]) for r in api})
    def fig(d, kind, ep):
        for r in api:
            if int(r["days"]) == d and r["kind"] == kind and r["endpoint"] == ep:
                return r
        return None
    eps = []
    for r in api:
        e = r["endpoint"].replace("?cache=false", "")
        if e not in eps:
            eps.append(e)
    head = "| route |"
    sep = "| --- |"
    for d in days:
        head += " day %d uncached p50 / p99 (req/s) | day %d cached p50 / p99 (req/s) |" % (d, d)
        sep += " ---: | ---: |"
    print(head)
    print(sep)
    for e in eps:
        line = "| `%s` |" % e
        for d in days:
            for kind in ("uncached", "cached"):
                r = fig(d, kind, e + "?cache=false") if kind == "uncached" else None
                r = r or fig(d, kind, e)
                w = (r or {}).get("wrk", {})
                line += " %s / %s (%s) |" % (fmt_ms(w.get("p50")), fmt_ms(w.get("p99")),
                                             format(round(w["rps"]), ",") if "rps" in w else "-")
        print(line)
    print()
    cold = by("soak_cold")
    if cold:
        print("First request of each cacheable answer after the API started (`?cache=false`; "
              "week and month build the in-process tally, api/tally.h):")
        print()
        print("| route | " + " | ".join("day %d" % d for d in days) + " |")
        print("| --- |" + " ---: |" * len(days))
        for ep in dict.fromkeys(r["endpoint"] for r in cold):
            cells = []
            for d in days:
                v = [r for r in cold if r["endpoint"] == ep and int(r["days"]) == d]
                cells.append(fmt_ms(v[0]["s"] * 1000) if v else "-")
            print("| `%s` | %s |" % (ep, " | ".join(cells)))
        print()

    # --- runs
    runs = by("soak_run")
    ver = {r["run"]: r for r in by("soak_run_verify")}
    rec = {r["label"]: r for r in by("soak_recompute")}
    if runs:
        print("| run | wall | checks/s | rows written | rows/s | CPU (user+sys) | peak RSS | retention (job's log) | recompute: 7 answers, `?cache=false` in turn |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
        for r in runs:
            k = int(r["run"])
            v = ver.get(k, {})
            ret = [l.split("retention: ", 1)[1] for l in v.get("log", []) if "retention: " in l]
            rc = rec.get("after-run%d" % k, {})
            print("| %d | %.1f s | %s | %s (%s distinct) | %s | %.0f s | %.0f MB | %s | %s |" % (
                k, r["wall_s"], format(round(n / r["wall_s"]), ","), format(v.get("rows", 0), ","),
                format(v.get("distinct", 0), ","), format(round(v.get("rows", 0) / r["wall_s"]), ","),
                r["user_s"] + r["sys_s"], r["max_rss_kb"] / 1024.0, ret[0] if ret else "-",
                "%.2f s" % rc["total_s"] if rc else "-"))
        print()
    if rec:
        print("| recompute | " + " | ".join("`%s`" % e for e in next(iter(rec.values()))["each_s"]) + " | total | warm metric |")
        print("| --- |" + " ---: |" * (len(next(iter(rec.values()))["each_s"]) + 2))
        for label, r in rec.items():
            print("| %s | %s | %.2f s | %s |" % (label, " | ".join(fmt_ms(v * 1000) for v in r["each_s"].values()),
                                               r["total_s"], r.get("warm_metric") or "(none)"))
        print()

    warms = by("soak_warm")
    if warms:
        print("| after | the API's warm (first invalidation to the 7 answers stored) | first GET of each answer after it |")
        print("| --- | ---: | --- |")
        for r in warms:
            print("| %s | %.3f s | %d of %d `X-Cache: HIT` |" % (
                r["label"], r["warm_last_s"], r["first_get_hits"], len(r["x_cache"])))
        print()

    # --- load average
    phases = by("soak_phase")
    if load and phases:
        print("| phase | load average (1 min): mean / max |")
        print("| --- | ---: |")
        for i, p in enumerate(phases):
            t0 = p["t"]
            t1 = phases[i + 1]["t"] if i + 1 < len(phases) else load[-1][0] + 1
            v = [x for t, x in load if t0 <= t < t1]
            if v:
                print("| %s | %.2f / %.2f |" % (p["phase"], statistics.mean(v), max(v)))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
