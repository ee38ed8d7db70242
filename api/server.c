/* api/server.c: set-up, the listener and shutdown. What happens to a request is in
 * dispatch.c (entry), the connections are counted in conn.c. */
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/thread.h>
#include <event2/util.h>

#include "acache.h"
#include "answer.h"
#include "api_int.h"
#include "conn.h"
#include "db.h"
#include "dispatch.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "rconn.h"
#include "tally.h"
#include "warm.h"
#include "wpool.h"

#define MAX_BODY_BYTES (64 * 1024)
#define MAX_HEADER_BYTES (16 * 1024)
#define MAX_JOBS_QUEUED 10000
#define STOP_GRACE_MS 10000

static void stop_check_cb(evutil_socket_t fd, short what, void *arg)
{
    struct api *a = arg;

    if (a->in_flight == 0 || api_mono_ms() > a->stop_deadline_ms) {
        if (a->in_flight)
            log_warn("stopping with %ld requests unanswered", a->in_flight);
        event_base_loopexit(a->base, NULL);
    }
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct api *a = arg;
    struct timeval tv = {0, 50000};

    if (a->stopping)
        return;
    log_info("signal %d: finishing %ld requests, then stopping", (int)sig, a->in_flight);
    a->stopping = true;
    a->stop_deadline_ms = api_mono_ms() + STOP_GRACE_MS;
    conn_stop(a->conns);
    event_add(a->stop_ev, &tv);
}

