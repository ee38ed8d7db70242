/* api/dispatch.c: request entry and the route -> handler table. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>

#include "answer.h"
#include "api_int.h"
#include "cors.h"
#include "health.h"
#include "job.h"
#include "openapi.h"
#include "rq.h"
#include "log.h"
#include "ui.h"
#include "write.h"

typedef void (*handler_fn)(struct rq *rq);

/* What answers each method of a route; a NULL method is 405 (route.c says which exist). */
struct handler {
    handler_fn get; /* also HEAD: rq_reply drops the body */
    handler_fn post;
    handler_fn put;
    handler_fn patch;
    handler_fn del;
};

static void get_list(struct rq *rq)
{
    job_answer(rq, QUERY_LIST);
}

static void get_detail(struct rq *rq)
{
    job_answer(rq, QUERY_DETAIL);
}

static void get_checks(struct rq *rq)
{
    job_answer(rq, QUERY_CHECKS);
}

static void get_dash_urls(struct rq *rq)
{
    job_answer(rq, QUERY_DASH_URLS);
}

static void get_dash_url(struct rq *rq)
{
    job_answer(rq, QUERY_DASH_URL);
}

static void get_dash_pct(struct rq *rq)
{
    job_answer(rq, QUERY_DASH_PCT);
}

static void get_incidents(struct rq *rq)
{
    job_answer(rq, QUERY_INCIDENTS);
}

static void get_url_incidents(struct rq *rq)
{
    job_answer(rq, QUERY_URL_INCIDENTS);
}

static void get_openapi(struct rq *rq)
{
    rq_reply(rq, 200, RQ_CT_JSON, (const char *)openapi_json, openapi_json_len, NULL);
}

static const struct handler handlers[ROUTE_COUNT] = {
    [ROUTE_TOP] = {.get = answer_serve},
    [ROUTE_SUMMARY] = {.get = answer_serve},
    [ROUTE_URLS] = {.get = get_list, .post = write_post},
    [ROUTE_URL] = {.get = get_detail, .put = write_put, .patch = write_patch, .del = write_delete},
    [ROUTE_URL_CHECKS] = {.get = get_checks},
    [ROUTE_HEALTHZ] = {.get = health_live},
    [ROUTE_STATUS] = {.get = health_serve},
    [ROUTE_METRICS] = {.get = health_metrics},
    [ROUTE_OPENAPI] = {.get = get_openapi},
    [ROUTE_DASH_URLS] = {.get = get_dash_urls},
    [ROUTE_DASH_URL] = {.get = get_dash_url},
    [ROUTE_DASH_PCT] = {.get = get_dash_pct},
    [ROUTE_INCIDENTS] = {.get = get_incidents},
    [ROUTE_URL_INCIDENTS] = {.get = get_url_incidents},
};

static unsigned method_bit(enum evhttp_cmd_type cmd)
{
    return route_method_bit(rq_method_name(cmd)); /* 0 for OPTIONS, TRACE, CONNECT */
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

/* OPTIONS with Origin and Access-Control-Request-Method: a browser asking whether a
 * cross-origin call may be made. Answered 204 with what CORS_ORIGINS allows, else 403. */
static void preflight(struct rq *rq, const char *origin, const char *want)
{
    const struct cors *c = &rq->api->cors;
    struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);
    unsigned m = route_method_bit(want);
    const char *allow = m && (rq->route.methods & m) ? cors_allow(c, origin, m) : NULL;
    char msg[160];

    if (!allow) {
        if (!c->any)
            evhttp_add_header(h, "Vary", "Origin");
        snprintf(msg, sizeof(msg), "origin: %.60s may not use %.20s on this route (CORS_ORIGINS)",
                 origin, want);
        rq_error(rq, 403, msg);
        return;
    }
    evhttp_add_header(h, "Access-Control-Allow-Origin", allow);
    evhttp_add_header(h, "Access-Control-Allow-Methods",
                      c->any ? "GET, HEAD" : route_allow_header(rq->route.methods));
    if (!c->any)
        evhttp_add_header(h, "Access-Control-Allow-Headers", "Authorization, Content-Type");
    evhttp_add_header(h, "Access-Control-Max-Age", "600");
    if (!c->any)
        evhttp_add_header(h, "Vary", "Origin");
    rq_reply(rq, 204, NULL, NULL, 0, NULL);
}

