#!/usr/bin/env bash
# Integration: the one-shot mode checks in its slot only the URLs that are due (issue 14).
# Six consecutive 5 s slots (`--interval 5`), one run at the start of each:
#   interval 2 s (shorter than the slot): once per slot, 6 checks;
#   interval 5 s (= the slot): once per slot, 6;
#   interval 15 s (3 slots): every 3rd run, 2;
#   interval 3600 s: once (its first run), 1.
# Then a default 600 s run right after: only never-checked URLs are due.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/compute_lib.sh"
reset_all
start_target --threads 1
add_urls_every 2 two ok2 3
add_urls_every 5 five ok5 3
add_urls_every 15 fifteen ok15 3
add_urls_every 3600 hour ok3600 3

count() {
    sql "SELECT COUNT(*) FROM checks c JOIN urls u ON u.id = c.url_id WHERE u.name LIKE '$1%'"
}
for i in 1 2 3 4 5 6; do
    # the start of the next 5 s slot, plus a little
    now=$(date +%s%3N)
    sleep "$(printf '0.%03d' $(((5000 - now % 5000) % 1000)))"
    sleep $(((5000 - now % 5000) / 1000))
    sleep 0.2
    compute --interval 5
    expect_eq "run $i: exit 0" "$rc" 0
done
expect_eq "six runs" "$(sql "SELECT COUNT(*) FROM runs WHERE status = 'done'")" 6
expect_eq "six consecutive slots" "$(sql "SELECT MAX(slot) - MIN(slot) + 1 FROM runs")" 6
expect_eq "2 s URLs: once per slot" "$(count two)" 18
expect_eq "5 s URLs: once per slot" "$(count five)" 18
expect_eq "15 s URLs: every 3rd slot" "$(count fifteen)" 6
expect_eq "3600 s URLs: once" "$(count hour)" 3
expect_eq "15 s URLs: in the 1st and 4th run" "$(sql "SELECT GROUP_CONCAT(DISTINCT r.slot - m.s
    ORDER BY 1) FROM checks c JOIN urls u ON u.id = c.url_id JOIN runs r ON r.id = c.run_id
    JOIN (SELECT MIN(slot) AS s FROM runs) m WHERE u.name LIKE 'fifteen%'")" "0,3"
expect_eq "runs count the due URLs" "$(sql "SELECT GROUP_CONCAT(urls_total ORDER BY id)
    FROM runs")" "12,6,6,9,6,6"

# A URL added now is due in the next (default, 600 s) run; the others were checked in
# this 600 s slot (or, the 15 s ones, may be due again: last check + 15 s < slot end).
add_urls_every 600 fresh okf 2
compute
expect_eq "default run: the new URLs checked" "$(count fresh)" 2
expect_eq "default run: the 3600 s URLs not again" "$(count hour)" 3
check_exactly_once "due runs"
finish
