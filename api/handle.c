/* api/handle.c: request entry, replies, the cache/single-flight path and the GETs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "api_int.h"
#include "jsonx.h"
#include "log.h"
#include "openapi.h"
#include "rconn.h"

#define CT_JSON "application/json"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define PLACEHOLDER_TTL "60"

/* The guarded cache fill: write the answer only while our placeholder is still there.
 * The compute job deletes urlmon:cache:* after it commits a run; if that happened
 * while we were querying, our answer may predate the run and must not be cached. */
static const char fill_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then"
    " return redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end return false";

/* The cache read while copies may be kept: the value and how long Redis keeps it, in one
 * step (a Lua false becomes a nil element). */
static const char get_ttl_script[] =
    "return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}";

static const char *method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    }
    return "this method";
}

void rq_reply(struct rq *rq, int code, const char *ctype, const char *body, size_t len,
              const char *xcache)
{
    struct api *a = rq->api;
    struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);

    evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "Cache-Control", "no-store");
    if (xcache)
        evhttp_add_header(h, "X-Cache", xcache);
    if (code == 405)
        evhttp_add_header(h, "Allow", route_allow_header(rq->route.methods));
    if (code == 401)
        evhttp_add_header(h, "WWW-Authenticate", "Bearer");
    if (len)
        evbuffer_add(evhttp_request_get_output_buffer(rq->req), body, len);
    if (log_enabled(LOG_LEVEL_DEBUG)) {
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(rq->req);
        log_context_path(uri ? evhttp_uri_get_path(uri) : NULL);
        log_msg(LOG_LEVEL_DEBUG, "%s %s -> %d", method_name(evhttp_request_get_command(rq->req)),
                evhttp_request_get_uri(rq->req), code);
        log_context_path(NULL);
    }
    conn_idle(a, rq->req);
    evhttp_send_reply(rq->req, code, NULL, NULL);
    metrics_request(a->metrics, rq->route.id, code, mono_since_s(&rq->t0));
    if (rq->post)
        cJSON_Delete(rq->post);
    a->in_flight--;
    free(rq);
}

void rq_error(struct rq *rq, int code, const char *msg)
{
    char *body = jsonx_error("%s", msg);

    if (body) {
        rq_reply(rq, code, CT_JSON, body, strlen(body), NULL);
        cJSON_free(body);
    } else {
        rq_reply(rq, code, CT_JSON, "{\"error\":\"out of memory\"}", 25, NULL);
    }
}

/* ---- MySQL jobs ---------------------------------------------------------------- */

static void job_run(struct wpool_task *t)
{
    struct job *j = (struct job *)t;

    query_run(&j->api->env, j->kind, &j->route, j->now_ms, &j->out);
}

static void job_free(struct job *j)
{
    if (j->in_flight_table)
        flight_del(j->api->flight, j->route.cache_key);
    free(j->out.body);
    free(j);
}

static void fill_done(void *arg, const redisReply *reply)
{
    (void)arg;
    (void)reply;
}

static void job_fill_cache(struct job *j)
{
    struct api *a = j->api;
    char ttl[16];
    const char *argv[7] = {"EVAL",   fill_script, "1", j->route.cache_key,
                           j->token, j->out.body, ttl};
    size_t lens[7];

    snprintf(ttl, sizeof(ttl), "%u", a->cfg->cache_ttl);
    lens[0] = 4;
    lens[1] = sizeof(fill_script) - 1;
    lens[2] = 1;
    lens[3] = strlen(j->route.cache_key);
    lens[4] = strlen(j->token);
    lens[5] = j->out.len;
    lens[6] = strlen(ttl);
    if (acache_cmd(a->cache, fill_done, NULL, 7, argv, lens) != 0)
        log_debug("cache fill of %s skipped: Redis is down", j->route.cache_key);
}

