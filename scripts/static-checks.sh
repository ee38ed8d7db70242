#!/usr/bin/env bash
# scripts/static-checks.sh: static checks of everything that cannot be run on
# the project's machines (no Docker engine, no AWS account, no Terraform
# provider downloads): Terraform, GitHub workflows, the Dockerfile,
# docker-compose.yml, the OpenAPI document, and shellcheck over the scripts.
#
#   bash scripts/static-checks.sh [SECTION...]
#
# SECTIONs: prereqs tools terraform workflows shell docker openapi (default:
# all). Prints one PASS/FAIL/SKIP line per check (with the tool's output
# indented under a FAIL), and ends with `static checks: N passed, M failed`.
# Exits 1 if any check failed. SKIP is only used for optional extras whose tool
# is not installed (terraform fmt, hadolint) or whose input does not exist yet
# (api/openapi.json); skips are never counted as passes.
#
# Each check runs in a subshell under `set -e`, outside any `if`, so its status
# is the status of the first command in it that fails, never that of a trailing
# echo. tests/static/static_checks_fail.sh proves it: it feeds every check a
# broken input and expects FAIL.
#
# Needs: bash, git, python3, shellcheck, node (>= 18.17, Debian 12's is 18.20)
# and the pinned Node tools in tools/static/node_modules, which
# scripts/install-deps.sh installs (`npm ci` of tools/static/package-lock.json).
# Nothing here touches the network.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TOOLS_DIR="tools/static"
BIN="$TOOLS_DIR/node_modules/.bin"
STAMP="$TOOLS_DIR/node_modules/.urlmon-lock.sha256"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 FORCE_COLOR=0

passed=0
failed=0
skipped=0
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# run_check NAME CMD...: PASS when CMD exits 0, else FAIL with its output. CMD
# runs in a subshell with errexit on and not inside a condition (where bash
# would switch errexit off for everything CMD calls), so a check function
# fails at its first failing command.
run_check() {
    local name="$1" log rc
    shift
    log="$TMP/check.log"
    set +e
    (
        set -e
        "$@"
    ) >"$log" 2>&1
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
        printf 'PASS  %s\n' "$name"
        passed=$((passed + 1))
    else
        printf 'FAIL  %s\n' "$name"
        sed 's/^/      /' "$log"
        failed=$((failed + 1))
    fi
}

# expect_failure PATTERN CMD...: succeeds only when CMD exits non-zero AND its
# output matches PATTERN (so it failed for the reason the fixture plants).
expect_failure() {
    local pattern="$1" out rc=0
    shift
    out="$("$@" 2>&1)" || rc=$?
    if [ "$rc" -eq 0 ]; then
        printf 'expected a failure, but the command passed:\n%s\n' "$out"
        return 1
    fi
    if ! grep -Eq -- "$pattern" <<<"$out"; then
        printf 'failed (rc=%s) but output lacks /%s/:\n%s\n' "$rc" "$pattern" "$out"
        return 1
    fi
    return 0
}

# Sections to run (all by default).
SECTIONS=(prereqs tools terraform workflows shell docker openapi units)
if [ "$#" -gt 0 ]; then
    for a in "$@"; do
        case " ${SECTIONS[*]} " in
        *" $a "*) ;;
        *)
            echo "static-checks: unknown section '$a' (sections: ${SECTIONS[*]})" >&2
            exit 2
            ;;
        esac
    done
    SECTIONS=("$@")
fi
want() { case " ${SECTIONS[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac }

skip() {
    printf 'SKIP  %s (%s)\n' "$1" "$2"
    skipped=$((skipped + 1))
}

# Tracked plus untracked-but-not-ignored files matching git pathspecs, so the
# checks see new files before they are committed. Falls back to find outside
# a git work tree.
list_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard -- "$@" |
            while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\n' "$f"; done | sort -u
    else
        local spec
        for spec in "$@"; do
            find . -path "./$spec" -type f 2>/dev/null | sed 's|^\./||'
        done | sort -u
    fi
}

