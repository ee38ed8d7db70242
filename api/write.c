/* api/write.c: the writing routes: POST /urls, PUT/PATCH/DELETE /urls/{id}, and the
 * bearer token check they share. */
#include "write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "acache.h"
#include "api_int.h"
#include "job.h"
#include "jsonx.h"
#include "log.h"
#include "qentry.h"
#include "rconn.h"
#include "rq.h"
#include "urlpatch.h"

/* Compares in time that depends only on the lengths, never on where they differ. */
static bool equal_ct(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char diff = alen != blen;
    size_t i;

    for (i = 0; i < alen; i++)
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (blen ? blen : 1)];
    return blen > 0 && diff == 0;
}

int write_auth(struct rq *rq)
{
    const char *token = rq->api->cfg->api_token;
    const char *h;
    size_t n;

    if (!token[0])
        return 0;
    h = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
        rq_error(rq, 401, "authorization: a bearer token is required");
        return -1;
    }
    h += 7;
    while (*h == ' ')
        h++;
    n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    if (!equal_ct(h, n, token, strlen(token))) {
        rq_error(rq, 401, "authorization: the bearer token is not valid");
        return -1;
    }
    return 0;
}

/* ct is want, optionally with parameters (charset=utf-8). */
static bool is_type(const char *ct, const char *want)
{
    size_t n = strlen(want);

    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, want, n) != 0)
        return false;
    ct += n;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
}

static bool is_json(const char *ct)
{
    return is_type(ct, "application/json");
}

static void post_pushed(void *arg, const redisReply *reply)
{
    struct rq *rq = arg;
    cJSON *root = rq->post;
    char *body, msg[160];
    long long qlen = 0;
    enum qguard_verdict v = qguard_pushed(rq->api->qguard, reply, &qlen, msg, sizeof(msg));

    if (v != QGUARD_QUEUED) {
        if (v == QGUARD_FULL || v == QGUARD_OOM)
            evhttp_add_header(evhttp_request_get_output_headers(rq->req), "Retry-After",
                              QGUARD_RETRY_AFTER_STR);
        rq_error(rq, 503, msg);
        return;
    }
    if (!cJSON_AddNumberToObject(root, "queue_length", (double)qlen) ||
        !(body = cJSON_PrintUnformatted(root))) {
        rq_error(rq, 500, "internal error: out of memory");
        return;
    }
    rq_reply(rq, 202, "application/json", body, strlen(body), NULL);
    cJSON_free(body);
}

static cJSON *post_answer(const struct qentry *e)
{
    cJSON *root = cJSON_CreateObject();

    if (!root || !cJSON_AddStringToObject(root, "name", e->name) ||
        !cJSON_AddStringToObject(root, "url", e->url) ||
        (e->has_regex && !cJSON_AddStringToObject(root, "regex", e->regex)) ||
        (e->has_interval && !cJSON_AddNumberToObject(root, "interval", e->interval)) ||
        !cJSON_AddStringToObject(root, "status", "queued")) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

void write_post(struct rq *rq)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(rq->req);
    size_t len = evbuffer_get_length(in);
    struct qentry *e = NULL;
    const struct qentry_bounds bounds = {rq->api->cfg->min_interval, rq->api->cfg->max_interval};
    char err[URLMON_ERRLEN];
    char *json = NULL;
    const char *body;

    if (write_auth(rq) != 0)
        goto out;
    if (!is_json(evhttp_find_header(evhttp_request_get_input_headers(rq->req), "Content-Type"))) {
        rq_error(rq, 415, "content-type: must be application/json");
        goto out;
    }
    if (!(e = malloc(sizeof(*e)))) {
        rq_error(rq, 500, "internal error: out of memory");
        goto out;
    }
    body = len ? (const char *)evbuffer_pullup(in, -1) : "";
    if (!body || qentry_parse_json(body, len, &bounds, e, err, sizeof(err)) != 0) {
        rq_error(rq, 400, body ? err : "body: cannot be read");
        goto out;
    }
    if (!acache_up(rq->api->cache)) {
        rq_error(rq, 503, "redis: unavailable; the URL was not queued, retry later");
        goto out;
    }
    if (!(json = qentry_to_json(e)) || !(rq->post = post_answer(e))) {
        rq_error(rq, 500, "internal error: out of memory");
        goto out;
    }
    if (qguard_push(rq->api->qguard, json, post_pushed, rq) != 0)
        rq_error(rq, 503, "redis: unavailable; the URL was not queued, retry later");
out:
    free(json);
    free(e);
}

