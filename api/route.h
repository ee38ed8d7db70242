/* api/route.h: which route a request names, and its validated parameters.
 *
 * Pure string work, no libevent: route_parse takes the path and the raw query string
 * (both as received, the query without its '?') and fills a struct route_req. Every
 * path works with and without one trailing slash. Query parameters are strict: an
 * unknown name, a repeated name or a bad value is a 400 naming the parameter.
 * Ids are digits only, 1..2^63-1; anything else in an id position is a 400. */
#ifndef URLMON_ROUTE_H
#define URLMON_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

enum route_id {
    ROUTE_UNKNOWN = 0,
    ROUTE_TOP,           /* /urls/top/{status}/{timespan} */
    ROUTE_SUMMARY,       /* /urls/summary */
    ROUTE_URLS,          /* /urls (GET list, POST add) */
    ROUTE_URL,           /* /urls/{id} (GET, PUT, PATCH, DELETE) */
    ROUTE_URL_CHECKS,    /* /urls/{id}/checks */
    ROUTE_HEALTHZ,       /* /healthz: liveness */
    ROUTE_STATUS,        /* /status: readiness (MySQL, Redis) */
    ROUTE_METRICS,       /* /metrics */
    ROUTE_OPENAPI,       /* /openapi.json */
    ROUTE_DASH_URLS,     /* /dashboard/urls (api/dashq.c) */
    ROUTE_DASH_URL,      /* /dashboard/urls/{id} */
    ROUTE_DASH_PCT,      /* /dashboard/percentiles */
    ROUTE_UI,            /* the dashboard's and the docs' files (api/ui.c) */
    ROUTE_INCIDENTS,     /* /incidents (api/query_incidents.c) */
    ROUTE_URL_INCIDENTS, /* /urls/{id}/incidents */
    ROUTE_COUNT
};

/* Methods as a bit set (ROUTE_M_GET also allows HEAD). */
enum route_method {
    ROUTE_M_GET = 1,
    ROUTE_M_POST = 2,
    ROUTE_M_DELETE = 4,
    ROUTE_M_PUT = 8,
    ROUTE_M_PATCH = 16,
};

enum route_status { ROUTE_STATUS_SUCCESS, ROUTE_STATUS_FAIL };
enum route_span { ROUTE_SPAN_HOUR, ROUTE_SPAN_WEEK, ROUTE_SPAN_MONTH };
/* The incident lists' ?state= (default all). */
enum route_istate { ROUTE_ISTATE_ALL, ROUTE_ISTATE_OPEN, ROUTE_ISTATE_CLOSED };

#define ROUTE_ID_MAX ((uint64_t)INT64_MAX)
#define ROUTE_LIMIT_DEFAULT 100
#define ROUTE_LIMIT_MAX 1000
#define ROUTE_KEY_MAX 96

struct route_req {
    enum route_id id;
    unsigned methods;              /* what the path allows (enum route_method bits) */
    enum route_status status;      /* ROUTE_TOP */
    enum route_span span;          /* ROUTE_TOP */
    bool cache;                    /* cacheable routes: ?cache=true (default) */
    uint64_t url_id;               /* ROUTE_URL, ROUTE_URL_CHECKS, ROUTE_DASH_URL */
    unsigned limit;                /* ROUTE_URLS, ROUTE_URL_CHECKS */
    uint64_t cursor;               /* ROUTE_URLS: ids > cursor; ROUTE_URL_CHECKS: run_id < before;
                                      incident lists: ids < cursor (newest first), 0 = first page */
    int active;                    /* ROUTE_URLS filter: -1 any, 0 inactive, 1 active */
    enum route_istate istate;      /* ROUTE_INCIDENTS, ROUTE_URL_INCIDENTS */
    char cache_key[ROUTE_KEY_MAX]; /* cacheable routes: the Redis key, else "" */
};

/* Parses a GET/POST/PUT/PATCH/DELETE target. Returns 0, or the HTTP status to answer (400, 404)
 * with a message for the client in err ("<field>: <what is wrong>"). On 400 the route
 * is known: r->id and r->methods are set, so a wrong method can still win (405). */
int route_parse(const char *path, const char *query, struct route_req *r, char *err,
                size_t errlen) MUSTCHECK;

/* True when the route's GET answer lives in the Redis cache. */
bool route_cacheable(const struct route_req *r);
/* The Allow header value for a route ("GET, HEAD", "GET, HEAD, POST", ...). */
const char *route_allow_header(unsigned methods);
/* The method bit of a method name ("GET", "HEAD", "PUT", ...); 0 = none of ours. */
unsigned route_method_bit(const char *name);
/* A short stable label for metrics ("top", "summary", "urls", ...). */
const char *route_label(enum route_id id);
const char *route_status_name(enum route_status s);
const char *route_span_name(enum route_span s);

/* Parses a decimal id of 1..2^63-1 (ASCII digits only: no sign, no spaces).
 * Returns 0 or -1. */
int route_parse_id(const char *s, size_t len, uint64_t *out) MUSTCHECK;

#endif