static void job_done(struct wpool_task *t)
{
    struct job *j = (struct job *)t;
    struct api *a = j->api;
    bool cacheable = route_cacheable(&j->route);

    metrics_db(a->metrics, j->route.id, j->out.db_seconds);
    if (j->in_flight_table) {
        flight_del(a->flight, j->route.cache_key);
        j->in_flight_table = false;
    }
    if (j->finish) {
        j->finish(j);
    } else {
        while (j->waiters) {
            struct rq *rq = j->waiters;
            j->waiters = rq->next;
            if (j->out.body)
                rq_reply(rq, j->out.status, CT_JSON, j->out.body, j->out.len,
                         cacheable ? "MISS" : NULL);
            else
                rq_error(rq, 500, "internal error: out of memory");
        }
    }
    if (j->fill && j->out.status == 200 && j->out.body)
        job_fill_cache(j);
    job_free(j);
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
    j->fill = false;
    job_done(&j->task);
}

/* Starts a job that answers one request (no cache key). */
static void run_query(struct rq *rq, enum query_kind kind)
{
    struct job *j = job_new(rq->api, kind, &rq->route);

    if (!j) {
        rq_error(rq, 500, "internal error: out of memory");
        return;
    }
    job_add_waiter(j, rq);
    job_submit(j);
}

/* ---- cacheable routes ---------------------------------------------------------- */

static enum query_kind cacheable_kind(const struct route_req *r)
{
    return r->id == ROUTE_TOP ? QUERY_TOP : QUERY_SUMMARY;
}

static void placeholder_set(void *arg, const redisReply *reply)
{
    struct job *j = arg;

    j->fill = reply && reply->type == REDIS_REPLY_STATUS;
    job_submit(j);
}

static void cache_miss(struct rq *rq)
{
    struct api *a = rq->api;
    struct job *j = flight_get(a->flight, rq->route.cache_key);
    const char *argv[5];
    size_t lens[5];

    metrics_cache(a->metrics, rq->route.id, false);
    if (j) {
        metrics_flight_join(a->metrics);
        job_add_waiter(j, rq);
        return;
    }
    if (!(j = job_new(a, cacheable_kind(&rq->route), &rq->route)) ||
        flight_put(a->flight, rq->route.cache_key, j) != 0) {
        free(j);
        rq_error(rq, 500, "internal error: out of memory");
        return;
    }
    j->in_flight_table = true;
    job_add_waiter(j, rq);
    snprintf(j->token, sizeof(j->token), "%s%llu", a->fill_prefix,
             (unsigned long long)++a->fill_seq);
    argv[0] = "SET";
    argv[1] = rq->route.cache_key;
    argv[2] = j->token;
    argv[3] = "EX";
    argv[4] = PLACEHOLDER_TTL;
    lens[0] = 3;
    lens[1] = strlen(argv[1]);
    lens[2] = strlen(argv[2]);
    lens[3] = 2;
    lens[4] = sizeof(PLACEHOLDER_TTL) - 1;
    /* The placeholder must be in place before the query reads MySQL. */
    if (acache_cmd(a->cache, placeholder_set, j, 5, argv, lens) != 0)
        job_submit(j);
}

/* Keeps a copy of an answer Redis returned, if no invalidation can have been missed
 * since the read was sent (same epoch, tracking still on). It expires no later than the
 * Redis key: PTTL counts from when Redis ran the read, after we sent it. */
static void local_fill(struct rq *rq, const redisReply *val, long long pttl_ms)
{
    struct api *a = rq->api;
    int64_t ttl = pttl_ms, cap = (int64_t)a->cfg->cache_ttl * 1000;

    if (ttl <= 0 || !acache_tracking(a->cache) || acache_epoch(a->cache) != rq->lc_epoch)
        return;
    if (ttl > cap)
        ttl = cap;
    if (lcache_put(a->local, rq->route.cache_key, val->str, (size_t)val->len, rq->lc_sent_ms + ttl,
                   api_mono_ms()) < 0)
        log_debug("in-process copy of %s skipped: out of memory", rq->route.cache_key);
}

static void cache_got(void *arg, const redisReply *reply)
{
    struct rq *rq = arg;
    const redisReply *val = reply, *ttl = NULL;

    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
        val = reply->element[0];
        ttl = reply->element[1];
    }
    /* Answers are JSON ('[' or '{'); a fill placeholder or anything else is a miss. */
    if (val && val->type == REDIS_REPLY_STRING && val->len > 0 &&
        (val->str[0] == '[' || val->str[0] == '{')) {
        if (ttl && ttl->type == REDIS_REPLY_INTEGER)
            local_fill(rq, val, ttl->integer);
        metrics_cache(rq->api->metrics, rq->route.id, true);
        rq_reply(rq, 200, CT_JSON, val->str, (size_t)val->len, "HIT");
        return;
    }
    cache_miss(rq);
}

