/* api/dashq_url.c: one URL's series for its dashboard page (GET /dashboard/urls/{id}):
 * hourly buckets of the past 168 hours and daily ones of the past 30 days, from the
 * rollups. */
#include "query_int.h"

#include <stdio.h>
#include <string.h>

#include "window.h"

#define SERIES_HOURS 168
#define SERIES_DAYS 30
#define MS_HOUR INT64_C(3600000)

static const char exists_sql[] = "SELECT id FROM urls WHERE id = ?";
static const char url_hourly_sql[] =
    "SELECT TIMESTAMPDIFF(HOUR, ?, bucket), success_count, fail_count, response_ms_sum"
    " FROM rollup_hourly WHERE url_id = ? AND bucket >= ?";
static const char url_daily_sql[] =
    "SELECT DATEDIFF(bucket, ?), success_count, fail_count, response_ms_sum"
    " FROM rollup_daily WHERE url_id = ? AND bucket >= ?";

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
        if (!o || !cJSON_AddItemToArray(arr, o) ||
            qjson_time_ms(o, key, start_ms + i * step_ms) != 0 ||
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
        qjson_time_ms(q->root, "generated_at", q->now_ms) != 0 ||
        series_json(q->root, "hourly", "hour", &hs, hour0, MS_HOUR) != 0 ||
        series_json(q->root, "daily", "day", &ds, day0, WINDOW_DAY_MS) != 0) {
        snprintf(q->err, sizeof(q->err), "out of memory");
        return QRES_ERR;
    }
    q->status = 200;
    return QRES_OK;
}
