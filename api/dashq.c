/* api/dashq.c: the dashboard's data, read-only (GET /dashboard/urls,
 * /dashboard/percentiles; /dashboard/urls/{id} is in dashq_url.c).
 *
 * /dashboard/urls answers every active URL in one document, for the table: its state
 * (up/down/unknown, since when) and certificate expiry, its latest check, uptime over the past 24 h
 * / 7 d / 30 d counted in whole rollup buckets (the 24 hourly buckets up to the current hour; the 7
 * or 30 daily buckets up to today) and a 24-point series (mean response time and failures per hour)
 * for the sparkline. Five statements whatever the number of URLs; rows are streamed and summed
 * here, never grouped by MySQL (see docs/api.md, "Top lists", for why), and the sums of the past
 * hours and days are kept between builds while they cannot have changed ("settled
 * buckets" below).
 * /dashboard/percentiles answers p50/p95 of each active URL's successful checks over the
 * past 24 h (exactly as GET /urls/{id} computes them). */
#include "query_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

#define HOURS 24
#define SERIES_DAYS 30
#define MS_HOUR INT64_C(3600000)

/* The state is the alerting one (docs/alerting.md), written in the same transaction as the
 * checks that move it, so the fingerprint below (rollup_hourly_total) sees it change. The
 * days left of the certificate are not sent: they move with the clock, not with writes; the
 * page counts them from cert_expires_at as GET /urls does. */
static const char urls_sql[] = "SELECT id, name, url, regex IS NOT NULL, state, state_since,"
                               " cert_expires_at FROM urls WHERE active = 1 ORDER BY id";
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
/* A URL's sums over the buckets of its row: hours of the 24 (the last is the current
 * hour) and, for the days, the past days of the 30 (s7 .. f30) apart from today (st, ft). */
struct sums {
    uint32_t s[HOURS], f[HOURS];
    uint64_t ms[HOURS];
    uint64_t s7, f7, s30, f30;
};

struct dash_url {
    uint64_t id;
    cJSON *obj; /* id, name, url, has_regex, state, since, cert_expires_at; the rest is added at the
                   end (NULL: ids only) */
    cJSON *latest;
    struct sums sum;
    uint64_t st, ft; /* today */
    uint32_t *times;
    size_t ntimes, cap;
};

struct dash {
    struct dash_url *u;
    size_t n, cap;
    size_t hint; /* where the last find() found its URL */
};

static int oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* The URL with this id (u[] is in id order). Rows come in id order within a bucket (the
 * rollups' primary key is bucket, url_id; the checks' url_id, checked_at, run_id), so the
 * URL after the last one found is tried first: the binary search runs once per bucket, not
 * per row. */
static struct dash_url *find(struct dash *d, uint64_t id)
{
    size_t lo = 0, hi = d->n, h = d->hint;

    if (h < d->n && d->u[h].id == id)
        return &d->u[h];
    if (h + 1 < d->n && d->u[h + 1].id == id)
        return &d->u[d->hint = h + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->u[mid].id == id)
            return &d->u[d->hint = mid];
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
        qjson_bool(u->obj, "has_regex", row->val[3]) != 0 ||
        qjson_str(u->obj, "state", row->val[4]) != 0 ||
        qjson_time(u->obj, "since", row->val[5]) != 0 ||
        qjson_time(u->obj, "cert_expires_at", row->val[6]) != 0) {
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
        u->sum.s[v[1]] += (uint32_t)v[2];
        u->sum.f[v[1]] += (uint32_t)v[3];
        u->sum.ms[v[1]] += v[4];
    }
    return 0;
}