void handle_invalidated(void *arg, const char *key, size_t keylen)
{
    struct api *a = arg;

    if (key)
        lcache_drop(a->local, key, keylen);
    else
        lcache_clear(a->local);
}

/* cache=true: the in-process copy while Redis' invalidations reach us, else Redis. */
static void serve_cacheable(struct rq *rq)
{
    struct api *a = rq->api;
    const char *key = rq->route.cache_key;
    const char *argv[4] = {"GET", key, NULL, NULL};
    size_t lens[4] = {3, strlen(key), 0, 0};
    int argc = 2;

    if (!rq->route.cache) {
        cache_miss(rq);
        return;
    }
    if (acache_tracking(a->cache)) {
        size_t len = 0;
        const char *body = lcache_get(a->local, key, api_mono_ms(), &len);
        if (body) {
            metrics_cache(a->metrics, rq->route.id, true);
            metrics_local_hit(a->metrics);
            rq_reply(rq, 200, CT_JSON, body, len, "HIT");
            return;
        }
        rq->lc_epoch = acache_epoch(a->cache);
        rq->lc_sent_ms = api_mono_ms();
        argv[0] = "EVAL";
        argv[1] = get_ttl_script;
        argv[2] = "1";
        argv[3] = key;
        lens[0] = 4;
        lens[1] = sizeof(get_ttl_script) - 1;
        lens[2] = 1;
        lens[3] = strlen(key);
        argc = 4;
    }
    if (acache_cmd(a->cache, cache_got, rq, argc, argv, lens) != 0)
        cache_miss(rq);
}

/* ---- /healthz, /metrics, /openapi.json ------------------------------------------- */

static void health_answer(struct rq *rq)
{
    char body[64];
    int n;

    if (--rq->health_pending > 0)
        return;
    n = snprintf(body, sizeof(body), "{\"mysql\":\"%s\",\"redis\":\"%s\"}",
                 rq->mysql_ok ? "ok" : "down", rq->redis_ok ? "ok" : "down");
    rq_reply(rq, rq->mysql_ok && rq->redis_ok ? 200 : 503, CT_JSON, body, (size_t)n, NULL);
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

static void serve_health(struct rq *rq)
{
    const char *argv[1] = {"PING"};
    size_t lens[1] = {4};
    struct job *j = job_new(rq->api, QUERY_PING, &rq->route);

    if (!j) {
        rq_error(rq, 500, "internal error: out of memory");
        return;
    }
    rq->health_pending = 2;
    if (acache_cmd(rq->api->cache, health_redis, rq, 1, argv, lens) != 0) {
        rq->redis_ok = false;
        rq->health_pending--;
    }
    j->finish = health_mysql;
    job_add_waiter(j, rq);
    job_submit(j);
}

static void metrics_answer(struct rq *rq, long queue_length)
{
    struct api *a = rq->api;
    struct metrics_gauges g;
    size_t len = 0;
    char *text;

    g.queue_length = queue_length;
    g.connections = a->nconns;
    g.max_connections = (long)a->cfg->api_max_connections;
    wpool_stats(a->workers, &g.jobs_waiting, &g.jobs_running);
    g.in_flight = a->in_flight;
    g.redis_up = acache_up(a->cache) ? 1 : 0;
    g.local_cache_up = acache_tracking(a->cache) ? 1 : 0;
    g.local_cache_entries = (long)lcache_count(a->local);
    if (!(text = metrics_render(a->metrics, &g, &len))) {
        rq_error(rq, 500, "internal error: out of memory");
        return;
    }
    rq_reply(rq, 200, CT_METRICS, text, len, NULL);
    free(text);
}

static void metrics_llen(void *arg, const redisReply *reply)
{
    metrics_answer(arg, reply && reply->type == REDIS_REPLY_INTEGER ? (long)reply->integer : -1);
}

static void serve_metrics(struct rq *rq)
{
    const char *argv[2] = {"LLEN", RKEY_QUEUE};
    size_t lens[2] = {4, sizeof(RKEY_QUEUE) - 1};

    if (acache_cmd(rq->api->cache, metrics_llen, rq, 2, argv, lens) != 0)
        metrics_answer(rq, -1);
}

/* ---- entry --------------------------------------------------------------------- */

static unsigned method_bit(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
    case EVHTTP_REQ_HEAD:
        return ROUTE_M_GET;
    case EVHTTP_REQ_POST:
        return ROUTE_M_POST;
    case EVHTTP_REQ_DELETE:
        return ROUTE_M_DELETE;
    default:
        return 0;
    }
}

