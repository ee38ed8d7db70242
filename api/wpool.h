/* api/wpool.h: worker threads that run blocking work (MySQL) off the event loop.
 *
 * A task is a struct the caller embeds in its own job: run() executes on a worker
 * thread, then done() executes on the event-loop thread (the loop is woken with
 * event_active, which needs evthread_use_pthreads()). The caller owns the task memory
 * until done() runs. The queue is bounded: wpool_submit fails when it is full, so a
 * flood of slow requests becomes 503s instead of unbounded memory. */
#ifndef URLMON_WPOOL_H
#define URLMON_WPOOL_H

#include <stddef.h>

#include <event2/event.h>

#include "common.h"

struct wpool;

struct wpool_task {
    void (*run)(struct wpool_task *t);  /* worker thread */
    void (*done)(struct wpool_task *t); /* loop thread */
    struct wpool_task *next;            /* owned by wpool while queued */
};

int wpool_open(struct event_base *base, unsigned threads, unsigned max_queued, struct wpool **out,
               char *err, size_t errlen) MUSTCHECK;
/* Lets queued and running tasks finish (their done() runs only if the loop runs
 * again), joins the threads and frees. */
void wpool_free(struct wpool **p);
/* Queues t; -1 when the queue is full or the pool is stopping. */
int wpool_submit(struct wpool *p, struct wpool_task *t) MUSTCHECK;
void wpool_stats(struct wpool *p, long *waiting, long *running);

#endif
