/* compute/rollup_tool.c: urlmon-rollup, the rollup rules of compute/rollup.c for data
 * that did not come through the job (test fixtures, benchmark data sets, a rebuild
 * from raw checks), so no script keeps a copy of the rules.
 *
 *   urlmon-rollup              < checks.tsv > upserts.sql
 *   urlmon-rollup --tsv DIR    < checks.tsv
 *
 * Input, one check per line: url_id TAB checked_at_ms TAB success(0/1) TAB response_ms
 * (\N or empty: unknown) [TAB count (that many equal checks; default 1)].
 * The default output is the job's own upserts (rollup_sql, the statements the writer
 * runs), each ended by ";". With --tsv, DIR/rollup_hourly.tsv, rollup_daily.tsv and
 * rollup_hourly_total.tsv hold the complete rows for LOAD DATA; the input must then
 * come in UTC-day order (each day is aggregated whole). */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchsql.h"
#include "rollup.h"
#include "sqlbuf.h"

#define MS_DAY 86400000LL
#define SQL_CHUNK 200000 /* checks per aggregation in SQL mode (upserts add up) */

struct out {
    FILE *tsv[3]; /* --tsv: one file per kind; else NULL and SQL to stdout */
    struct sqlbuf *buf;
};

static const char *const tsv_names[] = {"rollup_hourly.tsv", "rollup_daily.tsv",
                                        "rollup_hourly_total.tsv"};

