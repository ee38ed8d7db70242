#!/usr/bin/env bash
# Fault: urlmon-compute killed with SIGKILL while draining the Redis queue, twice, then
# started again. The queue holds 20,000 entries, 400 of them invalid (bad JSON, bad
# scheme, unknown field, bad regex, empty name). Afterwards every valid entry is a URL
# exactly once with its own name, the queue and the processing list are empty, and the
# dead list holds exactly the 400 invalid entries, each once. (compute_queue.sh covers a
# single kill with valid entries only.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/fault_lib.sh"
reset_all
export TIMEOUT=2 CONNECT_TIMEOUT=1 CONCURRENCY=1000
n=20000
t0=$(now_ms)

# Entry i: invalid when i % 50 == 7 (five kinds in turn), else a valid URL on a port
# nothing listens on (checks fail fast). Pushed with LPUSH in order, so drained in order.
python3 - "$n" "$work/push.txt" "$work/invalid.txt" <<'PY'
import json, sys
n, push, invalid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
bad_kinds = [
    lambda i: "not json %d" % i,
    lambda i: json.dumps({"name": "bad %d" % i, "url": "ftp://127.0.0.1/%d" % i}),
    lambda i: json.dumps({"name": "bad %d" % i, "url": "http://127.0.0.1:1/x%d" % i, "x": i}),
    lambda i: json.dumps({"name": "bad %d" % i, "url": "http://127.0.0.1:1/r%d" % i, "regex": "("}),
    lambda i: json.dumps({"name": "", "url": "http://127.0.0.1:1/e%d" % i}),
]
def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
entries, bad = [], []
for i in range(n):
    if i % 50 == 7:
        e = bad_kinds[(i // 50) % len(bad_kinds)](i)
        bad.append(e)
    else:
        e = json.dumps({"name": "drain %d" % i, "url": "http://127.0.0.1:1/d/%d" % i})
    entries.append(e)
with open(push, "w") as f:
    for s in range(0, n, 500):
        f.write("LPUSH urlmon:queue " + " ".join(quote(e) for e in entries[s:s + 500]) + "\n")
with open(invalid, "w") as f:
    f.write("\n".join(sorted(bad)) + "\n")
PY
rcli <"$work/push.txt" >/dev/null
expect_eq "queue pushed" "$(rcli LLEN urlmon:queue)" "$n"
nbad=$(wc -l <"$work/invalid.txt")
expect_eq "invalid entries pushed" "$nbad" 400

# kill_when_below LEFT: starts the job, SIGKILLs it once fewer than LEFT entries are queued.
kill_when_below() {
    local want=$1 pid left
    "$URLMON_COMPUTE_BIN" >>"$work/killed.out" 2>&1 &
    pid=$!
    bg_pids+=("$pid")
    for _ in $(seq 1 4000); do
        left=$(rcli LLEN urlmon:queue)
        [ "$left" -lt "$want" ] && break
        sleep 0.005
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    left=$(rcli LLEN urlmon:queue)
    in_processing=$(rcli LLEN urlmon:queue:processing)
    echo "killed with $left queued, $in_processing in processing," \
        "$(sql "SELECT COUNT(*) FROM urls") stored, $(rcli LLEN urlmon:queue:dead) dead"
    check "killed in the middle of the drain ($left left)" test "$left" -gt 0 -a "$left" -lt "$n"
    # The killed run's lease would hold the shard for RUNLOCK_LEASE_SECONDS.
    sql "UPDATE run_locks SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND, last_slot = NULL"
}
kill_when_below $((n * 3 / 4))
kill_when_below $((n / 3))

compute
expect_eq "third start: exit status" "$rc" 0
[ "$rc" -eq 0 ] || tail -20 "$work/out"
# A kill between two batches leaves nothing in processing; whatever it did leave must be
# recovered first (the end state below is checked either way).
if [ "$in_processing" -gt 0 ]; then
    check "third start recovered the processing list ($in_processing)" grep -q "recovering" "$work/out"
else
    check "third start found nothing to recover" bash -c "! grep -q recovering '$work/out'"
fi
expect_eq "queue empty" "$(rcli LLEN urlmon:queue)" 0
expect_eq "processing empty" "$(rcli LLEN urlmon:queue:processing)" 0
expect_eq "every valid entry stored once" \
    "$(sql "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url), '/', COUNT(DISTINCT name)) FROM urls")" \
    "$((n - nbad))/$((n - nbad))/$((n - nbad))"
expect_eq "each with its own name" "$(sql "SELECT COUNT(*) FROM urls
    WHERE url <> CONCAT('http://127.0.0.1:1/d/', SUBSTRING(name, 7))")" 0
expect_eq "none of the invalid ones stored" "$(sql "SELECT COUNT(*) FROM urls
    WHERE name NOT LIKE 'drain %'")" 0
rcli --raw LRANGE urlmon:queue:dead 0 -1 | python3 -c '
import json, sys
for line in sys.stdin.read().splitlines():
    print(json.loads(line)["entry"])
' | sort >"$work/dead.txt"
expect_eq "dead list: the invalid entries, each once" \
    "$(wc -l <"$work/dead.txt")/$(sort -u "$work/dead.txt" | wc -l)" "$nbad/$nbad"
check "dead list: exactly the invalid entries pushed" cmp -s "$work/dead.txt" "$work/invalid.txt"
expect_eq "the last run checked every URL" "$(sql "SELECT COUNT(*) FROM checks WHERE run_id =
    (SELECT MAX(id) FROM runs)")" "$((n - nbad))"
check_exactly_once "after two kills"
echo "fault_drain_kill: $(($(now_ms) - t0)) ms"
finish
