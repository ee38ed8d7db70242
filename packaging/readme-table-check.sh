#!/usr/bin/env bash
# packaging/readme-table-check.sh CONFIGDOC README: the README's configuration table must be
# exactly what the configuration table prints (urlmon-configdoc markdown); on a difference
# it shows the diff and the fix: replace the table with `urlmon-configdoc markdown`.
set -euo pipefail
configdoc=${1:?usage: readme-table-check.sh CONFIGDOC README}
readme=${2:?usage: readme-table-check.sh CONFIGDOC README}
table=$(awk '/^\| variable \| default \| range \| meaning \|$/ {on = 1} on && !/^\|/ {exit} on' "$readme")
if [ -z "$table" ]; then
    echo "$readme: no '| variable | default | range | meaning |' table"
    exit 1
fi
if ! diff -u <(echo "$table") <("$configdoc" markdown); then
    echo "$readme: the configuration table differs from shared/config.c's (- README, + table);"
    echo "replace it with the output of: $configdoc markdown"
    exit 1
fi
echo "$readme: configuration table matches ($(($(wc -l <<<"$table") - 2)) variables)"