# ---------------------------------------------------------------------------
# 0. Prerequisites
# ---------------------------------------------------------------------------
check_prereqs() {
    local missing=() cmd
    for cmd in git python3 shellcheck node; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "missing commands: ${missing[*]} (scripts/install-deps.sh installs them)"
        return 1
    fi
    echo "node $(node --version), $(python3 --version), shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
}
if want prereqs; then
    run_check "prerequisites (git python3 shellcheck node)" check_prereqs
fi

# ---------------------------------------------------------------------------
# 1. Pinned Node tools: installed by scripts/install-deps.sh, only verified here
# ---------------------------------------------------------------------------
check_node_tools() {
    local want have="" bin pkg
    want="$(cat "$TOOLS_DIR/package.json" "$TOOLS_DIR/package-lock.json" | sha256sum | cut -d' ' -f1)"
    if [ -f "$STAMP" ]; then have="$(cat "$STAMP")"; fi
    if [ "$want" != "$have" ]; then
        echo "tools/static/node_modules does not match package.json + package-lock.json"
        echo "(installed: ${have:-nothing}, wanted: $want): run scripts/install-deps.sh"
        return 1
    fi
    for bin in action-validator redocly; do
        if [ ! -x "$BIN/$bin" ]; then
            echo "$BIN/$bin is missing: run scripts/install-deps.sh"
            return 1
        fi
    done
    for pkg in @cdktf/hcl2json yaml; do
        if [ ! -f "$TOOLS_DIR/node_modules/$pkg/package.json" ]; then
            echo "$TOOLS_DIR/node_modules/$pkg is missing: run scripts/install-deps.sh"
            return 1
        fi
    done
    echo "tools/static/node_modules matches package-lock.json"
}
if want tools; then
    run_check "node tools installed by scripts/install-deps.sh (tools/static/package-lock.json)" check_node_tools
fi

