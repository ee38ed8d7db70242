/* compute/runrec.h: the runs table: one row per run and shard.
 *
 * runrec_begin inserts the row (status running, slot, shard, instance) and returns
 * its id, the run_id every result of the run carries. runrec_finish records the end:
 * finished_at, status, counts and percentiles. runrec_fail_stale marks rows of the
 * shard still 'running' as failed: called while holding the shard's lease, any such
 * row belongs to a run that died. All statements are prepared. */
#ifndef URLMON_RUNREC_H
#define URLMON_RUNREC_H

#include <stdbool.h>
#include <stdint.h>
#include <mysql.h>

#include "common.h"
#include "source.h"

struct runrec_end {
    const char *status; /* "done", "failed" or "interrupted" */
    uint64_t urls_total;
    /* urls_checked, successes and failures are not set here: every batch adds its rows
     * to them in the transaction that writes the rows (batchwrite.h), so the row always
     * agrees with the checks table */
    bool have_percentiles;
    uint32_t p50, p95, p99;
};

int runrec_begin(MYSQL *conn, unsigned shard_k, unsigned shard_n, int64_t slot,
                 const char *instance, uint64_t *run_id, char *err, size_t errlen) MUSTCHECK;
int runrec_finish(MYSQL *conn, uint64_t run_id, const struct runrec_end *e, char *err,
                  size_t errlen) MUSTCHECK;
int runrec_fail_stale(MYSQL *conn, unsigned shard_k, unsigned shard_n, uint64_t *n, char *err,
                      size_t errlen) MUSTCHECK;
/* Active URLs of the shard now; with slot, those due in it (source.h). */
int runrec_count_urls(MYSQL *conn, unsigned shard_k, unsigned shard_n,
                      const struct source_slot *slot, uint64_t *total, char *err,
                      size_t errlen) MUSTCHECK;

#endif