static int daily_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct dash_url *u = find(arg, v[0]);

    /* v[1] = days after the first of the 30; the last is today, the last 7 the week */
    if (!u || v[1] >= SERIES_DAYS)
        return 0;
    if (v[1] == SERIES_DAYS - 1) {
        u->st += v[2];
        u->ft += v[3];
        return 0;
    }
    u->sum.s30 += v[2];
    u->sum.f30 += v[3];
    if (v[1] >= SERIES_DAYS - 7) {
        u->sum.s7 += v[2];
        u->sum.f7 += v[3];
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

/* Percentage with three decimals, as GET /urls/{id}; null without checks. Written as
 * text (the thousandths in decimal, trailing zeros dropped), which reads back as the
 * same double as GET /urls/{id}'s round(100000 s / (s + f)) / 1000. */
static cJSON *pct(uint64_t s, uint64_t f)
{
    static const uint64_t pow10[] = {1, 10, 100, 1000};
    char text[32], *p;
    uint64_t k, frac;
    int d = 3, i;

    if (s + f == 0)
        return cJSON_CreateNull();
    k = (uint64_t)round(100000.0 * (double)s / (double)(s + f));
    while (d > 0 && k % 10 == 0) {
        k /= 10;
        d--;
    }
    p = put_u64(text, k / pow10[d]);
    if (d > 0) {
        *p++ = '.';
        for (i = d - 1, frac = k % pow10[d]; i >= 0; i--, frac /= 10)
            p[i] = (char)('0' + frac % 10);
        p += d;
    }
    *p = '\0';
    return cJSON_CreateRaw(text);
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

/* The two 24-point series as JSON arrays of integers, written here: 480,000 numbers at
 * 10,000 URLs, which cJSON would print as doubles (printf, then sscanf to check). */
static int add_series(cJSON *o, const struct sums *u)
{
    char ms[HOURS * 21 + 3], fl[HOURS * 11 + 3], *p = ms, *q = fl;
    size_t h;

    *p++ = '[';
    *q++ = '[';
    for (h = 0; h < HOURS; h++) {
        uint64_t c = (uint64_t)u->s[h] + u->f[h];
        if (h > 0) {
            *p++ = ',';
            *q++ = ',';
        }
        if (c) {
            p = put_u64(p, (u->ms[h] + c / 2) / c);
        } else {
            memcpy(p, "null", 4);
            p += 4;
        }
        q = put_u64(q, u->f[h]);
    }
    *p++ = ']';
    *q++ = ']';
    *p = *q = '\0';
    return cJSON_AddRawToObject(o, "hourly_ms", ms) && cJSON_AddRawToObject(o, "hourly_fail", fl)
               ? 0
               : -1;
}

static int finish_url(struct dash_url *u)
{
    cJSON *o = u->obj, *up;
    uint64_t s24 = 0, f24 = 0;
    size_t h;

    for (h = 0; h < HOURS; h++) {
        s24 += u->sum.s[h];
        f24 += u->sum.f[h];
    }
    cJSON_AddItemToObject(o, "last_check", u->latest ? u->latest : cJSON_CreateNull());
    u->latest = NULL;
    if (!(up = cJSON_AddObjectToObject(o, "uptime")) ||
        !cJSON_AddItemToObject(up, "24h", pct(s24, f24)) ||
        !cJSON_AddItemToObject(up, "7d", pct(u->sum.s7 + u->st, u->sum.f7 + u->ft)) ||
        !cJSON_AddItemToObject(up, "30d", pct(u->sum.s30 + u->st, u->sum.f30 + u->ft)))
        return -1;
    return add_series(o, &u->sum);
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

/* ---- settled buckets ------------------------------------------------------------
 * After each compute run /dashboard/urls is built again, yet most of what it sums has
 * not changed: checks go into the current hour's and today's rollups. So each URL's
 * sums over the 23 past hours and the 29 past days (struct sums with the current hour
 * and today left out) are kept with a fingerprint of those buckets: their window and the
 * count and sums of rollup_hourly_total over them, which every write to them changes
 * (the job adds to it in the same transaction as each check, a spool replayed late
 * included; counts only grow, and rollup retention is over 30 days). While it holds, only
 * the current hour's and today's rows are read (20,000 rows at 10,000 URLs, not
 * 540,000). A URL the kept sums do not cover (new, or active again) makes that part read
 * in full, and kept again. */
static const char settled_sql[] =
    "SELECT CONCAT(COUNT(*), ',', COALESCE(SUM(success_count), 0), ',',"
    " COALESCE(SUM(fail_count), 0)) FROM rollup_hourly_total WHERE bucket >= ? AND bucket < ?"
    " UNION ALL SELECT CONCAT(COUNT(*), ',', COALESCE(SUM(success_count), 0), ',',"
    " COALESCE(SUM(fail_count), 0)) FROM rollup_hourly_total WHERE bucket >= ? AND bucket < ?";

struct settled {
    pthread_mutex_t mu;
    char hkey[96], dkey[96]; /* what the hours and the days of sums[] hold ("": nothing) */
    size_t n;
    uint64_t *ids; /* in id order */
    struct sums *sums;
};

static struct settled settled = {PTHREAD_MUTEX_INITIALIZER, "", "", 0, NULL, NULL};

struct settled_keys {
    char k[2][96]; /* hours, days */
    int i;
};

static int settled_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    struct settled_keys *sk = arg;

    if (sk->i < 2) {
        size_t n = strlen(sk->k[sk->i]);
        snprintf(sk->k[sk->i] + n, sizeof(sk->k[0]) - n, "|%s", row->val[0] ? row->val[0] : "");
    }
    sk->i++;
    return 0;
}

/* When both keys are the same as the kept sums' and those cover every URL of d, copies
 * them into d and returns true. */
static bool settled_get(struct dash *d, const struct settled_keys *sk)
{
    bool kept;
    size_t i, j = 0;

    pthread_mutex_lock(&settled.mu);
    kept =
        settled.sums && strcmp(settled.hkey, sk->k[0]) == 0 && strcmp(settled.dkey, sk->k[1]) == 0;
    for (i = 0; i < d->n && kept; i++) {
        while (j < settled.n && settled.ids[j] < d->u[i].id)
            j++;
        if (j == settled.n || settled.ids[j] != d->u[i].id)
            kept = false; /* not covered (new, or active again) */
        else
            d->u[i].sum = settled.sums[j];
    }
    pthread_mutex_unlock(&settled.mu);
    if (!kept)
        for (i = 0; i < d->n; i++)
            memset(&d->u[i].sum, 0, sizeof(d->u[i].sum));
    return kept;
}

/* Keeps d's sums without the current hour (today is apart already). */
static void settled_put(const struct dash *d, const struct settled_keys *sk)
{
    uint64_t *ids = malloc((d->n ? d->n : 1) * sizeof(*ids));
    struct sums *sums = malloc((d->n ? d->n : 1) * sizeof(*sums));
    size_t i;

    if (!ids || !sums) {
        free(ids);
        free(sums);
        return; /* out of memory: the next build reads in full */
    }
    for (i = 0; i < d->n; i++) {
        ids[i] = d->u[i].id;
        sums[i] = d->u[i].sum;
        sums[i].s[HOURS - 1] = sums[i].f[HOURS - 1] = 0;
        sums[i].ms[HOURS - 1] = 0;
    }
    pthread_mutex_lock(&settled.mu);
    free(settled.ids);
    free(settled.sums);
    settled.ids = ids;
    settled.sums = sums;
    settled.n = d->n;
    snprintf(settled.hkey, sizeof(settled.hkey), "%s", sk->k[0]);
    snprintf(settled.dkey, sizeof(settled.dkey), "%s", sk->k[1]);
    pthread_mutex_unlock(&settled.mu);
}

static int build_urls(struct qctx *q)
{
    struct dash d = {NULL, 0, 0, 0};
    int64_t hour0 = (q->now_ms / MS_HOUR - (HOURS - 1)) * MS_HOUR,
            hour_now = q->now_ms / MS_HOUR * MS_HOUR;
    int64_t day0 = (q->now_ms / WINDOW_DAY_MS - (SERIES_DAYS - 1)) * WINDOW_DAY_MS;
    int64_t today = q->now_ms / WINDOW_DAY_MS * WINDOW_DAY_MS;
    struct settled_keys sk;
    MYSQL_TIME th, thn, td, ttd;
    MYSQL_BIND b[4];
    bool kept;
    cJSON *items;
    size_t i;
    int rc;

    memset(&sk, 0, sizeof(sk));
    snprintf(sk.k[0], sizeof(sk.k[0]), "%lld", (long long)hour0);
    snprintf(sk.k[1], sizeof(sk.k[1]), "%lld", (long long)day0);
    sqlq_time(hour0, false, &th);
    sqlq_time(hour_now, false, &thn);
    sqlq_time(day0, true, &td);
    sqlq_time(today, true, &ttd);
    sqlq_bind_time(&b[0], &th);
    sqlq_bind_time(&b[1], &thn);
    sqlq_bind_time(&b[2], &td);
    sqlq_bind_time(&b[3], &ttd);
    if ((rc = sqlq_run(q->conn, urls_sql, NULL, 0, url_row, &d, NULL, q->err, sizeof(q->err))) ||
        (rc = sqlq_run(q->conn, latest_sql, NULL, 0, latest_row, &d, NULL, q->err,
                       sizeof(q->err))) ||
        (rc = sqlq_run(q->conn, settled_sql, b, 4, settled_row, &sk, NULL, q->err, sizeof(q->err))))
        goto out;
    kept = settled_get(&d, &sk); /* then only the current hour and today are read */
    sqlq_bind_time(&b[0], &th);
    sqlq_bind_time(&b[1], kept ? &thn : &th);
    if ((rc = sqlq_run_nums(q->conn, hourly_sql, b, 2, hourly_row, &d, q->err, sizeof(q->err))))
        goto out;
    sqlq_bind_time(&b[0], &td);
    sqlq_bind_time(&b[1], kept ? &ttd : &td);
    if ((rc = sqlq_run_nums(q->conn, daily_sql, b, 2, daily_row, &d, q->err, sizeof(q->err))))
        goto out;
    if (!kept)
        settled_put(&d, &sk);
    rc = QRES_ERR;
    if (!(q->root = cJSON_CreateObject()) ||
        qjson_time_ms(q->root, "generated_at", q->now_ms) != 0 ||
        qjson_time_ms(q->root, "first_hour", hour0) != 0 ||
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
    struct dash d = {NULL, 0, 0, 0};
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
    if (!(q->root = cJSON_CreateObject()) ||
        qjson_time_ms(q->root, "generated_at", q->now_ms) != 0 ||
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
