#!/usr/bin/env bash
# Fault: MariaDB restarted (a clean shutdown, then started again) while a run checks the
# first page of its URL list (issue 12 item 7). The URL source reads three pages ahead
# at the start, then sits idle until the first page is used up; its next read meets the
# dropped connection (the server's "shutdown in progress" / "connection killed"
# answer) and must reconnect like every other connection of the job: the run is
# complete, says "done", exits 0, and every URL has exactly one result. The first page
# (5000 URLs) is slow (about 10 s), the rest fast, so the restart is over before that
# read.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/fault_lib.sh"
fault_restore+=("stack start-db")
reset_all
start_target --threads 2
export TIMEOUT=5 CONCURRENCY=200 BATCH_SIZE=500
n=15001 # pages of 5000: the fourth is read once the first has been handed out
add_urls r r 5000 '?delay=400'
add_urls f f $((n - 5000))

t0=$(now_ms)
"$URLMON_COMPUTE_BIN" >"$work/a.out" 2>&1 &
pid=$!
bg_pids+=("$pid")
checking() { grep -q "checking $n URLs" "$work/a.out"; }
check "the run started checking" wait_until 60 checking
stack stop-db
echo "MariaDB stopped after $(($(now_ms) - t0)) ms"
sleep 1
stack start-db
at_back=$(sql "SELECT COUNT(*) FROM checks")
echo "MariaDB back after $(($(now_ms) - t0)) ms with $at_back results written"
check "back before the first page was used up" test "$at_back" -lt 4500
set +e
wait "$pid"
rc=$?
set -e
echo "run ended after $(($(now_ms) - t0)) ms, exit $rc"
grep -E "URL source|run [0-9]+ " "$work/a.out" | head -5 || true
expect_eq "exit status" "$rc" 0
check "the source reconnected" grep -q "URL source: .*retrying" "$work/a.out"
run=$(sql "SELECT MIN(id) FROM runs")
expect_eq "run recorded done with every URL" \
    "$(sql "SELECT CONCAT(status, ':', urls_checked) FROM runs WHERE id = $run")" "done:$n"
expect_eq "every result of the run exactly once" \
    "$(sql "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url_id)) FROM checks WHERE run_id = $run")" \
    "$n/$n"
check_exactly_once "after the restart"
finish
