#!/usr/bin/env bash
# Integration: --data-path. Bad rows are reported with their line number and reason and
# skipped (exit 0); loading again updates instead of duplicating and reactivates; the
# optional interval column is stored, a bad one skips its row naming the bounds; a
# missing file or a missing header stops with a clear message and a non-zero exit.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
reset_all
start_target --threads 1
export TIMEOUT=2

csv=$work/urls.csv
# BOM, CRLF, columns in another order, quotes with "" and commas and a newline.
{
    printf '\xEF\xBB\xBFurl,Name,regex\r\n'
    printf '%s/a,Alpha,\r\n' "$T"
    printf '%s/b,"Beta, ""the second""",ok\r\n' "$T"
    printf 'ftp://bad.example/,Bad scheme,\r\n'
    printf '%s/c,Gamma,"spans\r\nlines"\r\n' "$T"
    printf '%s/d,,\r\n' "$T"
    printf '%s/e,Too few\r\n' "$T"
    printf '%s/f,Bad regex,(\r\n' "$T"
    printf '\r\n'
    printf '%s/g,"Caf\xc3\xa9 \xe2\x82\xac",\r\n' "$T"
    printf '%s/h,Bad quote"here,\r\n' "$T"
    printf '%s/i,Too,many,fields\r\n' "$T"
    printf '%s/j,"Bad UTF-8 \xff",\r\n' "$T"
    printf '%s/a,Alpha again,\r\n' "$T"
    printf '%s/k,"Tab\there",\r\n' "$T"
} >"$csv"

compute --data-path "$csv"
expect_eq "bad rows do not fail the run" "$rc" 0
[ "$rc" -eq 0 ] || cat "$work/out"
report() { grep -q -- "urls.csv:$1: bad row skipped: $2" "$work/out"; }
check "line 4: bad scheme" report 4 "url: must start with http"
check "line 7: empty name" report 7 "name: must not be empty"
check "line 8: too few fields" report 8 "has 2 fields, the header has 3"
check "line 9: bad regex" report 9 "regex:"
check "line 12: stray quote" report 12 "line 12: a quote inside an unquoted field"
check "line 13: too many fields" report 13 "has 4 fields"
check "line 14: bad UTF-8" report 14 "name: is not valid UTF-8"
check "line 16: control character" report 16 "name: contains a control character"
check "summary of the load" grep -q "13 rows, 5 URLs loaded, 8 bad rows skipped" "$work/out"
expect_eq "URLs stored" "$(sql "SELECT COUNT(*) FROM urls")" 4
expect_eq "quoted name" "$(sql "SELECT name FROM urls WHERE url = '$T/b'")" 'Beta, "the second"'
expect_eq "regex column" "$(sql "SELECT regex FROM urls WHERE url = '$T/b'")" ok
expect_eq "empty regex is NULL" "$(sql "SELECT regex IS NULL FROM urls WHERE url = '$T/a'")" 1
expect_eq "newline in quotes kept" "$(sql "SELECT HEX(regex) FROM urls WHERE url = '$T/c'")" \
    "$(printf 'spans\r\nlines' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
expect_eq "UTF-8 name" "$(sql "SELECT name FROM urls WHERE url = '$T/g'")" "$(printf 'Caf\xc3\xa9 \xe2\x82\xac')"
expect_eq "later row wins" "$(sql "SELECT name FROM urls WHERE url = '$T/a'")" "Alpha again"
expect_eq "the loaded URLs were checked" "$(sql "SELECT COUNT(*) FROM checks")" 4

check "new and known counted" grep -q "(4 new URLs, 1 already known" "$work/out"

# Again, with a change and a deactivated URL: updated and reactivated, not duplicated.
sql "UPDATE urls SET active = 0, deactivated_at = UTC_TIMESTAMP(3) WHERE url = '$T/g'"
ids_before=$(sql "SELECT GROUP_CONCAT(id ORDER BY id) FROM urls")
sed -i 's/Alpha again/Alpha renamed/' "$csv"
compute --data-path "$csv"
expect_eq "second load: exit status" "$rc" 0
expect_eq "second load: no duplicates" "$(sql "SELECT COUNT(*) FROM urls")" 4
expect_eq "second load: same ids" "$(sql "SELECT GROUP_CONCAT(id ORDER BY id) FROM urls")" \
    "$ids_before"
expect_eq "second load: name updated" "$(sql "SELECT name FROM urls WHERE url = '$T/a'")" \
    "Alpha renamed"
expect_eq "second load: reactivated" "$(sql "SELECT CONCAT(active, deactivated_at IS NULL)
                                            FROM urls WHERE url = '$T/g'")" 11