static int bind_listener(struct api *a, char *err, size_t errlen)
{
    struct evutil_addrinfo hints, *ai = NULL;
    char port[8];
    int rc = -1, gai;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG;
    snprintf(port, sizeof(port), "%u", a->cfg->api_port);
    if ((gai = evutil_getaddrinfo(a->cfg->api_address, port, &hints, &ai)) != 0 || !ai) {
        snprintf(err, errlen, "API_ADDRESS %s: %s", a->cfg->api_address, evutil_gai_strerror(gai));
        goto out;
    }
    a->listener = evconnlistener_new_bind(
        a->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
        1024, ai->ai_addr, (int)ai->ai_addrlen);
    if (!a->listener) {
        snprintf(err, errlen, "cannot listen on %s:%u: %s", a->cfg->api_address, a->cfg->api_port,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        goto out;
    }
    if (!evhttp_bind_listener(a->http, a->listener)) {
        snprintf(err, errlen, "cannot attach the listener to evhttp");
        evconnlistener_free(a->listener);
        a->listener = NULL;
        goto out;
    }
    rc = conn_watch(a->conns, a->http, a->listener);
out:
    if (ai)
        evutil_freeaddrinfo(ai);
    return rc;
}

static struct evhttp *new_http(struct api *a, void (*cb)(struct evhttp_request *, void *))
{
    struct evhttp *h = evhttp_new(a->base);

    if (!h)
        return NULL;
    /* Every method libevent parses reaches the handler, which answers 405 + Allow for
     * the ones a route does not take; unparseable methods get libevent's 400. */
    evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                      EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                      EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(h, MAX_BODY_BYTES);
    evhttp_set_max_headers_size(h, MAX_HEADER_BYTES);
    evhttp_set_timeout(h, (int)a->cfg->api_request_timeout);
    /* No EVHTTP_SERVER_LINGERING_CLOSE: libevent would read a whole oversized body (or
     * wait for one announced with Expect: 100-continue) before answering 413. It answers
     * at once; conn.c keeps reading what the client still sends after the answer. */
    evhttp_set_gencb(h, cb, a);
    return h;
}

static int setup_http(struct api *a, char *err, size_t errlen)
{
    if (!(a->http = new_http(a, dispatch_request))) {
        snprintf(err, errlen, "cannot create the HTTP server");
        return -1;
    }
    return 0;
}

/* METRICS_PORT: a second, small listener for the operational routes, so that /metrics
 * is not on the port a load balancer exposes. Its connections are not counted by
 * conn.c (API_MAX_CONNECTIONS is about the public port). */
static int bind_metrics(struct api *a, char *err, size_t errlen)
{
    const struct config *cfg = a->cfg;

    if (!cfg->metrics_port)
        return 0;
    if (!(a->metrics_http = new_http(a, dispatch_internal))) {
        snprintf(err, errlen, "cannot create the metrics HTTP server");
        return -1;
    }
    if (evhttp_bind_socket(a->metrics_http, cfg->metrics_address, (ev_uint16_t)cfg->metrics_port) !=
        0) {
        snprintf(err, errlen, "METRICS_PORT: cannot listen on %s:%u: %s", cfg->metrics_address,
                 cfg->metrics_port, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        return -1;
    }
    return 0;
}

static int setup_events(struct api *a, char *err, size_t errlen)
{
    a->stop_ev = event_new(a->base, -1, EV_PERSIST, stop_check_cb, a);
    a->sigint_ev = evsignal_new(a->base, SIGINT, signal_cb, a);
    a->sigterm_ev = evsignal_new(a->base, SIGTERM, signal_cb, a);
    if (!a->stop_ev || !a->sigint_ev || !a->sigterm_ev || event_add(a->sigint_ev, NULL) != 0 ||
        event_add(a->sigterm_ev, NULL) != 0) {
        snprintf(err, errlen, "cannot set up the loop's events");
        return -1;
    }
    return 0;
}

int api_open(const struct config *cfg, struct api **out, char *err, size_t errlen)
{
    struct api *a = NULL;

    *out = NULL;
    if (evthread_use_pthreads() != 0) {
        snprintf(err, errlen, "libevent: no pthreads support");
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!(a = calloc(1, sizeof(*a)))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    a->cfg_copy = *cfg;
    a->cfg = &a->cfg_copy;
    cfg = a->cfg;
    if (cors_parse(cfg->api_cors_origins, &a->cors, err, errlen) != 0)
        goto fail;
    if (!(a->base = event_base_new())) {
        snprintf(err, errlen, "cannot create the event loop");
        goto fail;
    }
    if (metrics_open(&a->metrics) != 0 ||
        conn_open(a->base, cfg->api_max_connections, cfg->api_request_timeout, a->metrics,
                  &a->conns) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (dbpool_open(cfg, &a->pool, err, errlen) != 0) {
        /* MIN_POOL connections could not be opened: serve anyway, /healthz says so. */
        log_warn("MySQL: %s; starting without connections, retrying on demand", err);
        a->cfg_copy.min_pool = 0;
        if (dbpool_open(cfg, &a->pool, err, errlen) != 0)
            goto fail;
    }
    if (tally_open(&a->tally) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    a->env.pool = a->pool;
    a->env.tally = a->tally;
    if (wpool_open(a->base, cfg->api_threads, MAX_JOBS_QUEUED, &a->workers, err, errlen) != 0 ||
        acache_open(a->base, cfg, RKEY_CACHE_PREFIX "*", RKEY_CACHE_PREFIX, &a->cache, err,
                    errlen) != 0)
        goto fail;
    if (answer_open(a, &a->answer) != 0 || (cfg->cache_warm && warm_open(a, &a->warm) != 0)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (qguard_new(a->base, a->cache, cfg->queue_max, &a->qguard) != 0 ||
        setup_http(a, err, errlen) != 0 || setup_events(a, err, errlen) != 0 ||
        bind_listener(a, err, errlen) != 0 || bind_metrics(a, err, errlen) != 0)
        goto fail;
    *out = a;
    return 0;
fail:
    api_free(&a);
    return -1;
}

/* Builds the cached closed parts of the week and month windows (tally.h) before the
 * first request needs them; the answers are dropped. */
static void warm_up(struct api *a)
{
    static const enum route_span spans[] = {ROUTE_SPAN_WEEK, ROUTE_SPAN_MONTH};
    size_t i;

    for (i = 0; i < ARRAY_LEN(spans); i++) {
        struct route_req r;
        struct job *j;
        memset(&r, 0, sizeof(r));
        r.id = ROUTE_TOP;
        r.span = spans[i];
        if ((j = job_new(a, QUERY_TOP, &r)))
            job_submit(j);
    }
}

int api_run(struct api *a)
{
    warm_up(a);
    log_info("listening on %s:%u (%u worker threads, MAX_POOL=%u, at most %u connections)",
             a->cfg->api_address, a->cfg->api_port, a->cfg->api_threads, a->cfg->max_pool,
             a->cfg->api_max_connections);
    if (a->metrics_http)
        log_info("metrics, status and healthz on %s:%u", a->cfg->metrics_address,
                 a->cfg->metrics_port);
    if (event_base_dispatch(a->base) < 0) {
        log_error("the event loop failed");
        return 1;
    }
    log_info("stopped");
    return a->exit_code;
}

static void free_event(struct event **ev)
{
    if (*ev) {
        event_free(*ev);
        *ev = NULL;
    }
}

void api_free(struct api **ap)
{
    struct api *a;

    if (!ap || !*ap)
        return;
    a = *ap;
    /* Redis first: its pending callbacks (none after a clean stop) may still answer
     * requests or queue jobs while evhttp and the workers exist. Then the workers (a
     * job finishing now never gets its done() run), then the HTTP side (closing
     * connections runs conn_closed, which must not resume the freed listener). */
    qguard_free(&a->qguard);
    acache_free(&a->cache);
    wpool_free(&a->workers);
    answer_free(&a->answer);
    warm_free(&a->warm);
    a->stopping = true;
    if (a->conns)
        conn_stop(a->conns);
    if (a->http)
        evhttp_free(a->http); /* and the listener bound to it */
    if (a->metrics_http)
        evhttp_free(a->metrics_http);
    a->listener = NULL;
    conn_free(&a->conns);
    free_event(&a->stop_ev);
    free_event(&a->sigint_ev);
    free_event(&a->sigterm_ev);
    dbpool_free(&a->pool);
    tally_free(&a->tally);
    metrics_free(&a->metrics);
    if (a->base)
        event_base_free(a->base);
    free(a);
    *ap = NULL;
}
