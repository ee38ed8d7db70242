/* api/metrics.h: the service's Prometheus counters and histograms.
 *
 * Everything here is touched by the event-loop thread only (workers hand their
 * measured MySQL time back with the job), so there are no locks or atomics.
 * metrics_render writes the text exposition format (version 0.0.4). */
#ifndef URLMON_METRICS_H
#define URLMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "route.h"

struct metrics;

/* Values sampled at scrape time; negative = unknown (omitted). */
struct metrics_gauges {
    long queue_length;    /* LLEN urlmon:queue */
    long connections;     /* open HTTP connections */
    long max_connections; /* API_MAX_CONNECTIONS */
    long jobs_waiting;    /* MySQL jobs queued for a worker */
    long jobs_running;    /* MySQL jobs a worker is running */
    long in_flight;       /* requests being answered */
    int redis_up;         /* 1 connected, 0 not */
    int local_cache_up;   /* 1 while invalidations arrive (in-process copies used) */
    long local_cache_entries;
    int redis_queue_evictable; /* 1: maxmemory-policy allkeys-* can evict the queue */
};

int metrics_open(struct metrics **out) MUSTCHECK;
void metrics_free(struct metrics **m);

void metrics_request(struct metrics *m, enum route_id route, int code, double seconds);
void metrics_cache(struct metrics *m, enum route_id route, bool hit);
void metrics_db(struct metrics *m, enum route_id route, double seconds);
/* A request that joined a MySQL job already running for the same cache key. */
void metrics_flight_join(struct metrics *m);
void metrics_rejected(struct metrics *m, const char *why);
/* A cache hit answered from the in-process copy (metrics_cache counts it too). */
void metrics_local_hit(struct metrics *m);
/* A warm (api/warm.h) ended: answers written, answers not, seconds from the first
 * invalidation to the end. */
void metrics_warm(struct metrics *m, unsigned stored, unsigned failed, double seconds);
/* A warm left to another instance (it held the lock). */
void metrics_warm_yield(struct metrics *m);

/* The exposition text, malloc'd (caller frees); NULL on OOM. */
char *metrics_render(const struct metrics *m, const struct metrics_gauges *g, size_t *len);

#endif
