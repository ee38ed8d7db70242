/* compute/watch.h: the run's watchdog thread.
 *
 * While the engine checks, the watch thread (its own MySQL connection):
 *   - turns a signal (*signal_stop) into the run's stop flag (*run_stop), which the
 *     engine and the URL source read;
 *   - logs a progress line every WATCH_PROGRESS_SECONDS (done/total, checks/s);
 *   - renews the shard's lease every RUNLOCK_RENEW_SECONDS; when the lease is lost,
 *     or could not be renewed for so long that it may have expired, it sets
 *     *run_stop so no URL is checked outside the lease. */
#ifndef URLMON_WATCH_H
#define URLMON_WATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "config.h"
#include "source.h"
#include "writer.h"

#define WATCH_PROGRESS_SECONDS 5

struct watch;

struct watch_params {
    const struct config *cfg;
    uint64_t run_id; /* for the log context */
    const char *shard_key;
    const char *owner;
    atomic_int *signal_stop; /* read */
    atomic_int *run_stop;    /* written */
    struct writer *writer;   /* for progress */
    uint64_t total;          /* URLs the run expects */
};

int watch_start(const struct watch_params *p, struct watch **out, char *err,
                size_t errlen) MUSTCHECK;
/* Stops and joins the thread; returns true when the lease was lost. */
bool watch_stop(struct watch **w);

#endif
