#!/usr/bin/env python3
"""Cross-reference checker for the Terraform configuration in terraform/.

Terraform's own `terraform validate` needs the AWS provider plugin, which
cannot be downloaded on every machine that runs the static checks, so this
checker works from the parse trees of @cdktf/hcl2json (the HCL parser
Terraform uses, as WebAssembly; tools/static/hcl2json.mjs) and checks:

  * every `var.X` used anywhere in the directory is declared;
  * every declared variable is used somewhere other than its own block;
  * variables are declared only in variables.tf, each with a description
    and a type;
  * every `local.X` used is defined, exactly once, and every local is used;
  * every output has a description;
  * each --tfvars file (e.g. terraform.tfvars.example, or the file deploy.yml
    writes) only sets declared variables, and sets every variable that has
    no default unless it is named with --cli-var (given with -var instead).

Usage:
  python3 tools/tfvars-check.py [--terraform-dir DIR] [--tfvars FILE]...
                                [--cli-var NAME]... [--hcl2json SCRIPT]

Exit status 0 when everything holds, 1 with one line per problem otherwise,
2 on usage or parse errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HCL2JSON = REPO_ROOT / "tools" / "static" / "hcl2json.mjs"

NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
VAR_RE = re.compile(r"(?<![\w.])var\.(" + NAME + ")")
LOCAL_RE = re.compile(r"(?<![\w.])local\.(" + NAME + ")")


def expression_regions(text: str) -> list[str]:
    """Return the bodies of ${...} and %{...} sequences in an hcl2json string.

    hcl2json renders every expression as "${...}" and keeps template
    interpolations as they are; "$${" and "%%{" are literal escapes.
    """
    regions = []
    i = 0
    n = len(text)
    while i < n:
        if text.startswith("$${", i) or text.startswith("%%{", i):
            i += 3
            continue
        if text.startswith("${", i) or text.startswith("%{", i):
            depth = 1
            j = i + 2
            while j < n and depth:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                j += 1
            regions.append(text[i + 2 : j - 1])
            i = j
        else:
            i += 1
    return regions


def walk_strings(node):
    """Yield every string (keys included) in a JSON tree."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from walk_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_strings(item)


def references(node, pattern: re.Pattern) -> set[str]:
    found = set()
    for s in walk_strings(node):
        for region in expression_regions(s):
            found.update(pattern.findall(region))
    return found


def parse_files(hcl2json: Path, files: list[Path]) -> dict:
    cmd = ["node", str(hcl2json), *[str(f) for f in files]]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        print("tfvars-check: node is not installed", file=sys.stderr)
        sys.exit(2)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        print("tfvars-check: HCL parse failed", file=sys.stderr)
        sys.exit(2)
    return json.loads(proc.stdout)


def check(tf_dir: Path, tfvars: list[Path], cli_vars: set[str], hcl2json: Path) -> list[str]:
    problems: list[str] = []
    tf_files = sorted(tf_dir.glob("*.tf"))
    if not tf_files:
        return [f"{tf_dir}: no .tf files found"]
    parsed = parse_files(hcl2json, tf_files + tfvars)

    declared: dict[str, tuple[str, dict]] = {}
    var_uses: dict[str, set[str]] = {}
    locals_defined: dict[str, list[str]] = {}
    local_uses: dict[str, set[str]] = {}

    for f in tf_files:
        tree = parsed[str(f)]
        fname = f.name
        for vname, blocks in (tree.get("variable") or {}).items():
            for block in blocks:
                if vname in declared:
                    problems.append(f"{fname}: variable \"{vname}\" is declared twice")
                declared[vname] = (fname, block)
                if fname != "variables.tf":
                    problems.append(f"{fname}: variable \"{vname}\" must be declared in variables.tf")
                if not str(block.get("description", "")).strip():
                    problems.append(f"{fname}: variable \"{vname}\" has no description")
                if "type" not in block:
                    problems.append(f"{fname}: variable \"{vname}\" has no type")
        for block in tree.get("locals") or []:
            for lname in block:
                locals_defined.setdefault(lname, []).append(fname)
        for oname, blocks in (tree.get("output") or {}).items():
            for block in blocks:
                if not str(block.get("description", "")).strip():
                    problems.append(f"{fname}: output \"{oname}\" has no description")

        # Uses: everything except the variable blocks themselves (a variable
        # referenced only by its own validation is not used).
        rest = {k: v for k, v in tree.items() if k != "variable"}
        for name in references(rest, VAR_RE):
            var_uses.setdefault(name, set()).add(fname)
        for name in references(tree, LOCAL_RE):
            local_uses.setdefault(name, set()).add(fname)

    for name in sorted(set(var_uses) - set(declared)):
        files = ", ".join(sorted(var_uses[name]))
        problems.append(f"{files}: var.{name} is used but not declared in variables.tf")
    for name in sorted(set(declared) - set(var_uses)):
        problems.append(f"{declared[name][0]}: variable \"{name}\" is declared but never used")
    for name in sorted(set(local_uses) - set(locals_defined)):
        files = ", ".join(sorted(local_uses[name]))
        problems.append(f"{files}: local.{name} is used but not defined")
    for name, files in sorted(locals_defined.items()):
        if len(files) > 1:
            problems.append(f"{', '.join(files)}: local \"{name}\" is defined {len(files)} times")
        if name not in local_uses:
            problems.append(f"{files[0]}: local \"{name}\" is defined but never used")

    required = {name for name, (_, block) in declared.items() if "default" not in block}
    for f in tfvars:
        tree = parsed[str(f)]
        for key in sorted(tree):
            if key not in declared:
                problems.append(f"{f}: sets \"{key}\", which is not a declared variable")
        for name in sorted(required - set(tree) - cli_vars):
            problems.append(f"{f}: required variable \"{name}\" (no default) is not set")
    for name in sorted(cli_vars - set(declared)):
        problems.append(f"--cli-var {name}: not a declared variable")

    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--terraform-dir", default=str(REPO_ROOT / "terraform"), type=Path)
    ap.add_argument("--tfvars", action="append", default=[], type=Path,
                    help="a .tfvars(.example) file to check against variables.tf")
    ap.add_argument("--cli-var", action="append", default=[],
                    help="a required variable that is given with -var, not in --tfvars")
    ap.add_argument("--hcl2json", default=os.environ.get("HCL2JSON", str(DEFAULT_HCL2JSON)), type=Path)
    args = ap.parse_args()

    if not args.terraform_dir.is_dir():
        print(f"tfvars-check: {args.terraform_dir} is not a directory", file=sys.stderr)
        return 2
    for f in args.tfvars:
        if not f.is_file():
            print(f"tfvars-check: {f}: no such file", file=sys.stderr)
            return 2

    problems = check(args.terraform_dir, args.tfvars, set(args.cli_var), args.hcl2json)
    for p in problems:
        print(f"tfvars-check: {p}")
    if problems:
        print(f"tfvars-check: {len(problems)} problem(s) in {args.terraform_dir}")
        return 1
    print(f"tfvars-check: {args.terraform_dir}: variables, locals, outputs and tfvars are consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