# Canonical form: the same URL spelled differently is the same row.
printf 'name,url\nUpper,%s\n' "$(echo "$T/a" | sed 's|http://|HTTP://|')" >"$work/upper.csv"
compute --data-path "$work/upper.csv"
expect_eq "canonical URL: no duplicate" "$(sql "SELECT COUNT(*) FROM urls")" 4
expect_eq "canonical URL: renamed" "$(sql "SELECT name FROM urls WHERE url = '$T/a'")" Upper

# The optional interval column: whole seconds within MIN_INTERVAL..MAX_INTERVAL (5..86400);
# a bad cell skips the row naming the bounds; an empty cell gives a new URL 600 and leaves a
# known URL's interval as it is.
{
    printf 'name,url,interval\n'
    printf 'Fast,%s/a,30\n' "$T"
    printf 'Slow,%s/m, 3600 \n' "$T"
    printf 'Default,%s/n,\n' "$T"
    printf 'Too fast,%s/o,4\n' "$T"
    printf 'Garbled,%s/p,1m\n' "$T"
    printf 'Too slow,%s/q,86401\n' "$T"
    printf 'Negative,%s/r,-5\n' "$T"
} >"$work/interval.csv"
compute --data-path "$work/interval.csv"
expect_eq "interval column: exit status" "$rc" 0
ireport() { grep -q -- "interval.csv:$1: bad row skipped: $2" "$work/out"; }
check "line 5: below MIN_INTERVAL" ireport 5 \
    "interval: is out of range (expected whole seconds from 5 to 86400)"
check "line 6: garbled" ireport 6 "interval: is not a whole number of seconds (expected whole seconds from 5 to 86400)"
check "line 7: above MAX_INTERVAL" ireport 7 "interval: is out of range"
check "line 8: negative" ireport 8 "interval: is not a whole number"
expect_eq "interval stored" "$(sql "SELECT check_interval FROM urls WHERE url = '$T/a'")" 30
expect_eq "spaces around it" "$(sql "SELECT check_interval FROM urls WHERE url = '$T/m'")" 3600
expect_eq "empty cell, new URL: 600" \
    "$(sql "SELECT check_interval FROM urls WHERE url = '$T/n'")" 600
expect_eq "bad rows not stored" "$(sql "SELECT COUNT(*) FROM urls WHERE url IN ('$T/o', '$T/p',
                                        '$T/q', '$T/r')")" 0
printf 'name,url,interval\nFast kept,%s/a,\n' "$T" >"$work/keep.csv"
compute --data-path "$work/keep.csv"
expect_eq "empty cell, known URL: interval kept" \
    "$(sql "SELECT CONCAT(name, '/', check_interval) FROM urls WHERE url = '$T/a'")" \
    "Fast kept/30"
printf 'name,url,interval\nFast,%s/a,30\n' "$T" >"$work/min.csv"
MIN_INTERVAL=60 compute --data-path "$work/min.csv"
check "MIN_INTERVAL=60 names its bounds" grep -q "min.csv:2: bad row skipped: .*from 60 to 86400" \
    "$work/out"
MIN_INTERVAL=100 MAX_INTERVAL=50 compute --data-path "$work/min.csv"
expect_eq "MIN_INTERVAL > MAX_INTERVAL: exit 2" "$rc" 2
check "names both" grep -q "MIN_INTERVAL: 100 is larger than MAX_INTERVAL (50)" "$work/out"

compute --data-path "$work/missing.csv"
check "missing file: non-zero exit" test "$rc" -ne 0
check "missing file: clear message" grep -q "cannot open .*missing.csv: No such file" "$work/out"
check "missing file: no run" bash -c "! grep -q 'checking' '$work/out'"

printf 'Alpha,%s/a\n' "$T" >"$work/noheader.csv"
compute --data-path "$work/noheader.csv"
check "missing header: non-zero exit" test "$rc" -ne 0
check "missing header: clear message" grep -q "missing header" "$work/out"

: >"$work/empty.csv"
compute --data-path "$work/empty.csv"
check "empty file: non-zero exit" test "$rc" -ne 0
check "empty file: clear message" grep -q "is empty" "$work/out"

compute --data-path "$work"
check "directory: non-zero exit" test "$rc" -ne 0
check "directory: clear message" grep -q "not a regular file" "$work/out"

printf 'name,url,name\na,%s/x,b\n' "$T" >"$work/twice.csv"
compute --data-path "$work/twice.csv"
check "column twice: non-zero exit" test "$rc" -ne 0
check "column twice: clear message" grep -q "appears twice" "$work/out"

compute --data-path
expect_eq "--data-path without a value: exit 2" "$rc" 2
check "names the flag" grep -q -- "--data-path: missing value" "$work/out"
finish
