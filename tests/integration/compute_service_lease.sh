#!/usr/bin/env bash
# Integration: two --service instances of one shard never both check (issue 14). The
# second waits while the first holds the lease; on the first's SIGTERM it takes over
# and goes on at each URL's next tick (its last check is read from MySQL): no URL is
# ever checked twice within its interval. A one-shot run meanwhile says "run already in
# progress". Shards split the list between two services.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
reset_all
start_target --threads 1
add_urls_every 5 u ok 20

URLMON_INSTANCE=first start_service "$work/a.out"
a=$svc_pid
URLMON_INSTANCE=second start_service "$work/b.out"
b=$svc_pid
check "first holds the lease" grep -q "lease taken" "$work/a.out"
check "second waits for it" grep -q "held by another instance: waiting" "$work/b.out"
sleep 8
compute
check "a one-shot run meanwhile: run already in progress" grep -q "run already in progress" \
    "$work/out"
stop_service "$a"
expect_eq "first: exit 0" "$rc" 0
stopped=$(sql "SELECT UTC_TIMESTAMP(3)")
for _ in $(seq 1 60); do
    grep -q "lease taken" "$work/b.out" && break
    sleep 0.1
done
check "second takes over" grep -q "lease taken" "$work/b.out"
sleep 8
stop_service "$b"
expect_eq "second: exit 0" "$rc" 0
expect_eq "both checked" "$(sql "SELECT GROUP_CONCAT(DISTINCT instance ORDER BY instance)
    FROM runs")" "first,second"
first_n=$(sql "SELECT COUNT(*) FROM checks c JOIN runs r ON r.id = c.run_id
               WHERE r.instance = 'first'")
check "first checked every URL about twice ($first_n)" test "$first_n" -ge 30
expect_eq "second checked nothing before the first stopped" "$(sql "SELECT COUNT(*) FROM checks c
    JOIN runs r ON r.id = c.run_id WHERE r.instance = 'second' AND c.checked_at < '$stopped'")" 0
gap=$(min_gap_ms "1")
check "no URL checked twice within its interval, across the handover ($gap ms)" \
    test "$gap" -ge 4500
expect_eq "every URL checked by the second too" "$(sql "SELECT COUNT(DISTINCT c.url_id)
    FROM checks c JOIN runs r ON r.id = c.run_id WHERE r.instance = 'second'")" 20
check_exactly_once "handover"

# Two shards: each URL in exactly one of them.
reset_all
add_urls_every 5 s ok 20
start_service "$work/s0.out" --shard 0/2
s0=$svc_pid
start_service "$work/s1.out" --shard 1/2
s1=$svc_pid
check "shard 1/2 has a lease of its own" grep -q "lease taken" "$work/s1.out"
sleep 6
stop_service "$s0"
rc0=$rc
stop_service "$s1"
expect_eq "shards: exit 0" "$rc0$rc" 00
expect_eq "shards: each checks its own ids" "$(sql "SELECT COUNT(*) FROM checks c JOIN runs r
    ON r.id = c.run_id WHERE c.url_id % 2 <> r.shard_index")" 0
expect_eq "shards: every URL checked" "$(sql "SELECT COUNT(DISTINCT url_id) FROM checks")" 20
check_exactly_once "shards"
finish
