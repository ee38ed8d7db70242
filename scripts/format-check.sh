#!/usr/bin/env bash
# Fails when any tracked C file differs from what clang-format (.clang-format) makes of it.
#   scripts/format-check.sh --fix   # rewrite the files instead
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h')
if [ "${1:-}" = --fix ]; then
    clang-format -i "${files[@]}"
    exit 0
fi
# One clang-format process for the common case; file by file only to name the culprits.
if clang-format --dry-run --Werror "${files[@]}" >/dev/null 2>&1; then
    echo "format check: ${#files[@]} passed, 0 failed"
    exit 0
fi
bad=0
for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "format-check: $f differs from clang-format (run scripts/format-check.sh --fix)"
        bad=$((bad + 1))
    fi
done
echo "format check: $((${#files[@]} - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
