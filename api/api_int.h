/* api/api_int.h: the service's shared state, private to api/. Only data and two clock
 * helpers live here; each job's functions are declared in its own module's header
 * (rq.h, job.h, answer.h, conn.h, dispatch.h, health.h, write.h).
 *
 * Threads: everything belongs to the event-loop thread except what a worker reads
 * through env (the pool and the tally, which lock themselves). */
#ifndef URLMON_API_INT_H
#define URLMON_API_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "clock.h"
#include "config.h"
#include "cors.h"
#include "qguard.h"
#include "query.h"

struct acache;
struct answer;
struct conns;
struct dbpool;
struct metrics;
struct tally;
struct warm;
struct wpool;

struct api {
    const struct config *cfg; /* = &cfg_copy */
    struct config cfg_copy;
    struct cors cors;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp *metrics_http; /* METRICS_PORT listener, NULL when 0 */
    struct evconnlistener *listener;
    struct dbpool *pool;
    struct tally *tally;
    struct query_env env; /* pool + tally, read by the workers */
    struct wpool *workers;
    struct acache *cache;  /* the loop's Redis client */
    struct answer *answer; /* the answer cache: in-process copy, Redis, single flight */
    struct warm *warm;     /* recomputes invalidated answers (warm.h); NULL: CACHE_WARM=0 */
    struct qguard *qguard; /* Redis eviction policy, QUEUE_MAX, OOM (qguard.h) */
    struct metrics *metrics;
    struct conns *conns;
    struct event *stop_ev, *sigint_ev, *sigterm_ev;
    long in_flight; /* requests between rq_new and their reply */
    bool stopping;
    int64_t stop_deadline_ms;
    int exit_code;
};

/* Wall clock (ms since the epoch) and monotonic clock (ms), from shared/clock. */
static inline int64_t api_now_ms(void)
{
    return clock_wall_ms();
}

static inline int64_t api_mono_ms(void)
{
    return clock_mono_ms();
}

#endif
