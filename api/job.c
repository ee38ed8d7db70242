/* api/job.c: running a query on a worker and calling back on the loop thread. */
#include "job.h"

#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "jsonx.h"
#include "metrics.h"
#include "rq.h"
#include "urlpatch.h"

static void job_run(struct wpool_task *t)
{
    struct job *j = (struct job *)t;

    query_run(&j->api->env, j->kind, &j->route, j->patch, j->now_ms, &j->out);
}

void job_reply_all(struct job *j, const char *xcache)
{
    while (j->waiters) {
        struct rq *rq = j->waiters;
        j->waiters = rq->next;
        if (j->out.body)
            rq_reply(rq, j->out.status, RQ_CT_JSON, j->out.body, j->out.len, xcache);
        else
            rq_error(rq, 500, "internal error: out of memory");
    }
}

static void job_done(struct wpool_task *t)
{
    struct job *j = (struct job *)t;

    metrics_db(j->api->metrics, j->route.id, j->out.db_seconds);
    if (j->finish)
        j->finish(j);
    else
        job_reply_all(j, NULL);
    free(j->out.body);
    urlpatch_free(&j->patch);
    free(j);
}

struct job *job_new(struct api *a, enum query_kind kind, const struct route_req *route)
{
    struct job *j = calloc(1, sizeof(*j));

    if (!j)
        return NULL;
    j->task.run = job_run;
    j->task.done = job_done;
    j->api = a;
    j->kind = kind;
    j->route = *route;
    j->now_ms = api_now_ms();
    j->waiters_tail = &j->waiters;
    return j;
}

void job_add_waiter(struct job *j, struct rq *rq)
{
    rq->next = NULL;
    *j->waiters_tail = rq;
    j->waiters_tail = &rq->next;
}

void job_submit(struct job *j)
{
    if (wpool_submit(j->api->workers, &j->task) == 0)
        return;
    metrics_rejected(j->api->metrics, "busy");
    free(j->out.body);
    j->out.body = jsonx_error("busy: too many MySQL queries waiting, retry later");
    j->out.len = j->out.body ? strlen(j->out.body) : 0;
    j->out.status = 503;
    job_done(&j->task);
}

void job_answer(struct rq *rq, enum query_kind kind)
{
    struct job *j = job_new(rq->api, kind, &rq->route);

    if (!j) {
        rq_error(rq, 500, "internal error: out of memory");
        return;
    }
    job_add_waiter(j, rq);
    job_submit(j);
}
