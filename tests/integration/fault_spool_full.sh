#!/usr/bin/env bash
# Fault (issue 12 item 4): SPOOL_DIR on a 64 KiB tmpfs and MariaDB killed in the middle of
# a run, started again 5 s later. With MySQL away the writer spools; once the tiny disk
# is full neither MySQL nor the spool takes a batch, and checking must pause (the
# writer's bounded queue fills and blocks the check loops) instead of throwing results
# away. Afterwards: nothing lost, every result exactly once, the run done, and the runs
# row agreeing with the checks table (its counts are added in each batch's transaction).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/fault_lib.sh"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -n); fi
mkdir -p "$work/tiny"
if ! "${SUDO[@]}" mount -t tmpfs -o size=64k,mode=0777 tmpfs "$work/tiny"; then
    echo "cannot mount a tmpfs (needs root or password-less sudo)" >&2
    exit 1
fi
fault_restore+=("stack start-db" "${SUDO[*]} umount $work/tiny")
export SPOOL_DIR=$work/tiny/spool
reset_all
start_target --threads 2
export TIMEOUT=5 CONCURRENCY=100 BATCH_SIZE=100
n=3000
add_urls p p "$n" '?delay=300'

t0=$(now_ms)
"$URLMON_COMPUTE_BIN" >"$work/a.out" 2>&1 &
pid=$!
bg_pids+=("$pid")
written_some() { [ "$(sql "SELECT COUNT(*) FROM checks" 2>/dev/null || echo 0)" -ge 300 ]; }
check "some results written before the kill" wait_until 30 written_some
stack kill-db
echo "MariaDB killed after $(($(now_ms) - t0)) ms"
paused() { grep -q "checking paused" "$work/a.out"; }
check "checking pauses once the spool is full" wait_until 20 paused
df -k "$work/tiny" | tail -1
sleep 5
stack start-db
echo "MariaDB back after $(($(now_ms) - t0)) ms"
set +e
wait "$pid"
rc=$?
set -e
echo "run ended after $(($(now_ms) - t0)) ms, exit $rc"
grep -E "paused|resumes|lost| run [0-9]+ " "$work/a.out" | cut -c1-300 | head -8 || true
expect_eq "exit status" "$rc" 0
check "nothing lost" bash -c "! grep -q 'results lost' '$work/a.out'"
check "the summary says 0 lost" grep -q " 0 lost," "$work/a.out"
run=$(sql "SELECT MIN(id) FROM runs")
expect_eq "every result of the run exactly once" \
    "$(sql "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT url_id)) FROM checks WHERE run_id = $run")" \
    "$n/$n"
expect_eq "the runs row agrees with the checks table" \
    "$(sql "SELECT CONCAT(r.status, ':', r.urls_checked, ':', r.successes, ':', r.failures)
            FROM runs r WHERE r.id = $run")" \
    "$(sql "SELECT CONCAT('done:', COUNT(*), ':', SUM(success), ':', SUM(1 - success))
            FROM checks WHERE run_id = $run")"
expect_eq "spool empty" "$(find "$SPOOL_DIR" -name '*.spool' 2>/dev/null | wc -l)" 0
check_exactly_once "after the full spool"
finish
