/* api/conn.c: connection accounting (conn.h). */
#include "conn.h"

#include <stdlib.h>

#include <event2/bufferevent.h>

#include "api_int.h"
#include "log.h"
#include "ptrmap.h"

#define SWEEP_MS 250

struct conn {
    struct conns *cs;
    struct evhttp_connection *evcon;
    int64_t idle_since_ms;
    bool busy;
    struct conn *prev, *next; /* idle list */
};

struct conns {
    struct evconnlistener *listener;
    struct metrics *metrics;
    size_t max;
    int64_t timeout_ms;
    struct ptrmap *map;                 /* evhttp_connection -> struct conn */
    struct conn *idle_head, *idle_tail; /* not in a handler, oldest first */
    struct bufferevent **adopt;         /* accepted, not yet tracked (max + 1 slots) */
    size_t nadopt;
    struct event *adopt_ev, *sweep_ev;
    long n;
    bool listening, stopped;
};

static void idle_unlink(struct conns *cs, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (cs->idle_head == c)
        cs->idle_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else if (cs->idle_tail == c)
        cs->idle_tail = c->prev;
    c->prev = c->next = NULL;
}

static void idle_append(struct conns *cs, struct conn *c)
{
    c->idle_since_ms = api_mono_ms();
    c->prev = cs->idle_tail;
    c->next = NULL;
    if (cs->idle_tail)
        cs->idle_tail->next = c;
    else
        cs->idle_head = c;
    cs->idle_tail = c;
}

static void listener_update(struct conns *cs)
{
    bool want = !cs->stopped && cs->n < (long)cs->max;

    if (want == cs->listening || !cs->listener)
        return;
    if (want) {
        evconnlistener_enable(cs->listener);
    } else {
        evconnlistener_disable(cs->listener);
        if (!cs->stopped) {
            metrics_rejected(cs->metrics, "connections");
            log_warn("%ld connections open (API_MAX_CONNECTIONS): not accepting for now", cs->n);
        }
    }
    cs->listening = want;
}

void conn_busy(struct conns *cs, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct conn *c = evcon ? ptrmap_get(cs->map, evcon) : NULL;

    if (c && !c->busy) {
        idle_unlink(cs, c);
        c->busy = true;
    }
}

void conn_idle(struct conns *cs, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct conn *c = evcon ? ptrmap_get(cs->map, evcon) : NULL;

    if (c && c->busy) {
        c->busy = false;
        idle_append(cs, c);
    }
}

static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
    struct conn *c = arg;
    struct conns *cs = c->cs;

    ptrmap_del(cs->map, evcon);
    if (!c->busy)
        idle_unlink(cs, c);
    free(c);
    cs->n--;
    listener_update(cs);
}

/* evhttp's hook for each accepted connection: count it before anything else. */
static struct bufferevent *new_bev(struct event_base *base, void *arg)
{
    struct conns *cs = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

    /* The listener pauses at the cap, so adopt[] (cap + 1 slots) never overflows. */
    if (!bev || cs->nadopt > cs->max)
        return bev;
    bufferevent_incref(bev);
    cs->adopt[cs->nadopt++] = bev;
    event_active(cs->adopt_ev, EV_READ, 0);
    cs->n++;
    listener_update(cs);
    return bev;
}

/* Same loop pass as new_bev, after evhttp made the connection: track it. evhttp makes
 * the connection its bufferevent's callback argument; a freed bufferevent has no
 * callbacks (our reference keeps the memory valid until bufferevent_decref). */
static void adopt_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conns *cs = arg;
    size_t i;

    for (i = 0; i < cs->nadopt; i++) {
        struct bufferevent *bev = cs->adopt[i];
        bufferevent_data_cb readcb = NULL;
        void *cbarg = NULL;
        struct evhttp_connection *evcon;
        struct conn *c = NULL;

        bufferevent_getcb(bev, &readcb, NULL, NULL, &cbarg);
        evcon = readcb ? cbarg : NULL;
        if (evcon && evhttp_connection_get_bufferevent(evcon) != bev)
            evcon = NULL;
        if (!evcon) {
            cs->n--; /* closed before we saw it */
        } else if (!(c = calloc(1, sizeof(*c))) || ptrmap_put(cs->map, evcon, c) != 0) {
            free(c);
            cs->n--;
            evhttp_connection_free(evcon); /* cannot be tracked: refuse it */
        } else {
            c->cs = cs;
            c->evcon = evcon;
            idle_append(cs, c);
            evhttp_connection_set_closecb(evcon, conn_closed, c);
        }
        bufferevent_decref(bev);
    }
    cs->nadopt = 0;
    listener_update(cs);
}

/* Closes connections that have not delivered a request within the timeout. */
static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conns *cs = arg;
    int64_t now = api_mono_ms();
    struct evhttp_connection *victims[256];
    size_t n = 0, i;
    struct conn *c;

    for (c = cs->idle_head; c && n < ARRAY_LEN(victims); c = c->next) {
        if (now - c->idle_since_ms <= cs->timeout_ms)
            break;
        victims[n++] = c->evcon;
    }
    for (i = 0; i < n; i++)
        evhttp_connection_free(victims[i]); /* conn_closed unlinks it */
}

int conn_open(struct event_base *base, size_t max_conns, unsigned timeout_s,
              struct metrics *metrics, struct conns **out)
{
    struct conns *cs = calloc(1, sizeof(*cs));
    struct timeval sweep = {0, SWEEP_MS * 1000};

    *out = NULL;
    if (!cs)
        return -1;
    cs->metrics = metrics;
    cs->max = max_conns;
    cs->timeout_ms = (int64_t)timeout_s * 1000;
    if (ptrmap_open(max_conns + 1, &cs->map) != 0 ||
        !(cs->adopt = calloc(max_conns + 1, sizeof(*cs->adopt))) ||
        !(cs->adopt_ev = event_new(base, -1, 0, adopt_cb, cs)) ||
        !(cs->sweep_ev = event_new(base, -1, EV_PERSIST, sweep_cb, cs)) ||
        event_add(cs->sweep_ev, &sweep) != 0) {
        conn_free(&cs);
        return -1;
    }
    *out = cs;
    return 0;
}

int conn_watch(struct conns *cs, struct evhttp *http, struct evconnlistener *listener)
{
    cs->listener = listener;
    cs->listening = true;
    evhttp_set_bevcb(http, new_bev, cs);
    return 0;
}

void conn_stop(struct conns *cs)
{
    cs->stopped = true;
    listener_update(cs);
}

long conn_count(const struct conns *cs)
{
    return cs->n;
}

void conn_free(struct conns **csp)
{
    struct conns *cs;

    if (!csp || !*csp)
        return;
    cs = *csp;
    if (cs->adopt_ev)
        event_free(cs->adopt_ev);
    if (cs->sweep_ev)
        event_free(cs->sweep_ev);
    ptrmap_free(&cs->map);
    free(cs->adopt);
    free(cs);
    *csp = NULL;
}
