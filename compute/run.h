/* compute/run.h: one run of one shard, start to finish.
 *
 *  1. connect to MySQL (with retries), replay any spooled batches;
 *  2. take the shard's lease (runlock.h) for the slot, or skip: "run already in
 *     progress" / "slot already done";
 *  3. record the run (runrec.h), drain the Redis queue (drain.h; Redis down = warning);
 *  4. check every active URL of the shard: source.h -> checker_run -> writer.h, with
 *     the watch thread (watch.h) for progress, lease renewal and stop requests;
 *  5. record the end (status, counts, p50/p95/p99), release the lease, invalidate the
 *     API cache (Redis down = warning), apply retention (shard 0 only), and log one
 *     summary line. */
#ifndef URLMON_RUN_H
#define URLMON_RUN_H

#include <stdatomic.h>
#include <stdint.h>
#include <mysql.h>

#include "common.h"
#include "config.h"

#define RUN_CONNECT_ATTEMPTS 5 /* about 15 s of trying before a run gives up */
#define RUN_FINISH_SECONDS 30  /* retrying the final bookkeeping */

struct run_params {
    const struct config *cfg;
    unsigned shard_index, shard_count;
    int64_t slot;        /* floor(start time / interval) */
    unsigned interval_s; /* the interval slot counts in */
    atomic_int *stop;    /* set by SIGINT/SIGTERM */
};

enum run_outcome {
    RUN_DONE,        /* every URL checked and written */
    RUN_SKIPPED,     /* slot done, or a run in progress elsewhere */
    RUN_INTERRUPTED, /* stopped by a signal; what was checked is written */
    RUN_FAILED,      /* could not complete (MySQL away, engine failure, spool left, ...) */
};

enum run_outcome run_once(const struct run_params *p);
/* The runs.status spelling of a run's end: "done", "interrupted" or "failed"
 * ("skipped" for RUN_SKIPPED, which records no row). */
const char *run_outcome_name(enum run_outcome o);

/* db_connect with RUN_CONNECT_ATTEMPTS attempts and backoff; NULL + err. */
MYSQL *run_connect(const struct config *cfg, atomic_int *stop, char *err, size_t errlen);

#endif
