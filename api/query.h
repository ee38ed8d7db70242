/* api/query.h: the MySQL work behind each route, run on a worker thread.
 *
 * query_run borrows a connection from the pool, runs the route's prepared statements
 * (retrying once on a fresh connection when the first one turns out to be dead) and
 * renders the JSON answer. It never touches libevent or Redis. */
#ifndef URLMON_QUERY_H
#define URLMON_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "route.h"

enum query_kind {
    QUERY_TOP,           /* route: status, span */
    QUERY_SUMMARY,       /* past 30 days, success and fail counts */
    QUERY_LIST,          /* route: limit, cursor, active */
    QUERY_DETAIL,        /* route: url_id */
    QUERY_CHECKS,        /* route: url_id, limit, cursor (= before) */
    QUERY_DEACTIVATE,    /* route: url_id */
    QUERY_UPDATE,        /* route: url_id; PUT/PATCH, the changes in patch (urlpatch.h) */
    QUERY_PING,          /* SELECT 1 */
    QUERY_DASH_URLS,     /* every active URL for the dashboard's table (api/dashq.c) */
    QUERY_DASH_URL,      /* route: url_id; hourly and daily series (api/dashq.c) */
    QUERY_DASH_PCT,      /* p50/p95 of every active URL over 24 h (api/dashq.c) */
    QUERY_INCIDENTS,     /* route: istate, limit, cursor (api/query_incidents.c) */
    QUERY_URL_INCIDENTS, /* route: url_id, istate, limit, cursor */
    QUERY_ALERT_METRICS, /* /metrics: URLs by state, incidents, deliveries, certificates */
};

struct query_out {
    int status; /* HTTP status of the answer */
    char *body; /* malloc'd JSON (free with free()); NULL only on OOM */
    size_t len;
    double db_seconds; /* time spent on MySQL */
};

#define QUERY_SPAN_HOUR_MS INT64_C(3600000)
#define QUERY_SPAN_WEEK_MS (INT64_C(7) * 86400000)
#define QUERY_SPAN_MONTH_MS (INT64_C(30) * 86400000)

struct tally;
struct urlpatch;

/* What the worker threads share. */
struct query_env {
    struct dbpool *pool;
    struct tally *tally; /* cached closed parts of the week/month windows */
};

/* now_ms: the instant the window ends (ms since the epoch, UTC). patch: QUERY_UPDATE's
 * changes (NULL for the other kinds). */
void query_run(const struct query_env *env, enum query_kind kind, const struct route_req *r,
               struct urlpatch *patch, int64_t now_ms, struct query_out *out);

#endif