# ---------------------------------------------------------------------------
# 2. Terraform
# ---------------------------------------------------------------------------
if want terraform; then
    mapfile -t TF_FILES < <(list_files 'terraform/*.tf' 'terraform/*.tfvars.example')

    check_hcl_parse() {
        if [ "${#TF_FILES[@]}" -eq 0 ]; then
            echo "no terraform files found"
            return 1
        fi
        node "$TOOLS_DIR/hcl2json.mjs" "${TF_FILES[@]}" >"$TMP/hcl.json"
        echo "parsed ${#TF_FILES[@]} files"
    }
    run_check "terraform: every .tf parses (hcl2json)" check_hcl_parse

    run_check "terraform: var/local/output cross-references and tfvars example (tools/tfvars-check.py)" \
        python3 tools/tfvars-check.py --terraform-dir terraform \
        --tfvars terraform/terraform.tfvars.example --cli-var image_tag

    # Negative self-tests: the checker must reject planted mistakes.
    checker_self_test() {
        local d="$TMP/tf-fixtures"
        mkdir -p "$d/undeclared" "$d/unused" "$d/local" "$d/good" "$d/realcopy" "$d/tfvars"

        printf 'variable "a" {\n  type        = string\n  description = "a"\n}\n' >"$d/undeclared/variables.tf"
        # shellcheck disable=SC2016 # HCL, not shell, interpolation
        printf 'locals {\n  x = "${var.a}-${var.b}"\n}\noutput "x" {\n  description = "x"\n  value       = local.x\n}\n' \
            >"$d/undeclared/main.tf"
        expect_failure 'var\.b is used but not declared' \
            python3 tools/tfvars-check.py --terraform-dir "$d/undeclared" || return 1

        printf 'variable "a" {\n  type        = string\n  description = "a"\n}\nvariable "c" {\n  type        = string\n  description = "c"\n  validation {\n    condition     = var.c != ""\n    error_message = "c"\n  }\n}\n' \
            >"$d/unused/variables.tf"
        printf 'output "a" {\n  description = "a"\n  value       = var.a\n}\n' >"$d/unused/main.tf"
        expect_failure 'variable "c" is declared but never used' \
            python3 tools/tfvars-check.py --terraform-dir "$d/unused" || return 1

        printf 'variable "a" {\n  type        = string\n  description = "a"\n}\n' >"$d/local/variables.tf"
        printf 'locals {\n  y = var.a\n}\noutput "a" {\n  description = "a"\n  value       = [local.y, local.missing]\n}\n' \
            >"$d/local/main.tf"
        expect_failure 'local\.missing is used but not defined' \
            python3 tools/tfvars-check.py --terraform-dir "$d/local" || return 1

        cp "$d/unused/variables.tf" "$d/tfvars/variables.tf"
        printf 'output "ac" {\n  description = "ac"\n  value       = [var.a, var.c]\n}\n' >"$d/tfvars/main.tf"
        printf 'a = "x"\nnot_declared = 1\n' >"$d/tfvars/example.tfvars.example"
        expect_failure 'sets "not_declared", which is not a declared variable' \
            python3 tools/tfvars-check.py --terraform-dir "$d/tfvars" \
            --tfvars "$d/tfvars/example.tfvars.example" || return 1

        printf 'variable "a" {\n  type        = string\n  description = "a"\n}\n' >"$d/good/variables.tf"
        # shellcheck disable=SC2016 # HCL, not shell, interpolation
        printf 'locals {\n  y = "$${HOME} ${var.a}"\n}\noutput "a" {\n  description = "a"\n  value       = local.y\n}\n' \
            >"$d/good/main.tf"
        python3 tools/tfvars-check.py --terraform-dir "$d/good" >/dev/null || {
            echo "a correct fixture was rejected"
            return 1
        }

        # The real configuration with one variable reference misspelt.
        cp terraform/*.tf "$d/realcopy/"
        sed -i '0,/var\.aws_region/s//var.aws_regoin/' "$d/realcopy/versions.tf"
        grep -q 'var.aws_regoin' "$d/realcopy/versions.tf" || {
            echo "could not plant the misspelling"
            return 1
        }
        expect_failure 'var\.aws_regoin is used but not declared' \
            python3 tools/tfvars-check.py --terraform-dir "$d/realcopy" || return 1
        echo "all planted mistakes were caught; the correct fixture passed"
    }
    run_check "terraform: checker rejects planted mistakes (negative self-test)" checker_self_test

    check_hcl_rejects_garbage() {
        printf 'resource "x" "y" {\n  a = \n' >"$TMP/broken.tf"
        expect_failure 'broken\.tf' node "$TOOLS_DIR/hcl2json.mjs" "$TMP/broken.tf"
    }
    run_check "terraform: hcl2json rejects a syntax error (negative self-test)" check_hcl_rejects_garbage

    if command -v terraform >/dev/null 2>&1; then
        run_check "terraform: fmt -check ($(terraform version 2>/dev/null | head -n1))" \
            terraform fmt -check -diff -recursive terraform
    else
        skip "terraform: fmt -check" "terraform CLI not installed; not in Debian's archive"
    fi
fi

# ---------------------------------------------------------------------------
# 3. GitHub workflows
# ---------------------------------------------------------------------------
if want workflows; then
    mapfile -t WORKFLOWS < <(list_files '.github/workflows/*.yml' '.github/workflows/*.yaml')
    if [ "${#WORKFLOWS[@]}" -eq 0 ]; then
        run_check "workflows: present" false
    fi
    for wf in "${WORKFLOWS[@]}"; do
        run_check "workflow schema: $wf (action-validator)" "$BIN/action-validator" "$wf"
    done
    if [ "${#WORKFLOWS[@]}" -gt 0 ]; then
        run_check "workflows: permissions, concurrency, pinned actions, OIDC only (workflow-check.mjs)" \
            node "$TOOLS_DIR/workflow-check.mjs" "${WORKFLOWS[@]}"
    fi

    check_workflow_negative() {
        local d="$TMP/wf"
        mkdir -p "$d"
        printf 'name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n' >"$d/schema.yml"
        expect_failure 'stepz' "$BIN/action-validator" "$d/schema.yml" || return 1
        printf 'name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@main\n' >"$d/rules.yml"
        expect_failure 'no top-level permissions' node "$TOOLS_DIR/workflow-check.mjs" "$d/rules.yml" || return 1
        expect_failure "pinned to 'main'" node "$TOOLS_DIR/workflow-check.mjs" "$d/rules.yml" || return 1
        echo "bad workflows were rejected"
    }
    run_check "workflows: validators reject bad fixtures (negative self-test)" check_workflow_negative
fi

# ---------------------------------------------------------------------------
# 4. Shell scripts
# ---------------------------------------------------------------------------
if want shell; then
    mapfile -t SHELL_FILES < <(list_files 'scripts/*.sh' 'bench/*.sh' 'tests/*.sh' 'packaging/*.sh' '.ci/*.sh' '.ci/run' 'terraform/*.sh')
    if [ "${#SHELL_FILES[@]}" -eq 0 ]; then
        run_check "shellcheck: scripts found" false
    fi
    for sh in "${SHELL_FILES[@]}"; do
        run_check "shellcheck: $sh" shellcheck --external-sources "$sh"
    done

    # A script the docs tell people to run (bench/run.sh quick) must not answer
    # "Permission denied": every file with a #! line is executable in git, except the
    # sourced/imported helper libraries (*_lib.sh, *_lib.py).
    check_executable() {
        local mode f rc=0
        while read -r mode f; do
            case "$f" in *_lib.sh | *_lib.py) continue ;; esac
            if [ -f "$f" ] && [ "$(head -c2 "$f")" = '#!' ] && [ "$mode" != 100755 ]; then
                echo "$f has a #! line but mode $mode: git update-index --chmod=+x $f"
                rc=1
            fi
        done < <(git ls-files -s -- 'scripts/*' 'bench/*' 'tests/*' 'tools/*' '.ci/*' |
            awk '{print $1, $4}')
        return "$rc"
    }
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        run_check "scripts with a #! line are executable in git" check_executable
    fi
fi

# ---------------------------------------------------------------------------
# 5. The Dockerfile (targets api and compute) and docker-compose.yml (no Docker
#    engine here: static only)
# ---------------------------------------------------------------------------
if want docker; then
    if command -v hadolint >/dev/null 2>&1; then
        run_check "hadolint: Dockerfile" hadolint Dockerfile
    else
        skip "hadolint" "not in Debian 12, npm wrappers download a binary; dockerfile-check.py enforces the checklist"
    fi
    run_check "dockerfile: Dockerfile --target api checklist (multi-stage, pinned, slim, non-root, HEALTHCHECK, SIGTERM, apt hygiene, no secrets)" \
        python3 "$TOOLS_DIR/dockerfile-check.py" --healthcheck --target api Dockerfile
    run_check "dockerfile: Dockerfile --target compute checklist (multi-stage, pinned, slim, non-root, SIGTERM, apt hygiene, no secrets)" \
        python3 "$TOOLS_DIR/dockerfile-check.py" --target compute Dockerfile

    check_dockerfile_negative() {
        cat >"$TMP/Dockerfile.bad" <<'EOF'
FROM debian:latest
ENV API_TOKEN=abc
RUN apt-get update && apt-get install -y curl
ADD https://example.com/tool /usr/local/bin/tool
CMD urlmon-api
EOF
        local p
        for p in 'not multi-stage' 'latest tag' 'looks like a secret' 'no-install-recommends' \
            'var/lib/apt/lists' 'ADD from a URL' 'no USER' 'STOPSIGNAL' 'HEALTHCHECK' 'exec form'; do
            expect_failure "$p" python3 "$TOOLS_DIR/dockerfile-check.py" --healthcheck "$TMP/Dockerfile.bad" || return 1
        done
        echo "every planted Dockerfile mistake was reported"
    }
    run_check "dockerfile: checker rejects a bad fixture (negative self-test)" check_dockerfile_negative

    check_dockerignore() {
        local pat rc=0
        for pat in .git build tools/static/node_modules terraform '**/*.tfvars' .env; do
            if ! grep -qxF -- "$pat" .dockerignore; then
                echo ".dockerignore lacks: $pat"
                rc=1
            fi
        done
        return "$rc"
    }
    run_check ".dockerignore keeps VCS, build trees, node_modules, terraform and secrets out of the context" check_dockerignore

    run_check "docker-compose.yml: parses; pinned images; health-gated start order; migrate before api/compute (compose-check.mjs)" \
        node "$TOOLS_DIR/compose-check.mjs" docker-compose.yml

    check_compose_negative() {
        cat >"$TMP/compose.bad.yml" <<'EOF'
services:
  mariadb:
    image: mariadb:10.11
  redis:
    image: redis
  api:
    image: urlmon-api:latest
    depends_on: [mariadb, redis]
  compute:
    image: urlmon-compute:1
    command: ["--run-local"]
    depends_on:
      mariadb:
        condition: service_healthy
EOF
        local p
        for p in 'redis uses image redis' 'depends_on is a list' 'no healthcheck' 'migrate' \
            'data/urls.csv' 'latest tag'; do
            expect_failure "$p" node "$TOOLS_DIR/compose-check.mjs" "$TMP/compose.bad.yml" || return 1
        done
        printf 'services:\n  a: [unclosed\n' >"$TMP/compose.broken.yml"
        expect_failure 'YAML parse error' node "$TOOLS_DIR/compose-check.mjs" "$TMP/compose.broken.yml" || return 1
        echo "every planted compose mistake was reported"
    }
    run_check "docker-compose.yml: checker rejects a bad fixture (negative self-test)" check_compose_negative
