#!/usr/bin/env bash
# Slots of different --interval values (issue 12 item 6). A slot is floor(time /
# interval): slot 29,938,761 at 60 s is larger than slot 2,993,876 at 600 s, so after one
# `--interval 60` run every later default run said "slot already done" for years. The
# slot is recorded with its interval; exactly the sequence of the issue:
#   urlmon-compute --interval 60, then urlmon-compute (600 s): the second runs (it
#   checks only the URLs due in its slot: none, they were checked in it a moment ago);
#   a second default run in the same slot: "slot already done";
#   --interval 60 again: runs (its last record is of another interval).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
reset_all
start_target --threads 1
add_urls s ok 3

runs() { sql "SELECT COUNT(*) FROM runs WHERE status = 'done'"; }
# The sequence takes a few seconds; it must stay inside one 60 s and one 600 s slot
# (else "slot already done" would rightly not be said): start early in a minute.
while [ $(($(date +%s) % 60)) -ge 30 ] || [ $(($(date +%s) % 600)) -ge 570 ]; do sleep 1; done

compute --interval 60
expect_eq "--interval 60: exit" "$rc" 0
expect_eq "--interval 60: one run done" "$(runs)" 1
compute
expect_eq "default run after it: exit" "$rc" 0
check "default run after it is not skipped" bash -c "! grep -q 'nothing to do' '$work/out'"
expect_eq "default run after it: ran" "$(runs)" 2
expect_eq "default run after it: nothing due (checked in this slot)" \
    "$(sql "SELECT COUNT(*) FROM checks")" 3
compute
check "second default run in the slot: slot already done" grep -q "slot already done" "$work/out"
expect_eq "second default run: no new run" "$(runs)" 2
compute --interval 60
expect_eq "--interval 60 again: exit" "$rc" 0
expect_eq "--interval 60 again: ran" "$(runs)" 3
compute --interval 60
check "--interval 60 twice in its slot: slot already done" grep -q "slot already done" "$work/out"
expect_eq "the lease records the interval" "$(sql "SELECT last_interval FROM run_locks")" 60
finish