/* Headers that must not be repeated: a second Content-Length or Authorization would
 * make the request ambiguous. Returns the repeated name or NULL. */
static const char *repeated_header(struct evhttp_request *req)
{
    static const char *const names[] = {"Content-Length", "Content-Type", "Authorization",
                                        "Transfer-Encoding", "Host"};
    unsigned seen[ARRAY_LEN(names)] = {0};
    struct evkeyval *kv;
    size_t i;

    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
    {
        char c = kv->key[0] | 0x20;
        if (c != 'c' && c != 'a' && c != 't' && c != 'h')
            continue;
        for (i = 0; i < ARRAY_LEN(names); i++)
            if (strcasecmp(kv->key, names[i]) == 0 && ++seen[i] > 1)
                return names[i];
    }
    return NULL;
}

static void dispatch(struct rq *rq, unsigned method)
{
    switch (rq->route.id) {
    case ROUTE_TOP:
    case ROUTE_SUMMARY:
        serve_cacheable(rq);
        return;
    case ROUTE_URLS:
        if (method == ROUTE_M_POST)
            handle_post(rq);
        else
            run_query(rq, QUERY_LIST);
        return;
    case ROUTE_URL:
        if (method == ROUTE_M_DELETE)
            handle_delete(rq);
        else
            run_query(rq, QUERY_DETAIL);
        return;
    case ROUTE_URL_CHECKS:
        run_query(rq, QUERY_CHECKS);
        return;
    case ROUTE_HEALTHZ:
    case ROUTE_STATUS:
        serve_health(rq);
        return;
    case ROUTE_METRICS:
        serve_metrics(rq);
        return;
    case ROUTE_OPENAPI:
        rq_reply(rq, 200, CT_JSON, (const char *)openapi_json, openapi_json_len, NULL);
        return;
    default:
        rq_error(rq, 404, "no such route");
        return;
    }
}

static void handle_request_in(struct evhttp_request *req, void *arg)
{
    struct api *a = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL, *dup;
    unsigned method = method_bit(evhttp_request_get_command(req));
    char err[URLMON_ERRLEN], msg[URLMON_ERRLEN + 64];
    struct rq *rq = calloc(1, sizeof(*rq));
    int rc;

    if (!rq) {
        evhttp_send_error(req, 503, "Out of memory");
        return;
    }
    rq->api = a;
    rq->req = req;
    clock_gettime(CLOCK_MONOTONIC, &rq->t0);
    a->in_flight++;
    conn_busy(a, req);
    if (!path) {
        rq_error(rq, 400, "request target: cannot be parsed");
        return;
    }
    rc = route_parse(path, evhttp_uri_get_query(uri), &rq->route, err, sizeof(err));
    if (rc != 404 && rq->route.methods && !(rq->route.methods & method)) {
        snprintf(msg, sizeof(msg), "method: %s is not allowed on this route (allowed: %s)",
                 method_name(evhttp_request_get_command(req)),
                 route_allow_header(rq->route.methods));
        rq_error(rq, 405, msg);
        return;
    }
    if (rc != 0) {
        rq_error(rq, rc, err);
        return;
    }
    if ((dup = repeated_header(req))) {
        snprintf(msg, sizeof(msg), "header %s: is given more than once", dup);
        rq_error(rq, 400, msg);
        return;
    }
    if (a->stopping) {
        rq_error(rq, 503, "shutting down");
        return;
    }
    dispatch(rq, method);
}

/* Every line logged while a request is handled carries its path (LOG_FORMAT=json: "path"). */
void handle_request(struct evhttp_request *req, void *arg)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);

    log_context_path(uri ? evhttp_uri_get_path(uri) : NULL);
    handle_request_in(req, arg);
    log_context_path(NULL);
}
