/* api/job.h: MySQL work for one or more requests, run on a worker thread.
 *
 * job_new describes the query (query.h), job_add_waiter attaches the requests it answers,
 * job_submit queues it. A worker runs query_run; back on the loop thread the job's finish
 * callback runs (default: job_reply_all, which answers every waiter with the result) and
 * the job is freed. When the queue is full, submit answers 503 through the same path. The
 * worker touches only route, kind, now_ms (read) and out (written). */
#ifndef URLMON_JOB_H
#define URLMON_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "query.h"
#include "route.h"
#include "wpool.h"

struct api;
struct rq;

struct job {
    struct wpool_task task; /* first member: a task pointer is a job pointer */
    struct api *api;
    enum query_kind kind;
    struct route_req route;
    int64_t now_ms;
    struct query_out out;
    struct urlpatch *patch; /* QUERY_UPDATE: owned, freed with the job (the worker reads it) */
    struct rq *waiters, **waiters_tail;
    /* Loop thread, after the worker (or a refused submit); NULL = job_reply_all(j, NULL). */
    void (*finish)(struct job *j);
    void *owner; /* the finish callback's state */
};

struct job *job_new(struct api *a, enum query_kind kind, const struct route_req *route);
void job_add_waiter(struct job *j, struct rq *rq);
/* Queues j for a worker; when the queue is full its finish runs now with a 503. */
void job_submit(struct job *j);
/* Answers every waiter with j->out. xcache: "MISS" or NULL. */
void job_reply_all(struct job *j, const char *xcache);
/* Starts a job answering rq alone (no cache key). */
void job_answer(struct rq *rq, enum query_kind kind);

#endif
