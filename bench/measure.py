#!/usr/bin/env python3
"""bench/measure.py: run one command (or N copies in parallel) and measure it.

Wall time from the first start to the last exit; user/sys CPU seconds and peak RSS of
every process from wait4() (the kernel's getrusage of that child and its descendants,
like /usr/bin/time); the change in the loopback TCP counters (connections opened,
from /proc/net/snmp) over the run. Prints one JSON line, and appends it to --append.

  measure.py [--procs N] [--stdout PAT] [--stderr PAT] [--hist-stderr]
             [--json-stdout] [--set key=value]... [--append FILE] [--watch-pid PID]
             -- CMD ARGS...

--watch-pid records watch_cpu_s, the CPU seconds another process (the server under test)
used during the run.

With --procs N, "{i}" in CMD, ARGS, PAT is replaced by 0..N-1 for each copy.
--hist-stderr counts each distinct stderr line (e.g. curl -w '%{stderr}%{http_code}\\n').
--json-stdout merges the last JSON object printed on stdout under "inner".
--wrk-stdout parses wrk's report (first copy's --stdout file) under "wrk".
machine_busy is the share of all CPUs busy during the run (every process, /proc/stat):
near 1.0 on this 2-core machine means the run was CPU-bound or shared the machine.
steal is the share of all CPU time the hypervisor gave to other guests during the run
(/proc/stat steal): time this machine's processes were ready to run but could not.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time


def tcp_counters():
    """ActiveOpens, PassiveOpens, AttemptFails, EstabResets from /proc/net/snmp."""
    with open("/proc/net/snmp", encoding="ascii") as f:
        rows = [line.split() for line in f if line.startswith("Tcp:")]
    names, values = rows[0][1:], [int(v) for v in rows[1][1:]]
    d = dict(zip(names, values))
    return {k: d.get(k, 0) for k in ("ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets")}


def proc_cpu_s(pid):
    """utime + stime of pid in seconds, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


def cpu_jiffies():
    """(busy, total, steal) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v) - idle, sum(v), (v[7] if len(v) > 7 else 0)


def parse_wrk(path):
    """Requests/sec and latency percentiles (ms) from wrk's text output (--latency)."""
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            w = line.split()
            if line.startswith("Requests/sec:"):
                out["rps"] = float(w[1])
            elif len(w) == 2 and w[0] in ("50%", "75%", "90%", "99%"):
                num = w[1].rstrip("usm")
                unit = w[1][len(num):]
                out["p" + w[0].rstrip("%")] = float(num) * units.get(unit, 1.0)
            elif "requests in" in line:
                out["requests"] = int(w[0])
            elif line.strip().startswith("Non-2xx or 3xx responses:"):
                out["non2xx"] = int(w[-1])
            elif line.strip().startswith("Socket errors:"):
                out["socket_errors"] = line.strip()
    return out


def parse_set(items):
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--stdout", default=os.devnull)
    ap.add_argument("--stderr", default=None)
    ap.add_argument("--hist-stderr", action="store_true")
    ap.add_argument("--json-stdout", action="store_true")
    ap.add_argument("--wrk-stdout", action="store_true")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--append")
    ap.add_argument("--watch-pid", type=int, default=0,
                    help="also record the CPU seconds this (server) process used meanwhile")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")
    err_pat = a.stderr
    if err_pat is None:
        err_pat = os.devnull if not a.hist_stderr else "/tmp/measure-{i}.err"

    procs = []
    files = []
    with open("/proc/loadavg", encoding="ascii") as f:
        load1 = float(f.read().split()[0])
    tcp0 = tcp_counters()
    cpu0 = cpu_jiffies()
    watch0 = proc_cpu_s(a.watch_pid) if a.watch_pid else None
    t0 = time.monotonic()
    for i in range(a.procs):
        argv = [x.replace("{i}", str(i)) for x in cmd]
        out_path = a.stdout.replace("{i}", str(i))
        err_path = err_pat.replace("{i}", str(i))
        fo = open(out_path, "wb")
        fe = open(err_path, "wb")
        files.append((fo, fe, out_path, err_path))
        procs.append(subprocess.Popen(argv, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL))
    user = sys_ = 0.0
    rss_max = rss_sum = 0
    codes = []
    pending = {p.pid: p for p in procs}
    while pending:
        pid, status, ru = os.wait4(-1, 0)
        if pid not in pending:
            continue
        del pending[pid]
        codes.append(os.waitstatus_to_exitcode(status))
        user += ru.ru_utime
        sys_ += ru.ru_stime
        rss_max = max(rss_max, ru.ru_maxrss)
        rss_sum += ru.ru_maxrss
    wall = time.monotonic() - t0
    tcp1 = tcp_counters()
    cpu1 = cpu_jiffies()
    watch1 = proc_cpu_s(a.watch_pid) if a.watch_pid else None
    for fo, fe, _, _ in files:
        fo.close()
        fe.close()

    row = parse_set(a.set)
    row.update({
        "cmd": shlex.join(cmd), "procs": a.procs, "wall_s": round(wall, 4),
        "user_s": round(user, 3), "sys_s": round(sys_, 3), "max_rss_kb": rss_max,
        "sum_rss_kb": rss_sum, "exit_codes": codes,
        "tcp": {k: tcp1[k] - tcp0[k] for k in tcp0},
        "loadavg1_before": load1,
        "machine_busy": round((cpu1[0] - cpu0[0]) / max(1, cpu1[1] - cpu0[1]), 3),
        "steal": round((cpu1[2] - cpu0[2]) / max(1, cpu1[1] - cpu0[1]), 4),
        "watch_cpu_s": (round(watch1 - watch0, 3) if watch0 is not None and watch1 is not None
                        else None),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    if a.wrk_stdout:
        row["wrk"] = parse_wrk(files[0][2])
    if a.hist_stderr:
        hist = {}
        for _, _, _, err_path in files:
            with open(err_path, "rb") as f:
                for line in f:
                    key = line.strip().decode("utf-8", "replace")[:40]
                    hist[key] = hist.get(key, 0) + 1
        row["stderr_hist"] = hist
    if a.json_stdout:
        inner = None
        for _, _, out_path, _ in files:
            if out_path == os.devnull:
                continue
            with open(out_path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("{"):
                        try:
                            inner = json.loads(line)
                        except ValueError:
                            pass
        row["inner"] = inner
    line = json.dumps(row, sort_keys=True)
    print(line, flush=True)
    if a.append:
        with open(a.append, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    return 0 if all(c == 0 for c in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