void write_delete(struct rq *rq)
{
    if (write_auth(rq) == 0)
        job_answer(rq, QUERY_DEACTIVATE);
}

/* ---- PUT and PATCH /urls/{id} ------------------------------------------------------ */

/* The answer of a committed change, held while the cached top lists (which show names)
 * are deleted, so a client that reads after the answer never sees the old name there. */
struct updated {
    struct rq *rq;
    int status;
    char *body;
    size_t len;
};

static void top_lists_dropped(void *arg, const redisReply *reply)
{
    struct updated *u = arg;

    if (!reply || reply->type == REDIS_REPLY_ERROR)
        log_warn("PUT/PATCH: the cached top lists were not deleted (%s); they expire within "
                 "CACHE_TTL, and every reconnect deletes them",
                 reply ? reply->str : "redis unavailable");
    rq_reply(u->rq, u->status, RQ_CT_JSON, u->body, u->len, NULL);
    free(u->body);
    free(u);
}

static void update_done(struct job *j)
{
    struct rq *rq = j->waiters;
    struct updated *u;

    if (j->out.status != 200 || !j->out.body || !(u = calloc(1, sizeof(*u)))) {
        job_reply_all(j, NULL);
        return;
    }
    j->waiters = NULL;
    *u = (struct updated){rq, j->out.status, j->out.body, j->out.len};
    j->out.body = NULL; /* now u's */
    if (acache_send(rq->api->cache, top_lists_dropped, u, "EVAL", rconn_delete_matching_script, "0",
                    RKEY_CACHE_PREFIX "/urls/top/*", NULL) != 0)
        top_lists_dropped(u, NULL); /* Redis is down: the reconnect deletes them all */
}

static void write_update(struct rq *rq, enum urlpatch_mode mode)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(rq->req);
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "Content-Type");
    size_t len = evbuffer_get_length(in);
    struct urlpatch *patch = NULL;
    struct job *j = NULL;
    char err[URLMON_ERRLEN];
    const char *body;

    if (write_auth(rq) != 0)
        goto out;
    if (!is_json(ct) && !(mode == URLPATCH_PATCH && is_type(ct, "application/merge-patch+json"))) {
        rq_error(rq, 415,
                 mode == URLPATCH_PUT
                     ? "content-type: must be application/json"
                     : "content-type: must be application/merge-patch+json or application/json");
        goto out;
    }
    body = len ? (const char *)evbuffer_pullup(in, -1) : "";
    if (!body || urlpatch_parse(body, len, mode, rq->api->cfg, &patch, err, sizeof(err)) != 0) {
        rq_error(rq, 400, body ? err : "body: cannot be read");
        goto out;
    }
    if (!(j = job_new(rq->api, QUERY_UPDATE, &rq->route))) {
        rq_error(rq, 500, "internal error: out of memory");
        goto out;
    }
    j->patch = patch;
    patch = NULL;
    j->finish = update_done;
    job_add_waiter(j, rq);
    job_submit(j);
out:
    urlpatch_free(&patch);
}

void write_put(struct rq *rq)
{
    write_update(rq, URLPATCH_PUT);
}

void write_patch(struct rq *rq)
{
    write_update(rq, URLPATCH_PATCH);
}
