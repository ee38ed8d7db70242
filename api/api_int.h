/* api/api_int.h: the service's shared state, private to api/ (server.c, handle*.c).
 *
 * Threads: everything here belongs to the event-loop thread except struct job while
 * a worker runs it (the worker reads job->route/kind/now_ms and writes job->out only). */
#ifndef URLMON_API_INT_H
#define URLMON_API_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "acache.h"
#include "config.h"
#include "db.h"
#include "flight.h"
#include "lcache.h"
#include "metrics.h"
#include "ptrmap.h"
#include "qguard.h"
#include "query.h"
#include "route.h"
#include "wpool.h"

struct conn;
struct bufferevent;

struct api {
    const struct config *cfg; /* = &cfg_copy */
    struct config cfg_copy;
    struct event_base *base;
    struct evhttp *http;
    struct evconnlistener *listener;
    struct dbpool *pool;
    struct tally *tally;
    struct query_env env; /* pool + tally, read by the workers */
    struct wpool *workers;
    struct acache *cache;
    struct qguard *qguard; /* Redis eviction policy, QUEUE_MAX, OOM (qguard.h) */
    struct metrics *metrics;
    struct flight *flight; /* cache key -> struct job computing it */
    struct lcache *local;  /* in-process copies of Redis' answers (used while tracking) */
    /* connections (server.c) */
    struct ptrmap *conns;               /* evhttp_connection -> struct conn */
    struct conn *idle_head, *idle_tail; /* not in a handler, oldest first */
    struct bufferevent **adopt;         /* accepted, not yet tracked */
    size_t nadopt;
    struct event *adopt_ev, *sweep_ev, *stop_ev, *sigint_ev, *sigterm_ev;
    long nconns;
    long in_flight; /* requests between handler entry and reply */
    bool listening, stopping;
    int64_t stop_deadline_ms;
    uint64_t fill_seq; /* cache fill tokens */
    char fill_prefix[48];
    int exit_code;
};

/* One request between the handler and its reply. */
struct rq {
    struct api *api;
    struct evhttp_request *req;
    struct route_req route;
    struct timespec t0;
    struct rq *next;    /* waiters of one job */
    void *post;         /* handle_write.c: the answer being built (cJSON) */
    int health_pending; /* /healthz: answers still awaited */
    uint64_t lc_epoch;  /* acache_epoch when the cache read was sent */
    int64_t lc_sent_ms; /* api_mono_ms when the cache read was sent */
    bool mysql_ok, redis_ok;
};

/* MySQL work for one or more requests (several when they share a cache key). */
struct job {
    struct wpool_task task; /* first member: a task pointer is a job pointer */
    struct api *api;
    enum query_kind kind;
    struct route_req route;
    int64_t now_ms;
    struct query_out out;
    struct rq *waiters, **waiters_tail;
    void (*finish)(struct job *j); /* loop thread, after the worker; NULL = reply to all */
    bool in_flight_table;          /* registered under route.cache_key */
    bool fill;                     /* write the answer to Redis if the placeholder holds */
    char token[64];                /* the placeholder this job owns */
};

/* server.c */
void conn_busy(struct api *a, struct evhttp_request *req);
void conn_idle(struct api *a, struct evhttp_request *req);
int64_t api_now_ms(void);
int64_t api_mono_ms(void);

/* handle.c */
void handle_request(struct evhttp_request *req, void *arg);
/* acache_inval_cb: drops the in-process copy of key (NULL: all of them). */
void handle_invalidated(void *arg, const char *key, size_t keylen);
/* Sends the answer, records metrics and frees rq. xcache: "HIT", "MISS" or NULL. */
void rq_reply(struct rq *rq, int code, const char *ctype, const char *body, size_t len,
              const char *xcache);
void rq_error(struct rq *rq, int code, const char *msg);
struct job *job_new(struct api *a, enum query_kind kind, const struct route_req *route);
void job_add_waiter(struct job *j, struct rq *rq);
/* Queues j for a worker; on failure answers its waiters with 503 and frees it. */
void job_submit(struct job *j);

/* handle_write.c */
void handle_post(struct rq *rq);
void handle_delete(struct rq *rq);
/* 0 when the request may write; otherwise it has been answered (401). */
int handle_auth(struct rq *rq) MUSTCHECK;

#endif
