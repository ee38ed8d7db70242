/* api/dashq.c: the dashboard's data, read-only (GET /dashboard/urls, /dashboard/urls/{id}).
 *
 * /dashboard/urls answers every active URL in one document, for the table: its latest
 * check, uptime over the past 24 h / 7 d / 30 d counted in whole rollup buckets (the 24
 * hourly buckets up to the current hour; the 7 or 30 daily buckets up to today) and a
 * 24-point series (mean response time and failures per hour) for the sparkline. Four
 * statements whatever the number of URLs; rows are streamed and summed here, never
 * grouped by MySQL (see docs/api.md, "Top lists", for why).
 * /dashboard/percentiles answers p50/p95 of each active URL's successful checks over the
 * past 24 h (exactly as GET /urls/{id} computes them).
 * /dashboard/urls/{id} answers one URL's hourly (168 h) and daily (30 d) series. */
#include "query_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

#define HOURS 24
#define SERIES_HOURS 168
#define SERIES_DAYS 30
#define MS_HOUR INT64_C(3600000)

static const char urls_sql[] =
    "SELECT id, name, url, regex IS NOT NULL FROM urls WHERE active = 1 ORDER BY id";
/* The latest check of each URL: MAX(checked_at) per url_id is a loose index scan of the
 * primary key (url_id, checked_at, run_id) (one seek per URL, "Using index for
 * group-by"), then one probe each. A correlated MAX per URL row took 5 s at 10,000 URLs,
 * this 0.5 s. (The service mode checks a URL several times per run: MAX(run_id) would
 * match several rows.) */
static const char latest_sql[] =
    "SELECT c.url_id, c.checked_at, c.success, c.http_status, c.response_ms, c.error_class,"
    " c.error_message FROM (SELECT url_id, MAX(checked_at) AS t FROM checks GROUP BY url_id) m"
    " JOIN checks c ON c.url_id = m.url_id AND c.checked_at = m.t";
static const char ids_sql[] = "SELECT id FROM urls WHERE active = 1 ORDER BY id";
static const char hourly_sql[] =
    "SELECT url_id, TIMESTAMPDIFF(HOUR, ?, bucket), success_count, fail_count, response_ms_sum"
    " FROM rollup_hourly WHERE bucket >= ?";
static const char daily_sql[] = "SELECT url_id, DATEDIFF(bucket, ?), success_count, fail_count"
                                " FROM rollup_daily WHERE bucket >= ?";
/* Runs are numbered in time: no check of a run that finished before `since` is newer
 * than `since`, so the 24 h of each URL are one short range of the primary key. */
static const char first_run_sql[] =
    "SELECT COALESCE(MIN(id), 0) FROM runs WHERE COALESCE(finished_at, UTC_TIMESTAMP(3)) >= ?";
static const char times_sql[] =
    "SELECT c.url_id, c.response_ms FROM urls u JOIN checks c ON c.url_id = u.id"
    " AND c.run_id >= ? AND c.checked_at >= ? AND c.success = 1 WHERE u.active = 1";
static const char exists_sql[] = "SELECT id FROM urls WHERE id = ?";
static const char url_hourly_sql[] =
    "SELECT TIMESTAMPDIFF(HOUR, ?, bucket), success_count, fail_count, response_ms_sum"
    " FROM rollup_hourly WHERE url_id = ? AND bucket >= ?";
static const char url_daily_sql[] =
    "SELECT DATEDIFF(bucket, ?), success_count, fail_count, response_ms_sum"
    " FROM rollup_daily WHERE url_id = ? AND bucket >= ?";

struct dash_url {
    uint64_t id;
    cJSON *obj; /* id, name, url, has_regex; the rest is added at the end (NULL: ids only) */
    cJSON *latest;
    uint32_t s[HOURS], f[HOURS];
    uint64_t ms[HOURS];
    uint64_t s7, f7, s30, f30;
    uint32_t *times;
    size_t ntimes, cap;
};

struct dash {
    struct dash_url *u;
    size_t n, cap;
};

static int oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return -1;
}

