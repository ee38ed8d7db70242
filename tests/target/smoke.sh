#!/usr/bin/env bash
# Smoke test of urlmon-target: start it on free loopback ports, check each behaviour with
# curl, stop it with SIGTERM and check the request log.
#   bash tests/target/smoke.sh path/to/urlmon-target
set -euo pipefail

bin=${1:?usage: smoke.sh path/to/urlmon-target}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/target-smoke.XXXXXX")
pid=""
passed=0
failed=0

cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

ok() {
    passed=$((passed + 1))
}

fail() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}

# expect NAME WANT GOT
expect() {
    if [ "$2" = "$3" ]; then
        ok
    else
        fail "$1: want '$2', got '$3'"
    fi
}

# expect_ge NAME MIN GOT (decimal numbers)
expect_ge() {
    if awk -v min="$2" -v got="$3" 'BEGIN { exit !(got + 0 >= min + 0) }'; then
        ok
    else
        fail "$1: want >= $2, got '$3'"
    fi
}

# run_curl ARGS...: prints "<exit status> <curl -w output>"; never fails.
run_curl() {
    local out rc=0
    out=$(curl -sS --max-time 10 "$@" 2>/dev/null) || rc=$?
    echo "$rc $out"
}

# Port 0: the kernel picks free ports, the ready file says which.
"$bin" --listen 127.0.0.1:0 --blackhole 127.0.0.1:0 --garbage 127.0.0.1:0 \
    --log "$tmp/requests.log" --ready-file "$tmp/ready" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
for _ in $(seq 1 200); do
    [ -f "$tmp/ready" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
if [ ! -f "$tmp/ready" ]; then
    echo "target smoke: server did not get ready" >&2
    cat "$tmp/stderr" >&2
    exit 1
fi
http=$(awk '$1 == "listen" { print $2; exit }' "$tmp/ready")
hole=$(awk '$1 == "blackhole" { print $2; exit }' "$tmp/ready")
junk=$(awk '$1 == "garbage" { print $2; exit }' "$tmp/ready")
u="http://$http"
expect "stdout says ready" ready "$(head -n 1 "$tmp/stdout")"

# default answer: 200, "ok <path>\n"
expect "default status" "0 200 12" \
    "$(run_curl -o "$tmp/body" -w '%{http_code} %{size_download}' "$u/smoke/1")"
expect "default body" "ok /smoke/1" "$(cat "$tmp/body")"
expect "status=503" "0 503" "$(run_curl -o /dev/null -w '%{http_code}' "$u/s?status=503")"
expect "body= percent-decoded" "0 hello world!" \
    "$(run_curl "$u/b?body=hello%20world%21")"
expect "ctype=" "0 application/json" \
    "$(run_curl -o /dev/null -w '%{content_type}' "$u/c?ctype=application%2Fjson")"
expect "size=100000" "0 100000" "$(run_curl -o /dev/null -w '%{size_download}' "$u/z?size=100000")"

# delay=300: no answer before 0.3 s
res=$(run_curl -o /dev/null -w '%{http_code} %{time_total}' "$u/d?delay=300")
expect "delay=300 status" "0 200" "${res% *}"
expect_ge "delay=300 time" 0.3 "${res##* }"

# delay=150, 400 times, 20 at once, while two more connections keep the loop waking:
# never early (a timer read from a coarse clock fired up to 4 ms early under such load)
curl -s -Z --parallel-max 2 -o /dev/null "$u/noise?i=[1-100000]" 2>/dev/null &
noise=$!
curl -s -Z --parallel-max 20 --max-time 10 -o /dev/null -w '%{http_code} %{time_total}\n' \
    "$u/d?delay=150&i=[1-400]" >"$tmp/delays" 2>/dev/null || true
kill "$noise" 2>/dev/null || true
wait "$noise" 2>/dev/null || true
expect "delay=150 under load: answers" "400 400" \
    "$(wc -l <"$tmp/delays") $(grep -c '^200 ' "$tmp/delays" || true)"
expect_ge "delay=150 under load: shortest" 0.150 "$(awk '{ print $2 }' "$tmp/delays" | sort -n | head -n 1)"

# drip=20 with size=10: 10 bytes at 20 B/s take about 0.5 s
res=$(run_curl -o /dev/null -w '%{size_download} %{time_total}' "$u/d?drip=20&size=10")
expect "drip size" "0 10" "${res% *}"
expect_ge "drip time" 0.45 "${res##* }"

# redirects
expect "redirect=3 -L" "0 200 3" \
    "$(run_curl -L -o /dev/null -w '%{http_code} %{num_redirects}' "$u/r?redirect=3&id=9")"
expect "location= 301" "0 301 /elsewhere?x=1" \
    "$(run_curl -o /dev/null -w '%{http_code} %{redirect_url}' \
        "$u/l?status=301&location=%2Felsewhere%3Fx%3D1" | sed "s#http://$http##")"
res=$(run_curl -L --max-redirs 3 -o /dev/null "$u/loop?loop=1")
expect "loop=1 -L: too many redirects" 47 "${res%% *}"

# misbehaviour
res=$(run_curl -o /dev/null "$u/x?close=1")
expect "close=1: empty reply" 52 "${res%% *}"
res=$(run_curl --max-time 1 -o /dev/null "$u/x?hang=1")
expect "hang=1: timeout" 28 "${res%% *}"
res=$(run_curl -o /dev/null -w '%{http_code}' "$u/x?garbage=1")
expect "garbage=1: no HTTP status" 000 "${res##* }"
res=$(run_curl -o /dev/null "$u/x?headers_kb=1024")
expect "headers_kb=1024: curl gives up" failed "$([ "${res%% *}" != 0 ] && echo failed)"
res=$(run_curl --max-time 1 -o /dev/null -w '%{size_download}' "$u/x?endless=1")
expect "endless=1: timeout" 28 "${res%% *}"
expect_ge "endless=1: body keeps coming" 100000 "${res##* }"
res=$(run_curl --max-time 1 -o /dev/null "http://$hole/")
expect "--blackhole: timeout" 28 "${res%% *}"
res=$(run_curl -o /dev/null -w '%{http_code}' "http://$junk/")
expect "--garbage: no HTTP status" 000 "${res##* }"

# request parsing: 431, POST body discarded, keep-alive reuse
big=$(head -c 70000 /dev/zero | tr '\0' a)
expect "64 KiB head cap" "0 431" \
    "$(run_curl -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$u/big")"
head -c 5000 /dev/zero >"$tmp/post"
expect "POST body, keep-alive" "0 201 1 200 0" \
    "$(run_curl -o /dev/null -o /dev/null -w '%{http_code} %{num_connects} ' \
        --data-binary @"$tmp/post" "$u/p?status=201" "$u/p2" | sed 's/ $//')"
expect "bad parameter: 400" "0 400" "$(run_curl -o /dev/null -w '%{http_code}' "$u/x?status=9")"

# SIGTERM: clean exit, every request in the log exactly once
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
expect "exit status after SIGTERM" 0 "$rc"
expect "log line for /smoke/1" 1 "$(grep -c '^GET /smoke/1$' "$tmp/requests.log" || true)"
expect "log has the POST" 1 "$(grep -c '^POST /p?status=201$' "$tmp/requests.log" || true)"

echo "target smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
