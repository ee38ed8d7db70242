/* api/health.c: /healthz (liveness), /status (readiness) and /metrics. */
#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acache.h"
#include "answer.h"
#include "api_int.h"
#include "conn.h"
#include "job.h"
#include "metrics.h"
#include "rconn.h"
#include "rq.h"
#include "wpool.h"

#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

static void health_answer(struct rq *rq)
{
    const struct qguard *g = rq->api->qguard;
    bool oom = rq->redis_ok && qguard_oom(g);
    char body[256];
    int n;

    if (--rq->pending > 0)
        return;
    n = snprintf(body, sizeof(body),
                 "{\"mysql\":\"%s\",\"redis\":\"%s\",\"redis_policy\":\"%s\","
                 "\"queue_evictable\":%s}",
                 rq->mysql_ok ? "ok" : "down",
                 !rq->redis_ok ? "down"
                 : oom         ? "out of memory"
                               : "ok",
                 qguard_policy(g), qguard_evictable(g) ? "true" : "false");
    rq_reply(rq, rq->mysql_ok && rq->redis_ok && !oom ? 200 : 503, RQ_CT_JSON, body, (size_t)n,
             NULL);
}

static void health_mysql(struct job *j)
{
    struct rq *rq = j->waiters;

    j->waiters = NULL;
    if (!rq)
        return;
    rq->mysql_ok = j->out.status == 200;
    health_answer(rq);
}

static void health_redis(void *arg, const redisReply *reply)
{
    struct rq *rq = arg;

    rq->redis_ok = reply && reply->type == REDIS_REPLY_STATUS;
    health_answer(rq);
}

/* Liveness: the event loop runs and answers. Nothing else is asked, so a MySQL or Redis
 * failover never makes an orchestrator kill a task that still serves from the other. */
void health_live(struct rq *rq)
{
    static const char body[] = "{\"status\":\"ok\"}";

    rq_reply(rq, 200, RQ_CT_JSON, body, sizeof(body) - 1, NULL);
}

void health_serve(struct rq *rq)
{
    struct job *j = job_new(rq->api, QUERY_PING, &rq->route);

    if (!j) {
        rq_error(rq, 500, "internal error: out of memory");
        return;
    }
    rq->pending = 2;
    if (acache_send(rq->api->cache, health_redis, rq, "PING", NULL) != 0) {
        rq->redis_ok = false;
        rq->pending--;
    }
    j->finish = health_mysql;
    job_add_waiter(j, rq);
    job_submit(j);
}

/* The exposition: the service's own metrics, then the alerting lines MySQL gave (none
 * when it is away: the scrape still answers). */
static void metrics_answer(struct rq *rq, long queue_length, const char *alerting)
{
    struct api *a = rq->api;
    struct metrics_gauges g;
    size_t len = 0;
    char *text;

    g.queue_length = queue_length;
    g.connections = conn_count(a->conns);
    g.max_connections = (long)a->cfg->api_max_connections;
    wpool_stats(a->workers, &g.jobs_waiting, &g.jobs_running);
    g.in_flight = a->in_flight;
    g.redis_up = acache_up(a->cache) ? 1 : 0;
    g.redis_queue_evictable = qguard_evictable(a->qguard) ? 1 : 0;
    g.local_cache_up = acache_tracking(a->cache) ? 1 : 0;
    g.local_cache_entries = (long)answer_local_count(a->answer);
    if (!(text = metrics_render(a->metrics, &g, &len))) {
        rq_error(rq, 500, "internal error: out of memory");
        return;
    }
    if (alerting && alerting[0]) {
        size_t extra = strlen(alerting);
        char *all = realloc(text, len + extra + 1);
        if (all) {
            memcpy(all + len, alerting, extra + 1);
            text = all;
            len += extra;
        }
    }
    rq_reply(rq, 200, CT_METRICS, text, len, NULL);
    free(text);
}

/* The alerting lines travel in rq->post (the cJSON answer of QUERY_ALERT_METRICS; freed
 * with the rq). */
static const char *alerting_text(struct rq *rq)
{
    const cJSON *t = rq->post ? cJSON_GetObjectItemCaseSensitive(rq->post, "text") : NULL;
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

static void metrics_llen(void *arg, const redisReply *reply)
{
    struct rq *rq = arg;

    metrics_answer(rq, reply && reply->type == REDIS_REPLY_INTEGER ? (long)reply->integer : -1,
                   alerting_text(rq));
}

static void metrics_mysql(struct job *j)
{
    struct rq *rq = j->waiters;

    j->waiters = NULL;
    if (!rq)
        return;
    rq->post = j->out.status == 200 && j->out.body ? cJSON_Parse(j->out.body) : NULL;
    if (acache_send(rq->api->cache, metrics_llen, rq, "LLEN", RKEY_QUEUE, NULL) != 0)
        metrics_answer(rq, -1, alerting_text(rq)); /* rq_reply frees rq->post */
}

void health_metrics(struct rq *rq)
{
    struct job *j = job_new(rq->api, QUERY_ALERT_METRICS, &rq->route);

    if (!j) {
        rq_error(rq, 500, "internal error: out of memory");
        return;
    }
    j->finish = metrics_mysql;
    job_add_waiter(j, rq);
    job_submit(j);
}
