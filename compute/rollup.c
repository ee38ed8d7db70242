/* compute/rollup.c: see rollup.h. */
#include "rollup.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MS_HOUR 3600000LL
#define MS_DAY 86400000LL

struct rollup {
    struct rollup_row *rows[3];
    size_t n[3];
};

static int cmp_row(const void *a, const void *b)
{
    const struct rollup_row *x = a, *y = b;

    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    if (x->url_id != y->url_id)
        return x->url_id < y->url_id ? -1 : 1;
    return 0;
}

/* Sorts rows and merges equal keys in place; returns the new count. */
static size_t merge(struct rollup_row *rows, size_t n)
{
    size_t i, out = 0;

    qsort(rows, n, sizeof(*rows), cmp_row);
    for (i = 0; i < n; i++) {
        if (out > 0 && cmp_row(&rows[out - 1], &rows[i]) == 0) {
            rows[out - 1].success_count += rows[i].success_count;
            rows[out - 1].fail_count += rows[i].fail_count;
            rows[out - 1].response_ms_sum += rows[i].response_ms_sum;
        } else
            rows[out++] = rows[i];
    }
    return out;
}

int rollup_build(const struct check_result *r, size_t n, struct rollup **out)
{
    struct rollup *ru = calloc(1, sizeof(*ru));
    size_t i, k;
    int rc = -1;

    *out = NULL;
    if (!ru)
        goto out;
    for (k = 0; k < 3; k++)
        if (!(ru->rows[k] = calloc(n ? n : 1, sizeof(struct rollup_row))))
            goto out;
    for (i = 0; i < n; i++) {
        int64_t ms = r[i].checked_at_ms < 0 ? 0 : r[i].checked_at_ms;
        uint64_t rms = r[i].response_ms == CHECK_MS_UNKNOWN ? 0 : r[i].response_ms;
        struct rollup_row row = {0, r[i].url_id, r[i].success ? 1 : 0, r[i].success ? 0 : 1, rms};

        row.bucket = ms / MS_HOUR;
        ru->rows[ROLLUP_HOURLY][i] = row;
        row.bucket = ms / MS_DAY;
        ru->rows[ROLLUP_DAILY][i] = row;
        row.bucket = ms / MS_HOUR;
        row.url_id = 0;
        row.response_ms_sum = 0;
        ru->rows[ROLLUP_HOURLY_TOTAL][i] = row;
    }
    for (k = 0; k < 3; k++)
        ru->n[k] = merge(ru->rows[k], n);
    *out = ru;
    ru = NULL;
    rc = 0;
out:
    rollup_free(&ru);
    return rc;
}

void rollup_free(struct rollup **ru)
{
    size_t k;

    if (!ru || !*ru)
        return;
    for (k = 0; k < 3; k++)
        free((*ru)->rows[k]);
    free(*ru);
    *ru = NULL;
}

size_t rollup_count(const struct rollup *ru, enum rollup_kind k)
{
    return ru->n[k];
}

const struct rollup_row *rollup_rows(const struct rollup *ru, enum rollup_kind k)
{
    return ru->rows[k];
}

/* 'YYYY-MM-DD HH:00:00' for an hour bucket, 'YYYY-MM-DD' for a day bucket. */
static void bucket_text(int64_t bucket, bool daily, char *buf, size_t len)
{
    time_t secs = (time_t)(bucket * (daily ? 86400 : 3600));
    struct tm tm;

    gmtime_r(&secs, &tm);
    if (daily)
        snprintf(buf, len, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    else
        snprintf(buf, len, "%04d-%02d-%02d %02d:00:00", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour);
}

static const char *const heads[] = {
    "INSERT INTO rollup_hourly (bucket,url_id,success_count,fail_count,response_ms_sum) VALUES ",
    "INSERT INTO rollup_daily (bucket,url_id,success_count,fail_count,response_ms_sum) VALUES ",
    "INSERT INTO rollup_hourly_total (bucket,success_count,fail_count) VALUES ",
};
static const char per_url_tail[] = " ON DUPLICATE KEY UPDATE"
                                   " success_count = success_count + VALUES(success_count),"
                                   " fail_count = fail_count + VALUES(fail_count),"
                                   " response_ms_sum = response_ms_sum + VALUES(response_ms_sum)";
static const char total_tail[] = " ON DUPLICATE KEY UPDATE"
                                 " success_count = success_count + VALUES(success_count),"
                                 " fail_count = fail_count + VALUES(fail_count)";

static int append_row(struct sqlbuf *b, enum rollup_kind k, const struct rollup_row *row)
{
    char when[64];

    bucket_text(row->bucket, k == ROLLUP_DAILY, when, sizeof(when));
    if (k == ROLLUP_HOURLY_TOTAL)
        return sqlbuf_printf(b, "('%s',%" PRIu64 ",%" PRIu64 ")", when, row->success_count,
                             row->fail_count);
    return sqlbuf_printf(b, "('%s',%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ")", when,
                         row->url_id, row->success_count, row->fail_count, row->response_ms_sum);
}

long rollup_sql(struct sqlbuf *b, const struct rollup *ru, enum rollup_kind k, size_t from,
                size_t max_bytes)
{
    size_t i, before;

    sqlbuf_reset(b);
    if (from >= ru->n[k])
        return 0;
    if (sqlbuf_append(b, heads[k]) != 0)
        return -1;
    for (i = from; i < ru->n[k]; i++) {
        before = sqlbuf_len(b);
        if ((i > from && sqlbuf_append(b, ",") != 0) || append_row(b, k, &ru->rows[k][i]) != 0)
            return -1;
        if (i > from && sqlbuf_len(b) + sizeof(per_url_tail) > max_bytes) {
            sqlbuf_truncate(b, before);
            break;
        }
    }
    if (sqlbuf_append(b, k == ROLLUP_HOURLY_TOTAL ? total_tail : per_url_tail) != 0)
        return -1;
    return (long)(i - from);
}