static struct dash_url *find(struct dash *d, uint64_t id)
{
    size_t lo = 0, hi = d->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->u[mid].id == id)
            return &d->u[mid];
        if (d->u[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int url_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    struct dash *d = arg;
    struct dash_url *u;

    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        struct dash_url *nu = realloc(d->u, cap * sizeof(*nu));
        if (!nu)
            return oom(err, errlen);
        d->u = nu;
        d->cap = cap;
    }
    u = &d->u[d->n];
    memset(u, 0, sizeof(*u));
    u->id = strtoull(row->val[0], NULL, 10);
    if (!(u->obj = cJSON_CreateObject()) || qjson_raw(u->obj, "id", row->val[0]) != 0 ||
        qjson_str(u->obj, "name", row->val[1]) != 0 || qjson_str(u->obj, "url", row->val[2]) != 0 ||
        qjson_bool(u->obj, "has_regex", row->val[3]) != 0) {
        cJSON_Delete(u->obj);
        return oom(err, errlen);
    }
    d->n++;
    return 0;
}

static int latest_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    struct dash_url *u = find(arg, strtoull(row->val[0], NULL, 10));
    cJSON *o;

    if (!u || u->latest)
        return 0;
    if (!(o = cJSON_CreateObject()) || qjson_time(o, "checked_at", row->val[1]) != 0 ||
        qjson_bool(o, "success", row->val[2]) != 0 ||
        qjson_raw(o, "http_status", row->val[3]) != 0 ||
        qjson_raw(o, "response_ms", row->val[4]) != 0 ||
        qjson_str(o, "error_class", row->val[5]) != 0 ||
        qjson_str(o, "error_message", row->val[6]) != 0) {
        cJSON_Delete(o);
        return oom(err, errlen);
    }
    u->latest = o;
    return 0;
}

static int hourly_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct dash_url *u = find(arg, v[0]);

    if (u && v[1] < HOURS) {
        u->s[v[1]] += (uint32_t)v[2];
        u->f[v[1]] += (uint32_t)v[3];
        u->ms[v[1]] += v[4];
    }
    return 0;
}

static int daily_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct dash_url *u = find(arg, v[0]);

    /* v[1] = days after the first of the 30; the last 7 are the week */
    if (u && v[1] < SERIES_DAYS) {
        u->s30 += v[2];
        u->f30 += v[3];
        if (v[1] >= SERIES_DAYS - 7) {
            u->s7 += v[2];
            u->f7 += v[3];
        }
    }
    return 0;
}

static int time_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct dash_url *u = find(arg, v[0]);

    if (!u)
        return 0;
    if (u->ntimes == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 64;
        uint32_t *t = realloc(u->times, cap * sizeof(*t));
        if (!t)
            return oom(err, errlen);
        u->times = t;
        u->cap = cap;
    }
    u->times[u->ntimes++] = (uint32_t)v[1];
    return 0;
}

static int id_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct dash *d = arg;

    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        struct dash_url *nu = realloc(d->u, cap * sizeof(*nu));
        if (!nu)
            return oom(err, errlen);
        d->u = nu;
        d->cap = cap;
    }
    memset(&d->u[d->n], 0, sizeof(d->u[d->n]));
    d->u[d->n++].id = v[0];
    return 0;
}

static int first_run_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    *(uint64_t *)arg = v[0];
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Percentage with three decimals, as GET /urls/{id}; null without checks. */
static cJSON *pct(uint64_t s, uint64_t f)
{
    if (s + f == 0)
        return cJSON_CreateNull();
    return cJSON_CreateNumber(round(100000.0 * (double)s / (double)(s + f)) / 1000);
}

/* Nearest rank, as GET /urls/{id}. */
static cJSON *percentile(const uint32_t *v, size_t n, unsigned p)
{
    size_t rank;

    if (n == 0)
        return cJSON_CreateNull();
    rank = (n * p + 99) / 100;
    return cJSON_CreateNumber(v[rank ? rank - 1 : 0]);
}

static int finish_url(struct dash_url *u)
{
    cJSON *o = u->obj, *up, *ms, *fl;
    uint64_t s24 = 0, f24 = 0;
    size_t h;

    for (h = 0; h < HOURS; h++) {
        s24 += u->s[h];
        f24 += u->f[h];
    }
    cJSON_AddItemToObject(o, "last_check", u->latest ? u->latest : cJSON_CreateNull());
    u->latest = NULL;
    if (!(up = cJSON_AddObjectToObject(o, "uptime")) ||
        !cJSON_AddItemToObject(up, "24h", pct(s24, f24)) ||
        !cJSON_AddItemToObject(up, "7d", pct(u->s7, u->f7)) ||
        !cJSON_AddItemToObject(up, "30d", pct(u->s30, u->f30)) ||
        !(ms = cJSON_AddArrayToObject(o, "hourly_ms")) ||
        !(fl = cJSON_AddArrayToObject(o, "hourly_fail")))
        return -1;
    for (h = 0; h < HOURS; h++) {
        uint64_t c = (uint64_t)u->s[h] + u->f[h];
        if (!cJSON_AddItemToArray(ms, c ? cJSON_CreateNumber((double)((u->ms[h] + c / 2) / c))
                                        : cJSON_CreateNull()) ||
            !cJSON_AddItemToArray(fl, cJSON_CreateNumber(u->f[h])))
            return -1;
    }
    return 0;
}

