/* compute/rollup.h: per-batch aggregation of results into the rollup tables.
 *
 * A batch of results becomes, per (hour, URL), (day, URL) and hour, one row of
 * success and failure counts (and the response time sum for the per-URL tables).
 * The writer adds these with INSERT ... ON DUPLICATE KEY UPDATE x = x + VALUES(x) in
 * the transaction that stores the raw rows, so rollups always equal the raw counts.
 * Rows come out sorted by primary key, so concurrent writers lock rows in one order. */
#ifndef URLMON_ROLLUP_H
#define URLMON_ROLLUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "sqlbuf.h"

enum rollup_kind { ROLLUP_HOURLY, ROLLUP_DAILY, ROLLUP_HOURLY_TOTAL };

struct rollup_row {
    int64_t bucket;  /* hours (hourly kinds) or days (daily) since the epoch, UTC */
    uint64_t url_id; /* 0 for ROLLUP_HOURLY_TOTAL */
    uint64_t success_count, fail_count, response_ms_sum;
};

/* What the rollups need of a check; count > 1 stands for that many equal checks
 * (response_ms is each one's time). */
struct rollup_check {
    uint64_t url_id;
    int64_t checked_at_ms; /* UTC, ms since the epoch */
    bool success;
    uint32_t response_ms; /* CHECK_MS_UNKNOWN counts as 0 */
    uint32_t count;
};

struct rollup;

/* Aggregates r[0..n). Returns 0, or -1 when out of memory. */
int rollup_build(const struct check_result *r, size_t n, struct rollup **out) MUSTCHECK;
/* The same rules for checks given as struct rollup_check (tools and test data:
 * compute/rollup_tool.c). */
int rollup_build_checks(const struct rollup_check *c, size_t n, struct rollup **out) MUSTCHECK;
void rollup_free(struct rollup **ru);
size_t rollup_count(const struct rollup *ru, enum rollup_kind k);
const struct rollup_row *rollup_rows(const struct rollup *ru, enum rollup_kind k);

/* Replaces b's contents with the upsert of rows [from, ...) of kind k, as many as fit
 * in max_bytes (at least one). Returns how many rows it holds, -1 when out of memory,
 * 0 when from is past the end. */
long rollup_sql(struct sqlbuf *b, const struct rollup *ru, enum rollup_kind k, size_t from,
                size_t max_bytes) MUSTCHECK;
/* One row of kind k as a tab-separated line in the table's column order (bucket,
 * url_id, success_count, fail_count, response_ms_sum; no url_id and sum for
 * ROLLUP_HOURLY_TOTAL), for LOAD DATA. Returns the length, or -1 when len is too small. */
int rollup_tsv(const struct rollup_row *row, enum rollup_kind k, char *buf, size_t len);

#endif
