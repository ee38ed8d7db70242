/* api/server.c: set-up, the listener, connection limits and shutdown.
 *
 * Connection accounting (libevent 2.1 has no evhttp_set_max_connections and no
 * new-connection hook): evhttp asks us for each new connection's bufferevent
 * (evhttp_set_bevcb). We count it there, pause the listener at API_MAX_CONNECTIONS
 * (further clients wait in the kernel's backlog), hold a reference to the bufferevent
 * and, once evhttp has wired it up in the same loop pass, find its evhttp_connection
 * (the bufferevent's callback argument) and set a close callback that uncounts it and
 * resumes the listener. Every connection not inside a handler sits on an idle list
 * ordered by when it last finished a request (or was accepted); a sweep closes those
 * older than API_REQUEST_TIMEOUT, so a client that dribbles a request (slowloris) or
 * idles on keep-alive is cut off after that many seconds in total. */
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

#include "api_int.h"
#include "log.h"
#include "rconn.h"
#include "tally.h"

#define MAX_BODY_BYTES (64 * 1024)
#define MAX_HEADER_BYTES (16 * 1024)
#define MAX_JOBS_QUEUED 10000
#define SWEEP_MS 250
#define STOP_GRACE_MS 10000
/* The in-process copies: a handful of keys exist (6 top lists + the summary). */
#define LOCAL_MAX_ENTRIES 64
#define LOCAL_MAX_BYTES (4 * 1024 * 1024)

struct conn {
    struct api *api;
    struct evhttp_connection *evcon;
    int64_t idle_since_ms;
    bool busy;
    struct conn *prev, *next; /* idle list */
};

int64_t api_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t api_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void idle_unlink(struct api *a, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (a->idle_head == c)
        a->idle_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else if (a->idle_tail == c)
        a->idle_tail = c->prev;
    c->prev = c->next = NULL;
}

static void idle_append(struct api *a, struct conn *c)
{
    c->idle_since_ms = api_mono_ms();
    c->prev = a->idle_tail;
    c->next = NULL;
    if (a->idle_tail)
        a->idle_tail->next = c;
    else
        a->idle_head = c;
    a->idle_tail = c;
}

static void listener_update(struct api *a)
{
    bool want = !a->stopping && a->nconns < (long)a->cfg->api_max_connections;

    if (want == a->listening || !a->listener)
        return;
    if (want) {
        evconnlistener_enable(a->listener);
    } else {
        evconnlistener_disable(a->listener);
        if (!a->stopping) {
            metrics_rejected(a->metrics, "connections");
            log_warn("%ld connections open (API_MAX_CONNECTIONS): not accepting for now",
                     a->nconns);
        }
    }
    a->listening = want;
}

void conn_busy(struct api *a, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct conn *c = evcon ? ptrmap_get(a->conns, evcon) : NULL;

    if (c && !c->busy) {
        idle_unlink(a, c);
        c->busy = true;
    }
}

void conn_idle(struct api *a, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct conn *c = evcon ? ptrmap_get(a->conns, evcon) : NULL;

    if (c && c->busy) {
        c->busy = false;
        idle_append(a, c);
    }
}

static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
    struct conn *c = arg;
    struct api *a = c->api;

    ptrmap_del(a->conns, evcon);
    if (!c->busy)
        idle_unlink(a, c);
    free(c);
    a->nconns--;
    listener_update(a);
}

/* evhttp's hook for each accepted connection: count it before anything else. */
static struct bufferevent *new_bev(struct event_base *base, void *arg)
{
    struct api *a = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

    /* The listener pauses at the cap, so adopt[] (cap + 1 slots) never overflows. */
    if (!bev || a->nadopt > a->cfg->api_max_connections)
        return bev;
    bufferevent_incref(bev);
    a->adopt[a->nadopt++] = bev;
    event_active(a->adopt_ev, EV_READ, 0);
    a->nconns++;
    listener_update(a);
    return bev;
}

/* Same loop pass as new_bev, after evhttp made the connection: track it. evhttp makes
 * the connection its bufferevent's callback argument; a freed bufferevent has no
 * callbacks (our reference keeps the memory valid until bufferevent_decref). */
static void adopt_cb(evutil_socket_t fd, short what, void *arg)
{
    struct api *a = arg;
    size_t i;

    for (i = 0; i < a->nadopt; i++) {
        struct bufferevent *bev = a->adopt[i];
        bufferevent_data_cb readcb = NULL;
        void *cbarg = NULL;
        struct evhttp_connection *evcon;
        struct conn *c = NULL;

        bufferevent_getcb(bev, &readcb, NULL, NULL, &cbarg);
        evcon = readcb ? cbarg : NULL;
        if (evcon && evhttp_connection_get_bufferevent(evcon) != bev)
            evcon = NULL;
        if (!evcon) {
            a->nconns--; /* closed before we saw it */
        } else if (!(c = calloc(1, sizeof(*c))) || ptrmap_put(a->conns, evcon, c) != 0) {
            free(c);
            a->nconns--;
            evhttp_connection_free(evcon); /* cannot be tracked: refuse it */
        } else {
            c->api = a;
            c->evcon = evcon;
            idle_append(a, c);
            evhttp_connection_set_closecb(evcon, conn_closed, c);
        }
        bufferevent_decref(bev);
    }
    a->nadopt = 0;
    listener_update(a);
}

