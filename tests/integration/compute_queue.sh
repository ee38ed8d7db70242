#!/usr/bin/env bash
# Integration: draining the Redis queue. Valid entries become URLs, invalid ones go to
# the dead list with a reason; entries a crashed run left in processing are finished;
# a SIGKILL in the middle of draining a large queue loses and duplicates nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
reset_all
export TIMEOUT=2 CONNECT_TIMEOUT=1

q() { rcli LPUSH urlmon:queue "$1" >/dev/null; }
q '{"name":"one","url":"http://127.0.0.1:1/one"}'
q '{"name":"two","url":"HTTP://127.0.0.1:1/two","regex":"a+b"}'
q '{"name":"one renamed","url":"http://127.0.0.1:1/one"}'
q 'not json at all'
q '{"name":"x","url":"ftp://127.0.0.1/"}'
q '{"name":"x","url":"http://127.0.0.1:1/x","extra":1}'
q '{"name":"x","url":"http://127.0.0.1:1/y","regex":"("}'
rcli LPUSH urlmon:queue "$(printf '{"name":"\xff\xfe","url":"http://127.0.0.1:1/z"}')" >/dev/null
# What a run killed between LMOVE and the upsert leaves behind:
rcli LPUSH urlmon:queue:processing '{"name":"three","url":"http://127.0.0.1:1/three"}' >/dev/null
rcli LPUSH urlmon:queue:processing '{"name":"two","url":"http://127.0.0.1:1/two","regex":"a+b"}' \
    >/dev/null

compute
expect_eq "exit status" "$rc" 0
[ "$rc" -eq 0 ] || cat "$work/out"
expect_eq "queue empty" "$(rcli LLEN urlmon:queue)" 0
expect_eq "processing empty" "$(rcli LLEN urlmon:queue:processing)" 0
expect_eq "URLs stored" "$(sql "SELECT GROUP_CONCAT(name ORDER BY url SEPARATOR ',') FROM urls")" \
    "one renamed,three,two"
expect_eq "canonical URL stored" "$(sql "SELECT COUNT(*) FROM urls WHERE url =
                                        'http://127.0.0.1:1/two' AND regex = 'a+b'")" 1
expect_eq "dead entries" "$(rcli LLEN urlmon:queue:dead)" 5
dead=$(rcli LRANGE urlmon:queue:dead 0 -1)
check "dead: bad JSON reason" grep -q '"reason":"body: is not valid JSON"' <<<"$dead"
check "dead: bad scheme reason" grep -q '"reason":"url: must start with http' <<<"$dead"
check "dead: unknown field reason" grep -q 'unknown field' <<<"$dead"
check "dead: regex reason" grep -q '"reason":"regex:' <<<"$dead"
check "dead: bad UTF-8 reason" grep -q 'not valid UTF-8' <<<"$dead"
check "dead: entry kept" grep -q '"entry":"not json at all"' <<<"$dead"
check "dead: time" grep -Eq '"at":"20[0-9-]{8}T[0-9:.]{12}Z"' <<<"$dead"
check "dead: every record is JSON" python3 -c '
import json, sys
for line in sys.stdin.read().splitlines():
    d = json.loads(line)
    assert set(d) == {"entry", "reason", "at"}, d
' <<<"$dead"
check "reasons logged" grep -q "invalid queue entry moved to urlmon:queue:dead: url:" "$work/out"
check "recovery logged" grep -q "recovering 2 queue entries" "$work/out"
expect_eq "drained URLs checked in the same run" "$(sql "SELECT COUNT(*) FROM checks")" 3

# A large queue, the job killed with SIGKILL while draining it.
n=30000
sql "DELETE FROM run_locks"
rcli DEL urlmon:queue:dead >/dev/null
python3 - "$n" >"$work/push.txt" <<'PY'
import sys
n = int(sys.argv[1])
for start in range(0, n, 1000):
    vals = " ".join("'{\"name\":\"bulk %d\",\"url\":\"http://127.0.0.1:1/bulk/%d\"}'" % (i, i)
                    for i in range(start, min(n, start + 1000)))
    print("LPUSH urlmon:queue " + vals)
PY
rcli <"$work/push.txt" >/dev/null
expect_eq "large queue pushed" "$(rcli LLEN urlmon:queue)" "$n"
"$URLMON_COMPUTE_BIN" >"$work/killed.out" 2>&1 &
pid=$!
bg_pids+=("$pid")
left=$n
for _ in $(seq 1 2000); do
    left=$(rcli LLEN urlmon:queue)
    [ "$left" -lt $((n * 2 / 3)) ] && break
    sleep 0.005
done
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
stored=$(sql "SELECT COUNT(*) FROM urls WHERE name LIKE 'bulk %'")
inproc=$(rcli LLEN urlmon:queue:processing)
left=$(rcli LLEN urlmon:queue)
echo "killed with $left queued, $inproc in processing, $stored stored"
check "killed mid-drain" test "$left" -gt 0 -a "$left" -lt "$n"
check "killed: nothing lost yet" test $((stored + inproc + left)) -ge "$n"
# The killed run's lease would block the shard for RUNLOCK_LEASE_SECONDS: let it expire.
sql "UPDATE run_locks SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND"
compute
expect_eq "after the kill: exit status" "$rc" 0
expect_eq "after the kill: every URL stored once" \
    "$(sql "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url)) FROM urls WHERE name LIKE 'bulk %'")" \
    "$n/$n"
expect_eq "after the kill: names right" "$(sql "SELECT COUNT(*) FROM urls
    WHERE name LIKE 'bulk %' AND url <> CONCAT('http://127.0.0.1:1/bulk/', SUBSTRING(name, 6))")" 0
expect_eq "after the kill: queue empty" "$(rcli LLEN urlmon:queue)" 0
expect_eq "after the kill: processing empty" "$(rcli LLEN urlmon:queue:processing)" 0
expect_eq "after the kill: nothing dead" "$(rcli LLEN urlmon:queue:dead)" 0
finish