static int emit(struct out *o, const struct rollup_check *c, size_t n)
{
    static const enum rollup_kind kinds[] = {ROLLUP_HOURLY, ROLLUP_DAILY, ROLLUP_HOURLY_TOTAL};
    struct rollup *ru = NULL;
    char line[256];
    size_t k, i, from;
    long got;
    int rc = -1;

    if (n == 0)
        return 0;
    if (rollup_build_checks(c, n, &ru) != 0)
        goto out;
    for (k = 0; k < 3; k++) {
        const struct rollup_row *rows = rollup_rows(ru, kinds[k]);
        if (o->tsv[0]) {
            for (i = 0; i < rollup_count(ru, kinds[k]); i++) {
                int len = rollup_tsv(&rows[i], kinds[k], line, sizeof(line));
                if (len < 0 || fwrite(line, 1, (size_t)len, o->tsv[k]) != (size_t)len)
                    goto out;
            }
            continue;
        }
        for (from = 0; (got = rollup_sql(o->buf, ru, kinds[k], from, BATCHSQL_MAX_BYTES)) != 0;
             from += (size_t)got) {
            if (got < 0 || printf("%s;\n", sqlbuf_str(o->buf)) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    rollup_free(&ru);
    return rc;
}

/* An unsigned decimal field ending at a tab, newline or NUL; advances *p past it. */
static int field_u64(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;

    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    if (*s != '\t' && *s != '\n' && *s != '\r' && *s != '\0')
        return -1;
    *p = s;
    *v = x;
    return 0;
}

static bool field_end(const char *s)
{
    return *s == '\0' || *s == '\n' || (*s == '\r' && (s[1] == '\n' || s[1] == '\0'));
}

/* One input line into *c; 0, or -1 when it is malformed. */
static int parse(const char *p, struct rollup_check *c)
{
    uint64_t v;

    if (field_u64(&p, &c->url_id) != 0 || *p++ != '\t' || field_u64(&p, &v) != 0 || v > INT64_MAX ||
        *p++ != '\t')
        return -1;
    c->checked_at_ms = (int64_t)v;
    if ((p[0] != '0' && p[0] != '1') || p[1] != '\t')
        return -1;
    c->success = p[0] == '1';
    p += 2;
    if (*p == '\t' || field_end(p))
        c->response_ms = CHECK_MS_UNKNOWN; /* empty */
    else if (strncmp(p, "\\N", 2) == 0 || strncmp(p, "NULL", 4) == 0) {
        c->response_ms = CHECK_MS_UNKNOWN;
        p += p[0] == '\\' ? 2 : 4;
    } else {
        if (field_u64(&p, &v) != 0 || v >= CHECK_MS_UNKNOWN)
            return -1;
        c->response_ms = (uint32_t)v;
    }
    c->count = 1;
    if (*p == '\t') {
        p++;
        if (field_u64(&p, &v) != 0 || v > UINT32_MAX)
            return -1;
        c->count = (uint32_t)v;
    }
    return field_end(p) ? 0 : -1;
}

static int64_t day_of(int64_t ms)
{
    return (ms < 0 ? 0 : ms) / MS_DAY;
}

int main(int argc, char **argv)
{
    struct out o = {{NULL, NULL, NULL}, NULL};
    struct rollup_check *c = NULL;
    size_t n = 0, cap = 0, k;
    unsigned long lineno = 0;
    char *line = NULL;
    size_t linecap = 0;
    int64_t day = -1;
    int rc = 1;

    /* Each day's buffers are freed and allocated again: keep them on the heap instead of
     * fresh mmap'd (and zero-filled) pages every time. */
    mallopt(M_MMAP_THRESHOLD, 512 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
    if (argc == 3 && strcmp(argv[1], "--tsv") == 0) {
        for (k = 0; k < 3; k++) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[2], tsv_names[k]);
            if (!(o.tsv[k] = fopen(path, "w"))) {
                fprintf(stderr, "urlmon-rollup: cannot write %s: %s\n", path, strerror(errno));
                goto out;
            }
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: urlmon-rollup [--tsv DIR] < checks.tsv\n"
                        "  input: url_id TAB checked_at_ms TAB success TAB response_ms "
                        "[TAB count]\n");
        goto out;
    }
    if (sqlbuf_new(&o.buf) != 0)
        goto oom;
    while (getline(&line, &linecap, stdin) >= 0) {
        struct rollup_check one;
        lineno++;
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        if (parse(line, &one) != 0) {
            fprintf(stderr,
                    "urlmon-rollup: line %lu: not url_id, checked_at_ms, success, "
                    "response_ms[, count]\n",
                    lineno);
            goto out;
        }
        if (day >= 0 && day_of(one.checked_at_ms) != day) {
            if (o.tsv[0] && day_of(one.checked_at_ms) < day) {
                fprintf(stderr, "urlmon-rollup: line %lu: --tsv needs the checks in day order\n",
                        lineno);
                goto out;
            }
            if (emit(&o, c, n) != 0)
                goto fail;
            n = 0;
        } else if (!o.tsv[0] && n >= SQL_CHUNK) {
            if (emit(&o, c, n) != 0)
                goto fail;
            n = 0;
        }
        day = day_of(one.checked_at_ms);
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            struct rollup_check *nc = realloc(c, ncap * sizeof(*c));
            if (!nc)
                goto oom;
            c = nc;
            cap = ncap;
        }
        c[n++] = one;
    }
    if (ferror(stdin)) {
        fprintf(stderr, "urlmon-rollup: reading: %s\n", strerror(errno));
        goto out;
    }
    if (emit(&o, c, n) != 0)
        goto fail;
    rc = 0;
    goto out;
oom:
    fprintf(stderr, "urlmon-rollup: out of memory\n");
    goto out;
fail:
    fprintf(stderr, "urlmon-rollup: writing failed: %s\n", strerror(errno));
out:
    for (k = 0; k < 3; k++)
        if (o.tsv[k] && fclose(o.tsv[k]) != 0 && rc == 0) {
            fprintf(stderr, "urlmon-rollup: writing %s failed\n", tsv_names[k]);
            rc = 1;
        }
    if (fflush(stdout) != 0 && rc == 0)
        rc = 1;
    sqlbuf_free(&o.buf);
    free(c);
    free(line);
    return rc;
}