static void dash_clear(struct dash *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        cJSON_Delete(d->u[i].obj);
        cJSON_Delete(d->u[i].latest);
        free(d->u[i].times);
    }
    free(d->u);
}

static int add_time(cJSON *o, const char *name, int64_t ms)
{
    MYSQL_TIME t;
    char text[40];

    sqlq_time(ms, false, &t);
    snprintf(text, sizeof(text), "%04u-%02u-%02u %02u:%02u:%02u.%03lu", t.year, t.month, t.day,
             t.hour, t.minute, t.second, t.second_part / 1000);
    return qjson_time(o, name, text);
}

static int build_urls(struct qctx *q)
{
    struct dash d = {NULL, 0, 0};
    int64_t hour0 = (q->now_ms / MS_HOUR - (HOURS - 1)) * MS_HOUR;
    int64_t day0 = (q->now_ms / WINDOW_DAY_MS - (SERIES_DAYS - 1)) * WINDOW_DAY_MS;
    MYSQL_TIME th, td;
    MYSQL_BIND b[2];
    cJSON *items;
    size_t i;
    int rc;

    if ((rc = sqlq_run(q->conn, urls_sql, NULL, 0, url_row, &d, NULL, q->err, sizeof(q->err))) ||
        (rc = sqlq_run(q->conn, latest_sql, NULL, 0, latest_row, &d, NULL, q->err, sizeof(q->err))))
        goto out;
    sqlq_time(hour0, false, &th);
    sqlq_bind_time(&b[0], &th);
    sqlq_bind_time(&b[1], &th);
    if ((rc = sqlq_run_nums(q->conn, hourly_sql, b, 2, hourly_row, &d, q->err, sizeof(q->err))))
        goto out;
    sqlq_time(day0, true, &td);
    sqlq_bind_time(&b[0], &td);
    sqlq_bind_time(&b[1], &td);
    if ((rc = sqlq_run_nums(q->conn, daily_sql, b, 2, daily_row, &d, q->err, sizeof(q->err))))
        goto out;
    rc = QRES_ERR;
    if (!(q->root = cJSON_CreateObject()) || add_time(q->root, "generated_at", q->now_ms) != 0 ||
        add_time(q->root, "first_hour", hour0) != 0 ||
        !(items = cJSON_AddArrayToObject(q->root, "items"))) {
        oom(q->err, sizeof(q->err));
        goto out;
    }
    for (i = 0; i < d.n; i++) {
        if (finish_url(&d.u[i]) != 0 || !cJSON_AddItemToArray(items, d.u[i].obj)) {
            oom(q->err, sizeof(q->err));
            goto out;
        }
        d.u[i].obj = NULL;
    }
    q->status = 200;
    rc = QRES_OK;
out:
    dash_clear(&d);
    return rc;
}

/* p50/p95 of every active URL: read apart from /dashboard/urls because the successful
 * checks of 24 h are most of the work (1.4 million rows at 10,000 URLs, seconds), so
 * the page can draw the table first and fill these in. */
