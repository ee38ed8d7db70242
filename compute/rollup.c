/* compute/rollup.c: see rollup.h. */
#include "rollup.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

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

/* Sorts rows and merges equal keys in place; returns the new count. Checks mostly come in
 * time order, URL by URL, so the hourly and total rows are often in order already: one
 * pass says so and spares the sort (urlmon-rollup over a day at 1M URLs: 24M rows). */
static size_t merge(struct rollup_row *rows, size_t n)
{
    size_t i, out = 0;

    for (i = 1; i < n && cmp_row(&rows[i - 1], &rows[i]) <= 0; i++)
        ;
    if (i < n)
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

static struct rollup *alloc_rows(size_t n)
{
    struct rollup *ru = calloc(1, sizeof(*ru));
    size_t k;

    if (!ru)
        return NULL;
    for (k = 0; k < 3; k++)
        if (!(ru->rows[k] = calloc(n ? n : 1, sizeof(struct rollup_row)))) {
            rollup_free(&ru);
            return NULL;
        }
    return ru;
}

/* The rollup rules, the only copy: a check counts in the UTC hour and the UTC day of
 * checked_at (before 1970 as 1970), for its URL and in the hour's all-URL total; an
 * unknown response time adds 0 to the sum. */
static void add_check(struct rollup *ru, size_t i, const struct rollup_check *c)
{
    int64_t ms = c->checked_at_ms < 0 ? 0 : c->checked_at_ms;
    uint64_t rms = c->response_ms == CHECK_MS_UNKNOWN ? 0 : c->response_ms;
    struct rollup_row row = {0, c->url_id, c->success ? c->count : 0, c->success ? 0 : c->count,
                             rms * c->count};

    row.bucket = ms / MS_HOUR;
    ru->rows[ROLLUP_HOURLY][i] = row;
    row.bucket = ms / MS_DAY;
    ru->rows[ROLLUP_DAILY][i] = row;
    row.bucket = ms / MS_HOUR;
    row.url_id = 0;
    row.response_ms_sum = 0;
    ru->rows[ROLLUP_HOURLY_TOTAL][i] = row;
}

static void finish(struct rollup *ru, size_t n)
{
    size_t k;

    for (k = 0; k < 3; k++)
        ru->n[k] = merge(ru->rows[k], n);
}

int rollup_build(const struct check_result *r, size_t n, struct rollup **out)
{
    struct rollup *ru;
    size_t i;

    if (!(*out = ru = alloc_rows(n)))
        return -1;
    for (i = 0; i < n; i++) {
        struct rollup_check c = {r[i].url_id, r[i].checked_at_ms, r[i].success, r[i].response_ms,
                                 1};
        add_check(ru, i, &c);
    }
    finish(ru, n);
    return 0;
}

int rollup_build_checks(const struct rollup_check *c, size_t n, struct rollup **out)
{
    struct rollup *ru;
    size_t i;

    if (!(*out = ru = alloc_rows(n)))
        return -1;
    for (i = 0; i < n; i++)
        add_check(ru, i, &c[i]);
    finish(ru, n);
    return 0;
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
    clock_utc_format(bucket * (daily ? 86400 : 3600) * 1000, daily ? CLOCK_UTC_DATE : CLOCK_UTC_SQL,
                     buf, len);
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

/* Appends v in decimal and a separator at p; returns the end. */
static char *put_field(char *p, uint64_t v, char sep)
{
    p = put_u64(p, v);
    *p++ = sep;
    return p;
}

int rollup_tsv(const struct rollup_row *row, enum rollup_kind k, char *buf, size_t len)
{
    /* Rows come sorted by bucket: the text of the last bucket is kept (per thread), so a
     * long file formats each hour once, and the numbers without printf (urlmon-rollup's
     * output at 1M URLs is 24M lines a day). */
    static _Thread_local int64_t last_bucket = -1;
    static _Thread_local bool last_daily;
    static _Thread_local char when[64];
    static _Thread_local size_t when_len;
    char line[64 + 4 * 21], *p;
    bool daily = k == ROLLUP_DAILY;
    size_t n;

    if (row->bucket != last_bucket || daily != last_daily) {
        bucket_text(row->bucket, daily, when, sizeof(when));
        when_len = strlen(when);
        last_bucket = row->bucket;
        last_daily = daily;
    }
    memcpy(line, when, when_len);
    p = line + when_len;
    *p++ = '\t';
    if (k != ROLLUP_HOURLY_TOTAL)
        p = put_field(p, row->url_id, '\t');
    p = put_field(p, row->success_count, '\t');
    if (k == ROLLUP_HOURLY_TOTAL)
        p = put_field(p, row->fail_count, '\n');
    else {
        p = put_field(p, row->fail_count, '\t');
        p = put_field(p, row->response_ms_sum, '\n');
    }
    n = (size_t)(p - line);
    if (n >= len)
        return -1;
    memcpy(buf, line, n);
    buf[n] = '\0';
    return (int)n;
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
