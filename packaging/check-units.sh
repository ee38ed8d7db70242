#!/usr/bin/env bash
# packaging/check-units.sh: checks systemd unit files the way systemd reads them.
#
#   bash packaging/check-units.sh UNIT...
#
# For each unit: `systemd-analyze verify` must exit 0 AND print nothing (it only warns,
# exit 0, on an unknown or misspelt key); for each .service, `systemd-analyze security
# --offline=true` must rate it at most URLMON_UNIT_MAX_EXPOSURE (tenths; default 20, i.e.
# exposure 2.0, systemd's "OK" band). ExecStart= programs must exist (verify checks it).
# Exit status 1 when any unit fails, naming it and showing systemd's words.
set -euo pipefail

max=${URLMON_UNIT_MAX_EXPOSURE:-20}
failed=0
if [ "$#" -eq 0 ]; then
    echo "usage: check-units.sh UNIT..." >&2
    exit 2
fi
for unit in "$@"; do
    out=$(systemd-analyze verify --man=no "$unit" 2>&1) && rc=0 || rc=$?
    if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
        echo "FAIL verify $(basename "$unit") (exit $rc):"
        printf '%s\n' "$out" | sed 's/^/    /'
        failed=1
    else
        echo "ok   verify $(basename "$unit")"
    fi
    case "$unit" in
    *.service)
        out=$(systemd-analyze security --offline=true --no-pager --threshold="$max" "$unit" 2>&1) &&
            rc=0 || rc=$?
        level=$(grep -o 'Overall exposure level for .*' <<<"$out" || true)
        if [ "$rc" -ne 0 ] || [ -z "$level" ]; then
            echo "FAIL security $(basename "$unit") (exit $rc, threshold $max): ${level:-no rating}"
            grep -E '^✗' <<<"$out" | sed 's/^/    /' | head -20 || true
            failed=1
        else
            echo "ok   security ${level#Overall exposure level for }"
        fi
        ;;
    esac
done
exit "$failed"
