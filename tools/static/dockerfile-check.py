#!/usr/bin/env python3
"""Checklist linter for urlmon's Dockerfiles (stand-in for hadolint).

hadolint is not packaged in Debian 12 and its npm wrappers download a binary
at install time, which this project's machines cannot fetch, so this checker
enforces the rules the project cares about:

  1. multi-stage: at least two FROM instructions;
  2. every FROM image is pinned to a tag or digest, never `latest`, never an
     unresolvable ${ARG};
  3. a build stage FROM debian:bookworm and a final stage FROM
     debian:bookworm-slim (directly or through an earlier stage it builds on);
  4. COPY --from names an earlier stage;
  5. the final stage has a USER that is not root (name or uid 0);
  6. the final stage has STOPSIGNAL SIGTERM;
  7. with --healthcheck: the final stage has a HEALTHCHECK CMD;
  8. ENTRYPOINT (and CMD, if any) in the final stage use the JSON exec form,
     so SIGTERM reaches the binary rather than a shell;
  9. each RUN with `apt-get install` uses -y and --no-install-recommends, runs
     `apt-get update` itself, and removes /var/lib/apt/lists/* in the same RUN;
     no RUN has a bare `apt-get update`;
 10. no ADD from a URL;
 11. no ENV/ARG whose name looks like a secret (PASSWORD, SECRET, TOKEN, KEY,
     CREDENTIAL).

With --target NAME the "final stage" is the stage named NAME (what
`docker build --target NAME` produces) together with the stages it is built
FROM: USER, STOPSIGNAL, HEALTHCHECK, ENTRYPOINT and CMD are inherited from
them, as Docker does; only the stages up to NAME are checked. Without it the
final stage is the last one.

Usage: dockerfile-check.py [--healthcheck] [--target NAME] DOCKERFILE
Exit 0 when all rules hold, 1 with one line per violation otherwise.
"""

from __future__ import annotations

import json
import re
import sys

SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL)", re.I)


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Join backslash continuations, drop comments and blank lines."""
    out: list[tuple[int, str]] = []
    buf = ""
    start = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction
        if not buf:
            start = lineno
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        out.append((start, buf))
        buf = ""
    if buf:
        out.append((start, buf))
    return out


def split_instruction(line: str) -> tuple[str, str]:
    parts = line.split(None, 1)
    return parts[0].upper(), parts[1] if len(parts) > 1 else ""


def is_exec_form(args: str) -> bool:
    try:
        value = json.loads(args)
    except ValueError:
        return False
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def env_names(args: str) -> list[str]:
    if "=" not in args.split(None, 1)[0]:
        return [args.split(None, 1)[0]]  # legacy `ENV NAME value`
    return re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", args)


def check(path: str, need_healthcheck: bool, target: str | None = None) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        lines = logical_lines(fh.read())

    problems: list[str] = []
    stages: list[dict] = []  # {image, alias, instrs: [(lineno, instr, args)]}

    for lineno, line in lines:
        instr, args = split_instruction(line)
        if instr == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            image = words[0] if words else ""
            alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append({"image": image, "alias": alias, "line": lineno, "instrs": []})
            continue
        if not stages:
            if instr != "ARG":
                problems.append(f"{path}:{lineno}: {instr} before the first FROM")
            continue
        stages[-1]["instrs"].append((lineno, instr, args))

    if target is not None:
        names = [st["alias"] for st in stages]
        if target not in names:
            return [f"{path}: no stage named {target} (stages: {', '.join(n for n in names if n)})"]
        stages = stages[: names.index(target) + 1]
    # The final stage and the earlier stages it is built FROM, base first.
    chain: list[dict] = []
    if stages:
        st = stages[-1]
        chain.append(st)
        by_alias = {s["alias"]: s for s in stages[:-1] if s["alias"]}
        while st["image"] in by_alias and by_alias[st["image"]] not in chain:
            st = by_alias[st["image"]]
            chain.insert(0, st)

    if len(stages) < 2:
        problems.append(f"{path}: not multi-stage ({len(stages)} FROM instruction(s), need >= 2)")

    aliases: list[str] = []
    images = []
    for index, st in enumerate(stages):
        image, lineno = st["image"], st["line"]
        earlier = list(aliases)
        if image in aliases:
            images.append(image)
        elif "$" in image:
            problems.append(f"{path}:{lineno}: FROM {image} uses a build ARG; pin the image literally")
            images.append(image)
        else:
            name, _, digest = image.partition("@")
            last = name.rsplit("/", 1)[-1]
            tag = last.split(":", 1)[1] if ":" in last else ""
            if not tag and not digest:
                problems.append(f"{path}:{lineno}: FROM {image} is not pinned to a tag or digest")
            elif tag == "latest":
                problems.append(f"{path}:{lineno}: FROM {image} uses the latest tag")
            images.append(name)
        if st["alias"]:
            aliases.append(st["alias"])

        for ilineno, instr, args in st["instrs"]:
            if instr == "COPY":
                m = re.search(r"--from=(\S+)", args)
                if m:
                    src = m.group(1)
                    ok = src in earlier or (src.isdigit() and int(src) < index)
                    if not ok:
                        problems.append(f"{path}:{ilineno}: COPY --from={src} is not an earlier stage")
            if instr == "ADD" and re.search(r"(^|\s)https?://", args):
                problems.append(f"{path}:{ilineno}: ADD from a URL; download in a RUN with checksum verification")
            if instr in ("ENV", "ARG") and args:
                for name in env_names(args):
                    if SECRET_NAME.search(name):
                        problems.append(f"{path}:{ilineno}: {instr} {name} looks like a secret; inject it at run time")
            if instr == "RUN":
                if "apt-get install" in args:
                    if "--no-install-recommends" not in args:
                        problems.append(f"{path}:{ilineno}: apt-get install without --no-install-recommends")
                    if not re.search(r"apt-get install\s+(\S+\s+)*?(-y|--yes|-qq?y)\b", args):
                        problems.append(f"{path}:{ilineno}: apt-get install without -y")
                    if "apt-get update" not in args:
                        problems.append(f"{path}:{ilineno}: apt-get install without apt-get update in the same RUN")
                    if not re.search(r"rm -rf /var/lib/apt/lists(/\*)?", args):
                        problems.append(f"{path}:{ilineno}: apt-get install without rm -rf /var/lib/apt/lists/* in the same RUN")
                elif "apt-get update" in args:
                    problems.append(f"{path}:{ilineno}: apt-get update in a RUN without apt-get install (stale cache layer)")

    if not any(img == "debian:bookworm" for st, img in zip(stages, images) if st not in chain):
        problems.append(f"{path}: no build stage FROM debian:bookworm")
    if chain and chain[0]["image"].partition("@")[0] != "debian:bookworm-slim":
        problems.append(f"{path}: final stage is FROM {chain[0]['image']}, expected debian:bookworm-slim")

    if chain:
        final = [instr for st in chain for instr in st["instrs"]]
        users = [args.strip() for _, instr, args in final if instr == "USER"]
        if not users:
            problems.append(f"{path}: final stage has no USER (would run as root)")
        else:
            user = users[-1].split(":", 1)[0]
            if user in ("root", "0", ""):
                problems.append(f"{path}: final stage USER is {users[-1]} (root)")
        signals = [args.strip() for _, instr, args in final if instr == "STOPSIGNAL"]
        if not signals or signals[-1] not in ("SIGTERM", "15"):
            problems.append(f"{path}: final stage has no STOPSIGNAL SIGTERM")
        if need_healthcheck:
            hcs = [args for _, instr, args in final if instr == "HEALTHCHECK"]
            if not hcs or not re.search(r"(^|\s)CMD(\s|\[)", hcs[-1]):
                problems.append(f"{path}: final stage has no HEALTHCHECK CMD")
        for _, instr, args in final:
            if instr == "ENTRYPOINT" and not is_exec_form(args):
                problems.append(f"{path}: ENTRYPOINT is not in JSON exec form")
            if instr == "CMD" and not is_exec_form(args):
                problems.append(f"{path}: CMD is not in JSON exec form")
        if not any(instr == "ENTRYPOINT" for _, instr, _ in final) and not any(
            instr == "CMD" for _, instr, _ in final
        ):
            problems.append(f"{path}: final stage has neither ENTRYPOINT nor CMD")

    return problems


def main(argv: list[str]) -> int:
    need_healthcheck = False
    target = None
    files = []
    args = iter(argv)
    for arg in args:
        if arg == "--healthcheck":
            need_healthcheck = True
        elif arg == "--target":
            target = next(args, "")
        elif arg.startswith("--target="):
            target = arg.split("=", 1)[1]
        elif arg in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            files.append(arg)
    if len(files) != 1:
        print("usage: dockerfile-check.py [--healthcheck] [--target NAME] DOCKERFILE", file=sys.stderr)
        return 2
    try:
        problems = check(files[0], need_healthcheck, target)
    except OSError as err:
        print(f"dockerfile-check: {err}", file=sys.stderr)
        return 2
    for p in problems:
        print(f"dockerfile-check: {p}")
    if problems:
        return 1
    what = f"{files[0]} --target {target}" if target is not None else files[0]
    print(f"dockerfile-check: {what}: all rules hold")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