static int build_percentiles(struct qctx *q)
{
    struct dash d = {NULL, 0, 0};
    uint64_t first_run = 0;
    MYSQL_TIME since;
    MYSQL_BIND b[2];
    cJSON *items;
    size_t i;
    int rc;

    if ((rc = sqlq_run_nums(q->conn, ids_sql, NULL, 0, id_row, &d, q->err, sizeof(q->err))))
        goto out;
    sqlq_time(q->now_ms - WINDOW_DAY_MS, false, &since);
    sqlq_bind_time(&b[0], &since);
    if ((rc = sqlq_run_nums(q->conn, first_run_sql, b, 1, first_run_row, &first_run, q->err,
                            sizeof(q->err))))
        goto out;
    sqlq_bind_u64(&b[0], &first_run);
    sqlq_bind_time(&b[1], &since);
    if ((rc = sqlq_run_nums(q->conn, times_sql, b, 2, time_row, &d, q->err, sizeof(q->err))))
        goto out;
    rc = QRES_ERR;
    if (!(q->root = cJSON_CreateObject()) || add_time(q->root, "generated_at", q->now_ms) != 0 ||
        !(items = cJSON_AddArrayToObject(q->root, "items"))) {
        oom(q->err, sizeof(q->err));
        goto out;
    }
    for (i = 0; i < d.n; i++) {
        struct dash_url *u = &d.u[i];
        cJSON *o = cJSON_CreateObject();
        char digits[24];

        if (u->ntimes > 1) /* times is NULL without any */
            qsort(u->times, u->ntimes, sizeof(*u->times), cmp_u32);
        snprintf(digits, sizeof(digits), "%llu", (unsigned long long)u->id);
        if (!o || !cJSON_AddItemToArray(items, o) || qjson_raw(o, "id", digits) != 0 ||
            !cJSON_AddItemToObject(o, "p50", percentile(u->times, u->ntimes, 50)) ||
            !cJSON_AddItemToObject(o, "p95", percentile(u->times, u->ntimes, 95)) ||
            !cJSON_AddNumberToObject(o, "samples", (double)u->ntimes)) {
            oom(q->err, sizeof(q->err));
            goto out;
        }
    }
    q->status = 200;
    rc = QRES_OK;
out:
    dash_clear(&d);
    return rc;
}

/* ---- answers kept between requests ------------------------------------------------
 * Both answers above change only when checks are written (the compute job adds to
 * rollup_hourly_total in the same transaction as every check, and counts only grow), when
 * a URL is added, changed or removed, or when their window moves. So each is kept in
 * process with a fingerprint of those (the totals of the past 30 days' hours, the URL
 * count, highest id, active count and latest update, and the window: the hour for
 * /dashboard/urls, the minute for /dashboard/percentiles, whose 24 h slide with time) and
 * served again, byte for byte, while the fingerprint is the same. A refreshing page thus
 * costs one small query until the next run. */
static const char fingerprint_sql[] =
    "SELECT CONCAT(COUNT(*), ',', COALESCE(SUM(success_count), 0), ',',"
    " COALESCE(SUM(fail_count), 0)) FROM rollup_hourly_total WHERE bucket >= ?"
    " UNION ALL SELECT CONCAT(COUNT(*), ',', COALESCE(MAX(id), 0), ',', COALESCE(SUM(active), 0),"
    " ',', COALESCE(MAX(updated_at), '')) FROM urls";

struct memo {
    pthread_mutex_t mu;
    char key[256];
    char *body; /* the answer's JSON text, NULL until the first */
};

static struct memo memo_urls = {PTHREAD_MUTEX_INITIALIZER, "", NULL};
static struct memo memo_pct = {PTHREAD_MUTEX_INITIALIZER, "", NULL};

static int fp_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    char *key = arg;
    size_t n = strlen(key);

    snprintf(key + n, 256 - n, "|%s", row->val[0] ? row->val[0] : "");
    return 0;
}

/* Answers q from m while the fingerprint holds, else builds the answer and keeps it. */
static int memoized(struct qctx *q, struct memo *m, int64_t window, int (*build)(struct qctx *q))
{
    int64_t day0 = (q->now_ms / WINDOW_DAY_MS - (SERIES_DAYS - 1)) * WINDOW_DAY_MS;
    char key[256], *text = NULL;
    MYSQL_TIME td;
    MYSQL_BIND b[1];
    int rc;

    snprintf(key, sizeof(key), "%lld", (long long)window);
    sqlq_time(day0, false, &td);
    sqlq_bind_time(&b[0], &td);
    if ((rc = sqlq_run(q->conn, fingerprint_sql, b, 1, fp_row, key, NULL, q->err,
                       sizeof(q->err))) != 0)
        return rc;
    pthread_mutex_lock(&m->mu);
    if (m->body && strcmp(m->key, key) == 0)
        q->root = cJSON_CreateRaw(m->body);
    pthread_mutex_unlock(&m->mu);
    if (q->root) {
        q->status = 200;
        return QRES_OK;
    }
    if ((rc = build(q)) != QRES_OK || q->status != 200)
        return rc;
    if (!(text = cJSON_PrintUnformatted(q->root))) {
        oom(q->err, sizeof(q->err));
        return QRES_ERR;
    }
    cJSON_Delete(q->root);
    if (!(q->root = cJSON_CreateRaw(text))) {
        cJSON_free(text);
        oom(q->err, sizeof(q->err));
        return QRES_ERR;
    }
    pthread_mutex_lock(&m->mu);
    cJSON_free(m->body);
    m->body = text;
    snprintf(m->key, sizeof(m->key), "%s", key);
    pthread_mutex_unlock(&m->mu);
    return QRES_OK;
}

