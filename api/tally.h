/* api/tally.h: per-URL success and fail counts over a rolling window, for the top lists.
 *
 * A week or month window is counted in C from streamed rows instead of a GROUP BY over
 * hundreds of thousands of rollup rows (which MySQL does in a temporary table, far over
 * the latency budget). The window [start, now] splits as in window.h; the parts that
 * lie before today (whole days from `day`, and the hours of the day before `day`) are
 * closed: only a late write (a run straddling midnight, a spool replay) can change them.
 * They are summed once and kept in process, per span, together with a fingerprint of
 * those hours in rollup_hourly_total (number of hours, success and fail totals). The
 * compute job updates rollup_hourly_total in the same transaction as every per-URL
 * rollup and counts only grow, so an unchanged fingerprint means unchanged per-URL
 * rollups; any change (or a new day) rebuilds the entry. The hour holding the window's
 * start lies inside those fingerprinted hours too, so its raw checks are kept with the
 * entry (in checked_at order, about 16 bytes per check) and read again only when the
 * start moves into the next hour; a request counts the kept checks from the start on.
 * Each query reads from MySQL only the fingerprint and the open part, today's
 * rollup_daily row per URL.
 *
 * Worker threads share one struct tally; each span's entry has its own lock. */
#ifndef URLMON_TALLY_H
#define URLMON_TALLY_H

#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

#include "common.h"

struct u64map;

/* Counts per URL, in parallel arrays indexed through a url_id map. */
struct tally_counts {
    struct u64map *index;
    uint64_t *ids, *succ, *fail;
    size_t n, cap;
};

int tally_counts_init(struct tally_counts *c) MUSTCHECK;
void tally_counts_free(struct tally_counts *c);
int tally_counts_add(struct tally_counts *c, uint64_t url_id, uint64_t succ,
                     uint64_t fail) MUSTCHECK;

struct tally;

int tally_open(struct tally **out) MUSTCHECK;
void tally_free(struct tally **t);

/* Adds the counts of every check with checked_at >= now - span_ms into out. span_ms is
 * one hour (the partial hour at the start read from its smaller side, then
 * rollup_hourly from the next whole hour on; nothing kept, that hour may still be
 * written) or at least two days (cached closed parts + open parts).
 * Returns 0, or SQLQ_ERR / SQLQ_ERR_CONN with the message in err. */
int tally_window(struct tally *t, MYSQL *conn, int64_t now_ms, int64_t span_ms,
                 struct tally_counts *out, char *err, size_t errlen) MUSTCHECK;

/* How many times a closed part was (re)built, for tests and metrics. */
unsigned long tally_builds(struct tally *t);

#endif