fi

# ---------------------------------------------------------------------------
# 6. OpenAPI
# ---------------------------------------------------------------------------
if want openapi; then
    if [ -f api/openapi.json ]; then
        run_check "openapi: api/openapi.json (redocly lint)" "$BIN/redocly" lint api/openapi.json
    else
        skip "openapi: redocly lint" "api/openapi.json does not exist yet"
    fi
fi

# ---------------------------------------------------------------------------
# 7. systemd units (packaging/systemd/*.in): systemd-analyze verify + security
# ---------------------------------------------------------------------------
# The units are rendered as `cmake --install` writes them; there is no build here, so
# ExecStart= points at stand-ins (the install test checks them against the real programs).
render_units() {
    local out="$1" f
    mkdir -p "$out" "$TMP/unit-bin"
    ln -sf /bin/true "$TMP/unit-bin/urlmon-api"
    ln -sf /bin/true "$TMP/unit-bin/urlmon-compute"
    for f in packaging/systemd/*.in; do
        sed -e "s|@URLMON_BINDIR@|$TMP/unit-bin|g" -e 's|@URLMON_SYSCONFDIR@|/etc|g' "$f" \
            >"$out/$(basename "${f%.in}")"
    done
}
if ! want units; then
    :
elif command -v systemd-analyze >/dev/null 2>&1; then
    render_units "$TMP/units"
    run_check "systemd units: verify clean, security exposure OK (packaging/check-units.sh)" \
        bash packaging/check-units.sh "$TMP"/units/*
    check_units_negative() {
        local d="$TMP/units-bad"
        render_units "$d"
        sed -i 's/^ProtectSystem=/ProtectSytem=/' "$d/urlmon-api.service"
        expect_failure "Unknown key 'ProtectSytem'" bash packaging/check-units.sh "$d/urlmon-api.service" || return 1
        sed -i -E '/^(# Hardening|NoNewPrivileges)/,$d' "$d/urlmon-compute.service"
        expect_failure 'FAIL security urlmon-compute.service' bash packaging/check-units.sh "$d/urlmon-compute.service" || return 1
        sed -i "s|$TMP/unit-bin/urlmon-compute|$TMP/no-such-dir/urlmon-compute|" "$d/urlmon-compute-batch.service"
        expect_failure 'is not executable' bash packaging/check-units.sh "$d/urlmon-compute-batch.service" || return 1
        echo "a misspelt key, missing hardening and a missing program were each caught"
    }
    run_check "systemd units: checker rejects broken units (negative self-test)" check_units_negative
else
    run_check "systemd units: systemd-analyze installed" false
fi

# ---------------------------------------------------------------------------
if [ "$skipped" -gt 0 ]; then
    echo "($skipped optional check(s) skipped; see SKIP lines)"
fi
echo "static checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
