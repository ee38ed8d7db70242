/*
 * worker.h: one worker thread of urlmon-target: an event_base, its own listening sockets
 * (SO_REUSEPORT, so the kernel spreads connections over the workers) and the connections
 * they accepted.
 */
#ifndef WORKER_H
#define WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "opts.h"
#include "tgt.h"

struct event_base;
struct reqlog;
struct tconn;
struct worker;

/* Create worker id and bind its sockets for every entry of listens. log may be NULL.
 * On -1, err says why. */
int worker_new(int id, const struct tlisten *listens, size_t nlistens, struct reqlog *log,
               struct worker **out, char *err, size_t errlen) TGT_MUSTCHECK;
/* Run the worker's event loop in a new thread. */
int worker_start(struct worker *w, char *err, size_t errlen) TGT_MUSTCHECK;
/* Ask the loop to stop; safe from any thread, also before the loop has started. */
void worker_stop(struct worker *w);
/* Wait for the thread started by worker_start to end. */
void worker_join(struct worker *w);
/* Close everything, flush the log buffer. NULL-safe, clears *w. Not while running. */
void worker_free(struct worker **w);
void worker_stats(const struct worker *w, uint64_t *conns, uint64_t *requests);

/* For conn.c, on the worker's own thread only. */
struct event_base *worker_base(struct worker *w);
struct tconn **worker_conns(struct worker *w); /* head of the live-connection list */
void worker_count_conn(struct worker *w);
void worker_log_request(struct worker *w, const char *method, size_t mlen, const char *target,
                        size_t tlen);

#endif