int dashq_urls(struct qctx *q)
{
    return memoized(q, &memo_urls, q->now_ms / MS_HOUR, build_urls);
}

int dashq_percentiles(struct qctx *q)
{
    return memoized(q, &memo_pct, q->now_ms / 60000, build_percentiles);
}

/* One URL's series: n buckets of success, fail and the response-time sum. */
struct series {
    unsigned n;
    uint64_t (*v)[3];
};

static int series_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct series *s = arg;

    if (v[0] < s->n) {
        s->v[v[0]][0] += v[1];
        s->v[v[0]][1] += v[2];
        s->v[v[0]][2] += v[3];
    }
    return 0;
}

static int found_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    *(int *)arg = 1;
    return 0;
}

static int series_json(cJSON *root, const char *name, const char *key, const struct series *s,
                       int64_t start_ms, int64_t step_ms)
{
    cJSON *arr = cJSON_AddArrayToObject(root, name);
    unsigned i;

    if (!arr)
        return -1;
    for (i = 0; i < s->n; i++) {
        cJSON *o = cJSON_CreateObject();
        uint64_t c = s->v[i][0] + s->v[i][1];
        if (!o || !cJSON_AddItemToArray(arr, o) || add_time(o, key, start_ms + i * step_ms) != 0 ||
            !cJSON_AddNumberToObject(o, "success", (double)s->v[i][0]) ||
            !cJSON_AddNumberToObject(o, "fail", (double)s->v[i][1]) ||
            !cJSON_AddItemToObject(o, "avg_ms",
                                   c ? cJSON_CreateNumber((double)((s->v[i][2] + c / 2) / c))
                                     : cJSON_CreateNull()))
            return -1;
    }
    return 0;
}

int dashq_url(struct qctx *q)
{
    uint64_t hv[SERIES_HOURS][3], dv[SERIES_DAYS][3], id = q->r->url_id;
    struct series hs = {SERIES_HOURS, hv}, ds = {SERIES_DAYS, dv};
    int64_t hour0 = (q->now_ms / MS_HOUR - (SERIES_HOURS - 1)) * MS_HOUR;
    int64_t day0 = (q->now_ms / WINDOW_DAY_MS - (SERIES_DAYS - 1)) * WINDOW_DAY_MS;
    MYSQL_TIME th, td;
    MYSQL_BIND b[3];
    int rc, found = 0;
    char digits[24];

    memset(hv, 0, sizeof(hv));
    memset(dv, 0, sizeof(dv));
    sqlq_bind_u64(&b[0], &id);
    if ((rc = sqlq_run(q->conn, exists_sql, b, 1, found_row, &found, NULL, q->err,
                       sizeof(q->err))) != 0)
        return rc;
    if (!found)
        return qjson_error(q, 404, "id: no such URL");
    sqlq_time(hour0, false, &th);
    sqlq_bind_time(&b[0], &th);
    sqlq_bind_u64(&b[1], &id);
    sqlq_bind_time(&b[2], &th);
    if ((rc = sqlq_run_nums(q->conn, url_hourly_sql, b, 3, series_row, &hs, q->err,
                            sizeof(q->err))) != 0)
        return rc;
    sqlq_time(day0, true, &td);
    sqlq_bind_time(&b[0], &td);
    sqlq_bind_u64(&b[1], &id);
    sqlq_bind_time(&b[2], &td);
    if ((rc = sqlq_run_nums(q->conn, url_daily_sql, b, 3, series_row, &ds, q->err,
                            sizeof(q->err))) != 0)
        return rc;
    snprintf(digits, sizeof(digits), "%llu", (unsigned long long)id);
    if (!(q->root = cJSON_CreateObject()) || qjson_raw(q->root, "id", digits) != 0 ||
        add_time(q->root, "generated_at", q->now_ms) != 0 ||
        series_json(q->root, "hourly", "hour", &hs, hour0, MS_HOUR) != 0 ||
        series_json(q->root, "daily", "day", &ds, day0, WINDOW_DAY_MS) != 0) {
        oom(q->err, sizeof(q->err));
        return QRES_ERR;
    }
    q->status = 200;
    return QRES_OK;
}
