#!/usr/bin/env bash
# Integration: both binaries refuse a bad configuration with a message naming the
# variable and a non-zero exit, and never print the password.
set -euo pipefail
pass=0
fail=0
expect_refusal() {
    local bin=$1 var=$2 value=$3 out rc
    set +e
    out=$(env "$var=$value" DB_PASSWORD=sekrit-pw-123 "$bin" 2>&1 </dev/null)
    rc=$?
    set -e
    if [ "$rc" -ne 0 ] && grep -q "$var" <<<"$out" && ! grep -q sekrit-pw-123 <<<"$out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $(basename "$bin") with $var=$value exited $rc: $out"
    fi
}
for bin in "${URLMON_API_BIN:?}" "${URLMON_COMPUTE_BIN:?}"; do
    expect_refusal "$bin" DB_PORT 0
    expect_refusal "$bin" DB_PORT 70000
    expect_refusal "$bin" DB_PORT abc
    expect_refusal "$bin" TIMEOUT -5
    expect_refusal "$bin" LOG_LEVEL chatty
    expect_refusal "$bin" MIN_POOL 500
done
echo "cli config: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
