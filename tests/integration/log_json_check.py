#!/usr/bin/env python3
"""Checks that every line of a log file is one LOG_FORMAT=json object as shared/log.h
describes: known keys only, the right types, the expected program and instance, no
secret anywhere; and that the fields and request paths asked for occur at least once.

  log_json_check.py FILE --program P [--instance I] [--secret S]... [--field F]...
                    [--path P]... [--min-lines N]
Exit status 1 with the reasons when anything does not hold."""
import argparse
import json
import re
import sys

KEYS = {"time", "level", "program", "instance", "run_id", "shard", "task", "url_id",
        "path", "context", "message"}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def line_errors(obj, args):
    errs = []
    if not isinstance(obj, dict):
        return ["not a JSON object"]
    for k in ("time", "level", "program", "message"):
        if k not in obj:
            errs.append(f"no {k!r}")
    extra = set(obj) - KEYS
    if extra:
        errs.append(f"unknown keys {sorted(extra)}")
    if "time" in obj and not (isinstance(obj["time"], str) and TIME.match(obj["time"])):
        errs.append(f"time {obj['time']!r}")
    if obj.get("level") not in ("debug", "info", "warn", "error"):
        errs.append(f"level {obj.get('level')!r}")
    if obj.get("program") != args.program:
        errs.append(f"program {obj.get('program')!r}")
    if obj.get("instance") != args.instance:
        errs.append(f"instance {obj.get('instance')!r}, want {args.instance!r}")
    for k in ("run_id", "url_id"):
        if k in obj and not (type(obj[k]) is int and obj[k] > 0):
            errs.append(f"{k} {obj[k]!r}")
    if "shard" in obj and not re.fullmatch(r"\d+/\d+", str(obj["shard"])):
        errs.append(f"shard {obj['shard']!r}")
    if "path" in obj and not (isinstance(obj["path"], str) and obj["path"].startswith("/")
                              and "?" not in obj["path"]):
        errs.append(f"path {obj['path']!r}")
    if not isinstance(obj.get("message"), str) or not obj.get("message"):
        errs.append("empty message")
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--program", required=True)
    ap.add_argument("--instance")
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--field", action="append", default=[])
    ap.add_argument("--path", action="append", default=[])
    ap.add_argument("--min-lines", type=int, default=1)
    args = ap.parse_args()

    problems, seen_fields, seen_paths, n = [], set(), set(), 0
    with open(args.file, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(f"not UTF-8: {e}")
        text = raw.decode("utf-8", "replace")
    for no, line in enumerate(text.split("\n"), 1):
        if line == "" and no == len(text.split("\n")):
            continue
        n += 1
        for s in args.secret:
            if s in line:
                problems.append(f"line {no}: contains a secret ({s[:6]}...)")
        try:
            obj = json.loads(line)
        except ValueError as e:
            problems.append(f"line {no}: not JSON ({e}): {line[:200]}")
            continue
        for e in line_errors(obj, args):
            problems.append(f"line {no}: {e}: {line[:200]}")
        if isinstance(obj, dict):
            seen_fields.update(obj)
            if "path" in obj:
                seen_paths.add(obj["path"])
    if n < args.min_lines:
        problems.append(f"{n} lines, want at least {args.min_lines}")
    for k in args.field:
        if k not in seen_fields:
            problems.append(f"no line has {k!r}")
    for p in args.path:
        if p not in seen_paths:
            problems.append(f"no line has path {p!r} (seen: {sorted(seen_paths)})")
    for p in problems[:15]:
        print(f"{args.file}: {p}")
    print(f"{args.file}: {n} lines, fields seen {sorted(seen_fields)}, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
