/* compute/writer.h: the writer thread between the check engine and MySQL.
 *
 * writer_sink (a checker_sink_fn, called from the engine's loop threads) copies each
 * result into a bounded queue and waits when the queue is full (backpressure). The
 * writer thread takes BATCH_SIZE results at a time (or what arrived within a second)
 * and writes them as batch (run_id, batch_no) with batchwrite_commit on its own
 * connection. Transient errors are retried with backoff and reconnects for
 * WRITER_RETRY_SECONDS; when MySQL stays away the batch goes to SPOOL_DIR
 * (spool.h) and checking goes on; MySQL is probed again every WRITER_PROBE_SECONDS
 * and, once back, the spool is replayed before new batches. Every result thus ends up
 * in MySQL exactly once: directly, or from the spool (in this run or the next start).
 *
 * The writer also counts successes and failures and keeps the response-time
 * histogram for the run's percentiles. */
#ifndef URLMON_WRITER_H
#define URLMON_WRITER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "common.h"
#include "config.h"

#define WRITER_RETRY_SECONDS 5   /* retrying one batch before spooling it */
#define WRITER_PROBE_SECONDS 5   /* between reconnect attempts while MySQL is away */
#define WRITER_FINISH_SECONDS 30 /* at the end: waiting for MySQL to take the spool */

struct writer;

struct writer_totals {
    uint64_t results;   /* received from the engine */
    uint64_t successes; /* of those */
    uint64_t failures;
    uint64_t written;       /* rows committed to MySQL directly */
    uint64_t spooled;       /* rows parked in SPOOL_DIR */
    uint64_t replayed;      /* spooled rows committed later in this process */
    uint64_t lost;          /* rows neither written nor spooled (disk failure) */
    uint64_t batches;       /* batch numbers used */
    uint64_t spool_pending; /* spooled rows still on disk at the end */
    uint64_t pauses;        /* seconds checking was paused: neither MySQL nor the spool */
    bool have_percentiles;
    uint32_t p50, p95, p99;
};

/* *stop (may be NULL): when set, the end does not wait for MySQL to take the spool. */
int writer_start(const struct config *cfg, uint64_t run_id, atomic_int *stop, struct writer **out,
                 char *err, size_t errlen) MUSTCHECK;
/* checker_sink_fn; arg is the struct writer. */
void writer_sink(void *arg, const struct check_result *r);
/* Results received so far (for progress lines). */
uint64_t writer_received(struct writer *w);
/* Writes what is queued, stops the thread and fills *t. Returns 0 when every result
 * is in MySQL, 1 when some wait in the spool (MySQL away), -1 when some were lost. */
int writer_finish(struct writer *w, struct writer_totals *t) MUSTCHECK;
void writer_free(struct writer **w);

#endif
