/* api/metrics.c: counters and histograms, rendered as Prometheus text. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 15
#define NCODES 16

static const double bounds[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,   0.5,   1,      2.5,   5,    10,    30};

struct histogram {
    unsigned long long buckets[NBUCKETS]; /* non-cumulative; rendered cumulative */
    unsigned long long count;
    double sum;
};

struct code_count {
    int code;
    unsigned long long n;
};

struct route_metrics {
    struct code_count codes[NCODES];
    unsigned long long other_codes;
    struct histogram latency;
    struct histogram db;
    unsigned long long cache_hits, cache_misses;
};

struct metrics {
    struct route_metrics routes[ROUTE_COUNT];
    unsigned long long flight_joins;
    unsigned long long local_hits;
    unsigned long long rejected_busy, rejected_conn;
    unsigned long long warms, warm_answers, warm_failures, warm_yields;
    double warm_last_seconds;
};

int metrics_open(struct metrics **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -1;
}

void metrics_free(struct metrics **m)
{
    if (m && *m) {
        free(*m);
        *m = NULL;
    }
}

static void observe(struct histogram *h, double v)
{
    size_t i;

    for (i = 0; i < NBUCKETS; i++)
        if (v <= bounds[i]) {
            h->buckets[i]++;
            break;
        }
    h->count++;
    h->sum += v;
}

static struct route_metrics *route(struct metrics *m, enum route_id r)
{
    return &m->routes[(unsigned)r < ROUTE_COUNT ? r : ROUTE_UNKNOWN];
}

void metrics_request(struct metrics *m, enum route_id r, int code, double seconds)
{
    struct route_metrics *rm = route(m, r);
    size_t i;

    observe(&rm->latency, seconds);
    for (i = 0; i < NCODES; i++) {
        if (rm->codes[i].code == code || rm->codes[i].code == 0) {
            rm->codes[i].code = code;
            rm->codes[i].n++;
            return;
        }
    }
    rm->other_codes++;
}

void metrics_cache(struct metrics *m, enum route_id r, bool hit)
{
    if (hit)
        route(m, r)->cache_hits++;
    else
        route(m, r)->cache_misses++;
}

void metrics_db(struct metrics *m, enum route_id r, double seconds)
{
    observe(&route(m, r)->db, seconds);
}

void metrics_flight_join(struct metrics *m)
{
    m->flight_joins++;
}

void metrics_local_hit(struct metrics *m)
{
    m->local_hits++;
}

void metrics_warm(struct metrics *m, unsigned stored, unsigned failed, double seconds)
{
    m->warms++;
    m->warm_answers += stored;
    m->warm_failures += failed;
    m->warm_last_seconds = seconds;
}

void metrics_warm_yield(struct metrics *m)
{
    m->warm_yields++;
}

void metrics_rejected(struct metrics *m, const char *why)
{
    if (strcmp(why, "busy") == 0)
        m->rejected_busy++;
    else
        m->rejected_conn++;
}

static void render_histogram(FILE *f, const char *name, const char *label,
                             const struct histogram *h)
{
    unsigned long long cum = 0;
    size_t i;

    for (i = 0; i < NBUCKETS; i++) {
        cum += h->buckets[i];
        fprintf(f, "%s_bucket{route=\"%s\",le=\"%g\"} %llu\n", name, label, bounds[i], cum);
    }
    fprintf(f, "%s_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", name, label, h->count);
    fprintf(f, "%s_sum{route=\"%s\"} %.6f\n", name, label, h->sum);
    fprintf(f, "%s_count{route=\"%s\"} %llu\n", name, label, h->count);
}

static void render_gauge(FILE *f, const char *name, const char *help, long v)
{
    if (v < 0)
        return;
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %ld\n", name, help, name, name, v);
}