/* Closes connections that have not delivered a request within the timeout. */
static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    struct api *a = arg;
    int64_t limit = (int64_t)a->cfg->api_request_timeout * 1000, now = api_mono_ms();
    struct evhttp_connection *victims[256];
    size_t n = 0, i;
    struct conn *c;

    for (c = a->idle_head; c && n < ARRAY_LEN(victims); c = c->next) {
        if (now - c->idle_since_ms <= limit)
            break;
        victims[n++] = c->evcon;
    }
    for (i = 0; i < n; i++)
        evhttp_connection_free(victims[i]); /* conn_closed unlinks it */
}

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
    listener_update(a);
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
    a->listening = true;
    rc = 0;
out:
    if (ai)
        evutil_freeaddrinfo(ai);
    return rc;
}

static int setup_http(struct api *a, char *err, size_t errlen)
{
    const struct config *cfg = a->cfg;

    if (!(a->http = evhttp_new(a->base))) {
        snprintf(err, errlen, "cannot create the HTTP server");
        return -1;
    }
    /* Every method libevent parses reaches the handler, which answers 405 + Allow for
     * the ones a route does not take; unparseable methods get libevent's 400. */
    evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(a->http, MAX_BODY_BYTES);
    evhttp_set_max_headers_size(a->http, MAX_HEADER_BYTES);
    evhttp_set_timeout(a->http, (int)cfg->api_request_timeout);
    if (evhttp_set_flags(a->http, EVHTTP_SERVER_LINGERING_CLOSE) != 0)
        log_warn("evhttp: lingering close unsupported; 413 may reach clients as a reset");
    evhttp_set_bevcb(a->http, new_bev, a);
    evhttp_set_gencb(a->http, handle_request, a);
    return 0;
}

static int setup_events(struct api *a, char *err, size_t errlen)
{
    struct timeval sweep = {0, SWEEP_MS * 1000};

    a->adopt_ev = event_new(a->base, -1, 0, adopt_cb, a);
    a->sweep_ev = event_new(a->base, -1, EV_PERSIST, sweep_cb, a);
    a->stop_ev = event_new(a->base, -1, EV_PERSIST, stop_check_cb, a);
    a->sigint_ev = evsignal_new(a->base, SIGINT, signal_cb, a);
    a->sigterm_ev = evsignal_new(a->base, SIGTERM, signal_cb, a);
    if (!a->adopt_ev || !a->sweep_ev || !a->stop_ev || !a->sigint_ev || !a->sigterm_ev ||
        event_add(a->sweep_ev, &sweep) != 0 || event_add(a->sigint_ev, NULL) != 0 ||
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
    snprintf(a->fill_prefix, sizeof(a->fill_prefix),
             "\x01"
             "fill:%ld:%lld:",
             (long)getpid(), (long long)api_now_ms());
    if (!(a->base = event_base_new())) {
        snprintf(err, errlen, "cannot create the event loop");
        goto fail;
    }
    if (metrics_open(&a->metrics) != 0 || flight_open(&a->flight) != 0 ||
        lcache_open(LOCAL_MAX_ENTRIES, LOCAL_MAX_BYTES, &a->local) != 0 ||
        ptrmap_open(cfg->api_max_connections + 1, &a->conns) != 0 ||
        !(a->adopt = calloc(cfg->api_max_connections + 1, sizeof(*a->adopt)))) {
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
                    errlen) != 0 ||
        qguard_new(a->base, a->cache, cfg->queue_max, &a->qguard) != 0 ||
        setup_http(a, err, errlen) != 0 || setup_events(a, err, errlen) != 0 ||
        bind_listener(a, err, errlen) != 0)
        goto fail;
    acache_on_invalidate(a->cache, handle_invalidated, a);
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
    a->stopping = true;
    a->listening = false;
    if (a->http)
        evhttp_free(a->http); /* and the listener bound to it */
    a->listener = NULL;
    free_event(&a->adopt_ev);
    free_event(&a->sweep_ev);
    free_event(&a->stop_ev);
    free_event(&a->sigint_ev);
    free_event(&a->sigterm_ev);
    dbpool_free(&a->pool);
    tally_free(&a->tally);
    flight_free(&a->flight);
    lcache_free(&a->local);
    ptrmap_free(&a->conns);
    metrics_free(&a->metrics);
    free(a->adopt);
    if (a->base)
        event_base_free(a->base);
    free(a);
    *ap = NULL;
}
