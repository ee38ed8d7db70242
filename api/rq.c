/* api/rq.c: writing an answer. */
#include "rq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "api_int.h"
#include "conn.h"
#include "cors.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"

#define LOG_TARGET_MAX 512

const char *rq_method_name(enum evhttp_cmd_type cmd)
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

struct rq *rq_new(struct api *a, struct evhttp_request *req)
{
    struct rq *rq = calloc(1, sizeof(*rq));

    if (!rq)
        return NULL;
    rq->api = a;
    rq->req = req;
    rq->head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
    clock_gettime(CLOCK_MONOTONIC, &rq->t0);
    a->in_flight++;
    conn_busy(a->conns, req);
    return rq;
}

/* Query parameters the API knows carry no secret; the value of any other one (a token
 * sent as ?token=, ?access_token=, ...) never reaches a log line. */
static bool value_loggable(const char *name, size_t len)
{
    static const char *const known[] = {"cache", "limit", "cursor", "before", "active"};
    size_t i;

    for (i = 0; i < ARRAY_LEN(known); i++)
        if (strlen(known[i]) == len && memcmp(known[i], name, len) == 0)
            return true;
    return false;
}

/* The request target for the log: the path, and the query with unknown values redacted. */
static void log_target(struct evhttp_request *req, char *out, size_t outlen)
{
    const char *uri = evhttp_request_get_uri(req), *q;
    bool first = true;
    size_t o = 0;

    if (!uri)
        uri = "";
    q = strchr(uri, '?');
    o = (size_t)snprintf(out, outlen, "%.*s", (int)(q ? q - uri : (long)strlen(uri)), uri);
    if (!q || o >= outlen)
        return;
    for (q++; *q && o + 1 < outlen;) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        char sep = first ? '?' : '&';
        int n;

        if (eq && !value_loggable(q, klen))
            n = snprintf(out + o, outlen - o, "%c%.*s=REDACTED", sep, (int)klen, q);
        else
            n = snprintf(out + o, outlen - o, "%c%.*s", sep, (int)len, q);
        o += n > 0 ? (size_t)n : 0;
        first = false;
        q += len + (amp ? 1 : 0);
    }
}

static void add_cors(struct rq *rq, struct evkeyvalq *h)
{
    const struct cors *c = &rq->api->cors;
    const char *origin, *allow;
    unsigned method;

    if (!cors_enabled(c) || evhttp_request_get_command(rq->req) == EVHTTP_REQ_OPTIONS)
        return;
    origin = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "Origin");
    if (!origin)
        return;
    if (!(method = route_method_bit(rq_method_name(evhttp_request_get_command(rq->req)))))
        method = ROUTE_M_GET;
    if ((allow = cors_allow(c, origin, method))) {
        evhttp_add_header(h, "Access-Control-Allow-Origin", allow);
        evhttp_add_header(h, "Access-Control-Expose-Headers", "X-Cache");
    }
    if (!c->any)
        evhttp_add_header(h, "Vary", "Origin");
}

void rq_reply(struct rq *rq, int code, const char *ctype, const char *body, size_t len,
              const char *xcache)
{
    struct api *a = rq->api;
    struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);

    if (ctype)
        evhttp_add_header(h, "Content-Type", ctype);
    if (!evhttp_find_header(h, "Cache-Control")) /* api/ui.c sets its own */
        evhttp_add_header(h, "Cache-Control", "no-store");
    if (xcache)
        evhttp_add_header(h, "X-Cache", xcache);
    if (code == 405)
        evhttp_add_header(h, "Allow", route_allow_header(rq->route.methods));
    if (code == 401)
        evhttp_add_header(h, "WWW-Authenticate", "Bearer");
    add_cors(rq, h);
    if (rq->head) {
        /* evhttp writes neither a HEAD's Content-Length nor holds its body back. */
        char n[24];
        snprintf(n, sizeof(n), "%zu", len);
        evhttp_add_header(h, "Content-Length", n);
    } else if (len) {
        evbuffer_add(evhttp_request_get_output_buffer(rq->req), body, len);
    }
    if (log_enabled(LOG_LEVEL_DEBUG)) {
        char target[LOG_TARGET_MAX];
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(rq->req);

        log_target(rq->req, target, sizeof(target));
        log_context_path(uri ? evhttp_uri_get_path(uri) : NULL);
        log_debug("%s %s -> %d", rq_method_name(evhttp_request_get_command(rq->req)), target, code);
        log_context_path(NULL);
    }
    conn_reply(a->conns, rq->req, code);
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
        rq_reply(rq, code, RQ_CT_JSON, body, strlen(body), NULL);
        cJSON_free(body);
    } else {
        rq_reply(rq, code, RQ_CT_JSON, "{\"error\":\"out of memory\"}", 25, NULL);
    }
}
