#!/usr/bin/env bash
# Fault: hostile targets through the whole job (urlmon-compute, MySQL, rollups), not just
# the engine (test_engine covers one check of each at the engine level). 512 URLs, 64 of
# each: an endless body, an endless body for a URL with a regex (the body is buffered), a
# one-byte-per-second drip, 1 MiB of headers, garbage instead of HTTP, a redirect loop,
# https:// to a listener that accepts and never answers (the TLS handshake never
# finishes) and a server that reads the request and never answers. TIMEOUT=2,
# CONCURRENCY=200: every check fails within TIMEOUT + 0.5 s with the right error class in
# MySQL, the job's peak RSS stays under 150 MB, the run ends on time.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/fault_lib.sh"
reset_all
start_target --threads 2 --blackhole 127.0.0.1:0
hole=$(awk '$1 == "blackhole" {print $2; exit}' "$work/target.ready")
check "blackhole listener" test -n "$hole"
export TIMEOUT=2 CONNECT_TIMEOUT=2 CONCURRENCY=200 MAX_REDIRECTS=5 LOG_LEVEL=warn
per=64
slack_ms=500
rss_limit_kb=$((150 * 1024))

# kind, URL (one %d for the sequence number), the error class it must get, regex
kinds=(
    "endless|$T/endless/%d?endless=1|too_large"
    "endlessrx|$T/endlessrx/%d?endless=1|too_large|zzz"
    "drip|$T/drip/%d?drip=1&size=100000|timeout"
    "headers|$T/headers/%d?headers_kb=1024|other"
    "garbage|$T/garbage/%d?garbage=1|other"
    "loop|$T/loop/%d?loop=1|other"
    "tlshole|https://$hole/tls/%d|timeout"
    "hang|$T/hang/%d?hang=1|timeout"
)
for k in "${kinds[@]}"; do
    IFS='|' read -r name fmt _ regex <<<"$k"
    pre=${fmt%%%d*}
    post=${fmt#*%d}
    sql "INSERT INTO urls (name, url, regex, created_at, updated_at)
         SELECT CONCAT('$name ', seq), CONCAT('$pre', seq, '$post'), NULLIF('$regex', ''),
                UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) FROM seq_1_to_$per"
done
n=$((per * ${#kinds[@]}))
expect_eq "hostile URLs" "$(sql "SELECT COUNT(*) FROM urls")" "$n"

t0=$(now_ms)
set +e
/usr/bin/time -v -o "$work/time.txt" "$URLMON_COMPUTE_BIN" >"$work/out" 2>&1
rc=$?
set -e
wall=$(($(now_ms) - t0))
expect_eq "exit status" "$rc" 0
[ "$rc" -eq 0 ] || tail -20 "$work/out"
rss=$(peak_rss_kb "$work/time.txt")
echo "$n hostile checks at CONCURRENCY=$CONCURRENCY: $wall ms wall, peak RSS $((rss / 1024)) MB"
if [ "$sanitized" = 0 ]; then
    check "peak RSS $((rss / 1024)) MB < 150 MB" test "$rss" -lt "$rss_limit_kb"
else
    echo "sanitizer build: peak RSS not judged"
fi
# Timeouts (3 kinds, 192 checks) fit one wave of 200, the rest are quick: allow a wave each.
waves=$(((n + CONCURRENCY - 1) / CONCURRENCY))
limit=$((waves * (TIMEOUT * 1000 + slack_ms) + 5000))
check "run on time: $wall ms < $limit ms" test "$wall" -lt "$limit"
expect_eq "every URL checked once" "$(sql "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url_id))
                                          FROM checks")" "$n/$n"
expect_eq "none succeeded" "$(sql "SELECT COALESCE(SUM(success), 0) FROM checks")" 0
for k in "${kinds[@]}"; do
    IFS='|' read -r name _ class _ <<<"$k"
    expect_eq "$name: class $class" "$(sql "SELECT GROUP_CONCAT(DISTINCT COALESCE(c.error_class,
        'NULL')) FROM checks c JOIN urls u ON u.id = c.url_id WHERE u.name LIKE '$name %'")" "$class"
    expect_eq "$name: within TIMEOUT + ${slack_ms} ms" "$(sql "SELECT COUNT(*) FROM checks c
        JOIN urls u ON u.id = c.url_id WHERE u.name LIKE '$name %'
        AND (c.response_ms IS NULL OR c.response_ms > $((TIMEOUT * 1000 + slack_ms)))")" 0
    echo "  $name: $(sql "SELECT CONCAT(MIN(c.response_ms), '-', MAX(c.response_ms), ' ms, ',
        LEFT(MIN(c.error_message), 70)) FROM checks c JOIN urls u ON u.id = c.url_id
        WHERE u.name LIKE '$name %'")"
done
expect_eq "every failure has a message" "$(sql "SELECT COUNT(*) FROM checks
    WHERE error_message IS NULL OR error_message = ''")" 0
expect_eq "run recorded" "$(sql "SELECT CONCAT(status, ':', urls_checked, ':', failures)
                                 FROM runs")" "done:$n:$n"
check_exactly_once "hostile"
finish
