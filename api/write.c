/* api/write.c: the writing routes: POST /urls and DELETE /urls/{id}, and the bearer
 * token check they share. */
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

/* application/json, optionally with parameters (charset=utf-8). */
static bool is_json(const char *ct)
{
    static const char want[] = "application/json";

    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
        return false;
    ct += sizeof(want) - 1;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
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
