/* compute/source.h: the URLs of one run, paged from MySQL for the check engine.
 *
 * A producer thread with its own connection reads
 *   SELECT id, url, COALESCE(regex,'') FROM urls u WHERE active = 1 AND id % N = K
 *   AND id > ? AND <due in the slot> ORDER BY id LIMIT SOURCE_PAGE
 * (keyset paging on the (active, id) index) and hands each page over to the engine's
 * loop threads, which take URLs one at a time with source_next (thread-safe). At most
 * one page is waiting while another is being handed out and a third is read, so memory
 * is bounded by the page size, not by the number of URLs. A lost connection is
 * retried (reconnect with backoff) for SOURCE_RETRY_SECONDS before the run fails. */
#ifndef URLMON_SOURCE_H
#define URLMON_SOURCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "common.h"
#include "config.h"

#define SOURCE_PAGE 5000
#define SOURCE_RETRY_SECONDS 60

struct source;

/* The slot a one-shot run checks: [start_s, start_s + len_s), UTC seconds. A URL is due
 * in it when it was never checked, or its last check L (checks.checked_at) is before
 * the slot and L + check_interval falls before the slot's end: its next check falls
 * due in this slot (so a 3600 s URL is checked in every 6th 600 s slot, and a URL whose
 * interval is shorter than the slot once per slot). With the key (url_id, checked_at,
 * ...) the test is one index probe per URL and day partition it may touch: the second,
 * constant bound (LEAST(start, end - max_interval_s), implied by the first for every
 * interval up to MAX_INTERVAL, the largest the API and the CSV loader accept) lets MySQL
 * prune the day partitions of checks to those of the last max_interval_s; with only the
 * per-URL bound it probed every partition (42 at a month's retention: at 1M URLs the
 * count of due URLs took over 30 s, DB_READ_TIMEOUT, and the run could not start;
 * bench/soak.sh, BENCHMARKS.md). An interval above MAX_INTERVAL counts as MAX_INTERVAL.
 * Parameters: start_s, end_s, start_s, end_s, max_interval_s (end_s = start_s + len_s). */
struct source_slot {
    int64_t start_s;
    unsigned len_s;
    unsigned max_interval_s; /* cfg->max_interval */
};
#define SOURCE_DUE_SQL                                                                             \
    " AND NOT EXISTS (SELECT 1 FROM checks c WHERE c.url_id = u.id"                                \
    " AND c.checked_at >= FROM_UNIXTIME(LEAST(?, ? - u.check_interval))"                           \
    " AND c.checked_at >= FROM_UNIXTIME(LEAST(?, ? - ?)))"

/* Starts the producer. slot: only the URLs due in it; NULL = every active URL.
 * *stop (may be NULL): once set, source_next returns 0. */
int source_start(const struct config *cfg, unsigned shard_k, unsigned shard_n,
                 const struct source_slot *slot, atomic_int *stop, struct source **out, char *err,
                 size_t errlen) MUSTCHECK;
/* A checker_source_fn: fills *t with the next URL and returns 1, or returns 0 when the
 * list is exhausted (or stopped, or the producer failed). May wait for a page. */
int source_next(void *arg, struct check_target *t);
/* URLs handed out so far. */
uint64_t source_delivered(struct source *s);
/* True when every URL of the list was handed out (not stopped, not failed). */
bool source_exhausted(struct source *s);
/* 0 when the list was read to its end or the run was stopped; -1 with the reason in
 * err when the producer gave up (MySQL). */
int source_status(struct source *s, char *err, size_t errlen) MUSTCHECK;
/* Stops the producer if it still runs, joins it and frees everything. */
void source_free(struct source **s);

#endif
