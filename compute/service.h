/* compute/service.h: `urlmon-compute --service`, the continuous scheduler.
 *
 * One process per shard checks every URL of the shard at its own interval, fixed rate,
 * spread by a stable per-URL phase (agenda.h), with the same engine, writer and
 * exactly-once batches as a one-shot run:
 *
 *  1. connect to MySQL, replay the spool, take the shard's lease (runlock.h); while
 *     another live instance holds it, wait (a line every SERVICE_WAIT_LOG_SECONDS)
 *     and try again every SERVICE_ACQUIRE_SECONDS;
 *  2. read the URL list into the agenda (urlset.h), open the first run, start the
 *     engine (checker_run in its own thread) with the agenda as its source: a URL is
 *     handed out when its due time has come, never while its last check is in flight;
 *  3. the service thread meanwhile: renews the lease, drains the Redis queue every
 *     SERVICE_DRAIN_SECONDS (re-reading the list at once when it stored something),
 *     looks at the URL list's signature every SERVICE_RELOAD_SECONDS and re-reads it
 *     when it changed (new, changed, deactivated URLs; at least every minute), and at
 *     each minute boundary closes the run and opens the next (a `runs` row per minute:
 *     its writer's batches, counts, p50/p95/p99; then the API cache is invalidated);
 *     shard 0 applies retention once an hour, in a thread of its own (the lease is
 *     renewed meanwhile);
 *  4. SIGINT/SIGTERM: no new check starts, the checks in flight finish, their results
 *     are written (or spooled), the run is recorded `interrupted`, the lease released,
 *     exit 0. A lost lease (taken over, or not renewed for 75 s while MySQL is away)
 *     stops checking the same way and goes back to step 1.
 *
 * While MySQL is away the current run simply goes on (no new run row can be made): its
 * batches are spooled and replayed when MySQL returns, as in a one-shot run. */
#ifndef URLMON_SERVICE_H
#define URLMON_SERVICE_H

#include <stdatomic.h>

#include "config.h"

#define SERVICE_RUN_SECONDS 60    /* a run is a minute (aligned to the clock) */
#define SERVICE_RELOAD_SECONDS 5  /* look for changes of the URL list */
#define SERVICE_DRAIN_SECONDS 1   /* drain the Redis queue */
#define SERVICE_ACQUIRE_SECONDS 2 /* retry the lease while another instance holds it */
#define SERVICE_WAIT_LOG_SECONDS 30
#define SERVICE_RETENTION_SECONDS 3600
/* the engine wakes for due checks on a grid of this step on the clock (the lateness it
 * adds is at most the step; the CPU per check falls as the step grows) */
#ifndef SERVICE_WAKE_MS
#define SERVICE_WAKE_MS 100
#endif

struct service_params {
    const struct config *cfg;
    unsigned shard_index, shard_count;
    atomic_int *stop; /* set by SIGINT/SIGTERM */
};

/* Runs until *stop. Returns the exit status: 0 stopped with every result written, 1
 * MySQL unreachable at the start, the engine failed, results were lost, or the last
 * run could not be recorded (stopped while MySQL is away: the spool holds its results
 * and the next start replays them). */
int service_run(const struct service_params *p);

#endif
