/* api/rq.h: one request between its handler and its reply.
 *
 * dispatch.c makes an rq for every request evhttp hands over (rq_new) and each route's
 * handler ends it exactly once with rq_reply or rq_error, now or later (after Redis or a
 * worker answered). rq_reply writes the answer the same way for every route: JSON or the
 * given type, Cache-Control: no-store, the CORS headers the configuration allows, a HEAD
 * answer with the GET's headers (Content-Length included) and no body; then it records
 * the metrics, puts the connection back on the idle list and frees the rq. Loop thread
 * only. */
#ifndef URLMON_RQ_H
#define URLMON_RQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/http.h>

#include "route.h"

#define RQ_CT_JSON "application/json"

struct api;

struct rq {
    struct api *api;
    struct evhttp_request *req;
    struct route_req route;
    struct timespec t0;
    struct rq *next; /* waiters of one job (job.h) */
    bool head;       /* HEAD: answer without the body */
    void *post;      /* write.c: the answer being built (cJSON) */
    int pending;     /* health.c: answers still awaited */
    bool mysql_ok, redis_ok;
    uint64_t lc_epoch;  /* answer.c: acache_epoch when the cache read was sent */
    int64_t lc_sent_ms; /* answer.c: when the cache read was sent (monotonic ms) */
};

/* A new rq for req (counted in flight, its connection marked busy); NULL on OOM. */
struct rq *rq_new(struct api *a, struct evhttp_request *req);
/* Sends the answer, records metrics and frees rq. xcache: "HIT", "MISS" or NULL. */
void rq_reply(struct rq *rq, int code, const char *ctype, const char *body, size_t len,
              const char *xcache);
/* {"error": msg} with code. */
void rq_error(struct rq *rq, int code, const char *msg);
const char *rq_method_name(enum evhttp_cmd_type cmd);

#endif
