/* compute/run.h: one run of one shard, start to finish.
 *
 *  1. connect to MySQL (with retries), replay any spooled batches;
 *  2. take the shard's lease (runlock.h) for the slot, or skip: "run already in
 *     progress" / "slot already done";
 *  3. record the run (runrec.h), drain the Redis queue (drain.h; Redis down = warning);
 *  4. check the URLs of the shard due in the slot (source.h: never checked, or last
 *     check + its interval before the slot's end): source.h -> checker_run -> writer.h, with
 *     the watch thread (watch.h) for progress, lease renewal and stop requests;
 *     alert events are delivered meanwhile (delivery.h), and what is due at the end
 *     before the run returns (at most DELIVERY_FINISH_SECONDS; the rest waits in the
 *     outbox for the next run);
 *  5. record the end (status, counts, p50/p95/p99), release the lease, invalidate the
 *     API cache (Redis down = warning), apply retention (shard 0 only), and log one
 *     summary line. */
#ifndef URLMON_RUN_H
#define URLMON_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <hiredis/hiredis.h>
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
    /* true: the caller runs alert delivery itself (a long-lived delivery_start, as a
     * service does); false: the run starts its own and delivers before it returns */
    bool no_delivery;
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

/* Redis for the queue drain and the cache: connects and logs an error when its
 * maxmemory-policy may evict queued URLs. NULL + err when Redis is away. */
redisContext *run_redis_connect(const struct config *cfg, char *err, size_t errlen);

/* db_connect with RUN_CONNECT_ATTEMPTS attempts and backoff; NULL + err. */
MYSQL *run_connect(const struct config *cfg, atomic_int *stop, char *err, size_t errlen);

#endif