static void render_requests(FILE *f, const struct metrics *m)
{
    size_t r, i;

    fprintf(f, "# HELP urlmon_api_requests_total HTTP requests answered, by route and status "
               "code.\n# TYPE urlmon_api_requests_total counter\n");
    for (r = 0; r < ROUTE_COUNT; r++) {
        const struct route_metrics *rm = &m->routes[r];
        for (i = 0; i < NCODES && rm->codes[i].code; i++)
            fprintf(f, "urlmon_api_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                    route_label((enum route_id)r), rm->codes[i].code, rm->codes[i].n);
        if (rm->other_codes)
            fprintf(f, "urlmon_api_requests_total{route=\"%s\",code=\"other\"} %llu\n",
                    route_label((enum route_id)r), rm->other_codes);
    }
    fprintf(f, "# HELP urlmon_api_request_duration_seconds Time from a complete request to "
               "its answer.\n# TYPE urlmon_api_request_duration_seconds histogram\n");
    for (r = 0; r < ROUTE_COUNT; r++)
        if (m->routes[r].latency.count)
            render_histogram(f, "urlmon_api_request_duration_seconds",
                             route_label((enum route_id)r), &m->routes[r].latency);
    fprintf(f, "# HELP urlmon_api_mysql_query_duration_seconds Time a worker spent on one "
               "route's MySQL work.\n# TYPE urlmon_api_mysql_query_duration_seconds histogram\n");
    for (r = 0; r < ROUTE_COUNT; r++)
        if (m->routes[r].db.count)
            render_histogram(f, "urlmon_api_mysql_query_duration_seconds",
                             route_label((enum route_id)r), &m->routes[r].db);
}

static void render_cache(FILE *f, const struct metrics *m)
{
    size_t r;

    fprintf(f, "# HELP urlmon_api_cache_hits_total Cacheable GETs answered from Redis.\n"
               "# TYPE urlmon_api_cache_hits_total counter\n");
    for (r = 0; r < ROUTE_COUNT; r++)
        if (m->routes[r].cache_hits || m->routes[r].cache_misses)
            fprintf(f, "urlmon_api_cache_hits_total{route=\"%s\"} %llu\n",
                    route_label((enum route_id)r), m->routes[r].cache_hits);
    fprintf(f, "# HELP urlmon_api_cache_misses_total Cacheable GETs answered from MySQL.\n"
               "# TYPE urlmon_api_cache_misses_total counter\n");
    for (r = 0; r < ROUTE_COUNT; r++)
        if (m->routes[r].cache_hits || m->routes[r].cache_misses)
            fprintf(f, "urlmon_api_cache_misses_total{route=\"%s\"} %llu\n",
                    route_label((enum route_id)r), m->routes[r].cache_misses);
    fprintf(f,
            "# HELP urlmon_api_singleflight_joins_total Misses that waited for a MySQL job "
            "already running for the same key.\n"
            "# TYPE urlmon_api_singleflight_joins_total counter\n"
            "urlmon_api_singleflight_joins_total %llu\n",
            m->flight_joins);
    fprintf(f,
            "# HELP urlmon_api_cache_local_hits_total Cache hits answered from the in-process "
            "copy (no Redis round trip); also counted in urlmon_api_cache_hits_total.\n"
            "# TYPE urlmon_api_cache_local_hits_total counter\n"
            "urlmon_api_cache_local_hits_total %llu\n",
            m->local_hits);
    fprintf(f,
            "# HELP urlmon_api_cache_warms_total Warms this instance ran: recomputes of the "
            "invalidated top lists and summary into Redis.\n"
            "# TYPE urlmon_api_cache_warms_total counter\n"
            "urlmon_api_cache_warms_total %llu\n"
            "# HELP urlmon_api_cache_warm_answers_total Answers warms wrote to Redis.\n"
            "# TYPE urlmon_api_cache_warm_answers_total counter\n"
            "urlmon_api_cache_warm_answers_total %llu\n"
            "# HELP urlmon_api_cache_warm_failures_total Answers a warm could not compute or "
            "write (MySQL or Redis failed).\n"
            "# TYPE urlmon_api_cache_warm_failures_total counter\n"
            "urlmon_api_cache_warm_failures_total %llu\n"
            "# HELP urlmon_api_cache_warm_yields_total Warms left to another instance holding "
            "the warm lock.\n"
            "# TYPE urlmon_api_cache_warm_yields_total counter\n"
            "urlmon_api_cache_warm_yields_total %llu\n",
            m->warms, m->warm_answers, m->warm_failures, m->warm_yields);
    if (m->warms)
        fprintf(f,
                "# HELP urlmon_api_cache_warm_last_seconds The last warm's time from the first "
                "invalidation to its last answer written.\n"
                "# TYPE urlmon_api_cache_warm_last_seconds gauge\n"
                "urlmon_api_cache_warm_last_seconds %.6f\n",
                m->warm_last_seconds);
    fprintf(f,
            "# HELP urlmon_api_rejected_total Requests or connections refused by a limit.\n"
            "# TYPE urlmon_api_rejected_total counter\n"
            "urlmon_api_rejected_total{reason=\"busy\"} %llu\n"
            "urlmon_api_rejected_total{reason=\"connections\"} %llu\n",
            m->rejected_busy, m->rejected_conn);
}

char *metrics_render(const struct metrics *m, const struct metrics_gauges *g, size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);

    if (!f)
        return NULL;
    render_requests(f, m);
    render_cache(f, m);
    render_gauge(f, "urlmon_api_queue_length", "Entries waiting in urlmon:queue (LLEN).",
                 g->queue_length);
    render_gauge(f, "urlmon_api_connections", "Open HTTP connections.", g->connections);
    render_gauge(f, "urlmon_api_max_connections", "API_MAX_CONNECTIONS.", g->max_connections);
    render_gauge(f, "urlmon_api_jobs_waiting", "MySQL jobs waiting for a worker thread.",
                 g->jobs_waiting);
    render_gauge(f, "urlmon_api_jobs_running", "MySQL jobs a worker thread is running.",
                 g->jobs_running);
    render_gauge(f, "urlmon_api_requests_in_flight", "Requests being answered.", g->in_flight);
    render_gauge(f, "urlmon_api_redis_up", "1 when the Redis connection is up.", g->redis_up);
    render_gauge(f, "urlmon_api_redis_queue_evictable",
                 "1 when Redis' maxmemory-policy (allkeys-*) can evict queued URLs.",
                 g->redis_queue_evictable);
    render_gauge(f, "urlmon_api_local_cache_up",
                 "1 while Redis invalidations reach the API (in-process copies in use).",
                 g->local_cache_up);
    render_gauge(f, "urlmon_api_local_cache_entries", "Answers held in the in-process copy.",
                 g->local_cache_entries);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    *len = n;
    return text;
}
