/* api/qguard.c: see qguard.h. */
#include "qguard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rconn.h"

struct qguard {
    struct acache *cache;
    struct event *tick;
    unsigned queue_max;
    char max_arg[24];
    bool was_up, asking, oom;
    unsigned since_check; /* seconds since the policy was read */
    enum rconn_policy verdict;
    char policy[64];
};

static void policy_read(void *arg, const redisReply *r)
{
    struct qguard *g = arg;
    char policy[64] = "";
    enum rconn_policy v;

    g->asking = false;
    if (!r)
        return; /* the connection went away: read again when it is back */
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[1]->type == REDIS_REPLY_STRING)
        snprintf(policy, sizeof(policy), "%s", r->element[1]->str);
    v = rconn_policy_judge(policy);
    if (strcmp(policy, g->policy) != 0 || v != g->verdict) {
        if (v == RCONN_POLICY_EVICTS)
            log_error("Redis maxmemory-policy is %s: when memory is full Redis evicts queued URLs "
                      "(%s); set maxmemory-policy noeviction",
                      policy, RKEY_QUEUE);
        else if (v == RCONN_POLICY_UNKNOWN)
            log_warn("Redis maxmemory-policy cannot be read (CONFIG GET refused): make sure "
                     "it is noeviction or volatile-*, or queued URLs may be evicted");
        else
            log_info("Redis maxmemory-policy is %s: the queue cannot be evicted", policy);
    }
    snprintf(g->policy, sizeof(g->policy), "%s", policy);
    g->verdict = v;
    g->since_check = 0;
}

static void ask(struct qguard *g)
{
    if (g->asking)
        return;
    if (acache_send(g->cache, policy_read, g, "CONFIG", "GET", "maxmemory-policy", NULL) == 0)
        g->asking = true;
}

/* Every second: a (re)connection or QGUARD_RECHECK_S without a reading asks again. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct qguard *g = arg;
    bool up = acache_up(g->cache);

    g->since_check++;
    if (up && (!g->was_up || g->since_check >= QGUARD_RECHECK_S))
        ask(g);
    g->was_up = up;
}

int qguard_new(struct event_base *base, struct acache *cache, unsigned queue_max,
               struct qguard **out)
{
    static const struct timeval sec = {1, 0};
    struct qguard *g = calloc(1, sizeof(*g));
    int rc = -1;

    *out = NULL;
    if (!g)
        goto out;
    g->cache = cache;
    g->queue_max = queue_max;
    g->verdict = RCONN_POLICY_UNKNOWN;
    snprintf(g->max_arg, sizeof(g->max_arg), "%u", queue_max);
    if (!(g->tick = event_new(base, -1, EV_PERSIST, on_tick, g)) || event_add(g->tick, &sec) != 0)
        goto out;
    *out = g;
    g = NULL;
    rc = 0;
out:
    qguard_free(&g);
    return rc;
}

void qguard_free(struct qguard **g)
{
    if (!g || !*g)
        return;
    if ((*g)->tick)
        event_free((*g)->tick);
    free(*g);
    *g = NULL;
}

int qguard_push(struct qguard *g, const char *json, acache_cb cb, void *arg)
{
    return acache_send(g->cache, cb, arg, "EVAL", rconn_bounded_push_script, "1", RKEY_QUEUE, json,
                       g->max_arg, NULL);
}

enum qguard_verdict qguard_pushed(struct qguard *g, const redisReply *r, long long *len, char *msg,
                                  size_t msglen)
{
    if (r && r->type == REDIS_REPLY_INTEGER && r->integer >= 0) {
        *len = r->integer;
        g->oom = false;
        return QGUARD_QUEUED;
    }
    if (r && r->type == REDIS_REPLY_INTEGER) {
        snprintf(msg, msglen,
                 "queue: full (%lld entries, QUEUE_MAX %u); the URL was not queued, retry later",
                 -1 - r->integer, g->queue_max);
        return QGUARD_FULL;
    }
    if (r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "OOM")) {
        if (!g->oom)
            log_error("Redis is out of memory (maxmemory reached): POST /urls refused: %s", r->str);
        g->oom = true;
        snprintf(msg, msglen,
                 "redis: out of memory (maxmemory reached); the URL was not queued, "
                 "retry later");
        return QGUARD_OOM;
    }
    log_warn("POST /urls: queueing failed: %s",
             r && r->type == REDIS_REPLY_ERROR ? r->str : "no answer");
    snprintf(msg, msglen, "redis: unavailable; the URL may not have been queued, retry later");
    return QGUARD_FAILED;
}

bool qguard_oom(const struct qguard *g)
{
    return g && g->oom;
}

const char *qguard_policy(const struct qguard *g)
{
    return g ? g->policy : "";
}

bool qguard_evictable(const struct qguard *g)
{
    return g && g->verdict == RCONN_POLICY_EVICTS;
}