static void dispatch(struct rq *rq, unsigned method)
{
    const struct handler *h = &handlers[rq->route.id];
    handler_fn fn = method == ROUTE_M_POST     ? h->post
                    : method == ROUTE_M_PUT    ? h->put
                    : method == ROUTE_M_PATCH  ? h->patch
                    : method == ROUTE_M_DELETE ? h->del
                                               : h->get;

    if (fn)
        fn(rq);
    else
        rq_error(rq, 404, "no such route");
}

/* The internal listener (METRICS_PORT) serves the operational routes only. */
static bool internal_route(enum route_id id)
{
    return id == ROUTE_METRICS || id == ROUTE_STATUS || id == ROUTE_HEALTHZ;
}

static void dispatch_request_in(struct evhttp_request *req, struct api *a, bool internal)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL, *dup, *origin, *want;
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    unsigned method = method_bit(cmd);
    const struct ui_asset *asset;
    char err[URLMON_ERRLEN], msg[URLMON_ERRLEN + 64];
    struct rq *rq = rq_new(a, req);
    int rc;

    if (!rq) {
        evhttp_send_error(req, 503, "Out of memory");
        return;
    }
    if ((dup = repeated_header(req))) {
        snprintf(msg, sizeof(msg), "header %s: is given more than once", dup);
        rq_error(rq, 400, msg);
        return;
    }
    /* RFC 9112 section 3.2: an HTTP/1.1 request without Host is a 400. */
    if ((req->major > 1 || (req->major == 1 && req->minor >= 1)) &&
        !evhttp_find_header(in, "Host")) {
        rq_error(rq, 400, "header Host: is required in HTTP/1.1");
        return;
    }
    if (!path || cmd == EVHTTP_REQ_CONNECT) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        rq_error(rq, 400, "request target: cannot be parsed");
        return;
    }
    if (!internal && (asset = ui_find(path))) { /* the dashboard's files (api/ui.c) */
        ui_serve(rq, asset, method);
        return;
    }
    rc = route_parse(path, evhttp_uri_get_query(uri), &rq->route, err, sizeof(err));
    if (cmd == EVHTTP_REQ_OPTIONS && rc != 404 && rq->route.methods && cors_enabled(&a->cors) &&
        (origin = evhttp_find_header(in, "Origin")) &&
        (want = evhttp_find_header(in, "Access-Control-Request-Method"))) {
        preflight(rq, origin, want);
        return;
    }
    if (rc != 404 && rq->route.methods && !(rq->route.methods & method)) {
        snprintf(msg, sizeof(msg), "method: %s is not allowed on this route (allowed: %s)",
                 rq_method_name(cmd), route_allow_header(rq->route.methods));
        rq_error(rq, 405, msg);
        return;
    }
    if (rc != 0) {
        rq_error(rq, rc, err);
        return;
    }
    if (internal && !internal_route(rq->route.id)) {
        rq_error(rq, 404, "no such route (METRICS_PORT serves /metrics, /status and /healthz)");
        return;
    }
    if (!internal && a->cfg->metrics_port && rq->route.id == ROUTE_METRICS) {
        rq_error(rq, 404, "no such route (/metrics is served on METRICS_PORT)");
        return;
    }
    if (a->stopping) {
        rq_error(rq, 503, "shutting down");
        return;
    }
    dispatch(rq, method);
}

/* Every line logged while a request is handled carries its path (LOG_FORMAT=json: "path"). */
void dispatch_request(struct evhttp_request *req, void *arg)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);

    log_context_path(uri ? evhttp_uri_get_path(uri) : NULL);
    dispatch_request_in(req, arg, false);
    log_context_path(NULL);
}

void dispatch_internal(struct evhttp_request *req, void *arg)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);

    log_context_path(uri ? evhttp_uri_get_path(uri) : NULL);
    dispatch_request_in(req, arg, true);
    log_context_path(NULL);
}
