/* compute/loader.c: see loader.h. */
#include "loader.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "csv.h"
#include "db.h"
#include "log.h"
#include "qentry.h"
#include "urlstore.h"

struct columns {
    long name, url, regex, interval, fail_th, success_th; /* field index, -1 = absent */
    size_t count;                                         /* fields in the header */
    const struct qentry_bounds *bounds;
};

/* The header field, trimmed of spaces, equal to want (case-insensitive)? */
static bool header_is(const char *f, size_t len, const char *want)
{
    while (len > 0 && (*f == ' ' || *f == '\t')) {
        f++;
        len--;
    }
    while (len > 0 && (f[len - 1] == ' ' || f[len - 1] == '\t'))
        len--;
    return len == strlen(want) && strncasecmp(f, want, len) == 0;
}

static int read_header(struct csv *c, const char *path, struct columns *col, char *err,
                       size_t errlen)
{
    size_t i, len;
    int r;

    col->name = col->url = col->regex = col->interval = col->fail_th = col->success_th = -1;
    while ((r = csv_next(c)) == CSV_BAD)
        log_warn("%s: %s", path, csv_errstr(c));
    if (r != CSV_RECORD) {
        snprintf(err, errlen, "%s: %s", path,
                 r == CSV_END ? "is empty (expected a header line: name,url[,regex][,interval])"
                              : csv_errstr(c));
        return -1;
    }
    col->count = csv_nfields(c);
    for (i = 0; i < col->count; i++) {
        const char *f = csv_field(c, i, &len);
        long *slot = header_is(f, len, "name")                ? &col->name
                     : header_is(f, len, "url")               ? &col->url
                     : header_is(f, len, "regex")             ? &col->regex
                     : header_is(f, len, "interval")          ? &col->interval
                     : header_is(f, len, "fail_threshold")    ? &col->fail_th
                     : header_is(f, len, "success_threshold") ? &col->success_th
                                                              : NULL;
        if (!slot)
            log_warn("%s:%lu: column %zu (\"%.40s\") is not name, url, regex, interval, "
                     "fail_threshold or success_threshold: ignored",
                     path, csv_line(c), i + 1, f);
        else if (*slot >= 0) {
            snprintf(err, errlen, "%s:%lu: column \"%.40s\" appears twice in the header", path,
                     csv_line(c), f);
            return -1;
        } else
            *slot = (long)i;
    }
    if (col->name < 0 || col->url < 0) {
        snprintf(err, errlen,
                 "%s:%lu: missing header: the first line must name the columns name and url "
                 "(optionally regex and interval)",
                 path, csv_line(c));
        return -1;
    }
    return 0;
}

/* Validates the current record into e; on error err holds the reason. */
static int row_entry(struct csv *c, const struct columns *col, struct qentry *e, char *err,
                     size_t errlen)
{
    size_t nlen, ulen, rlen = 0, ilen, flen = 0, slen = 0;
    const char *name, *url, *regex = NULL, *interval, *ft = NULL, *st = NULL;

    if (csv_nfields(c) != col->count) {
        snprintf(err, errlen, "has %zu field%s, the header has %zu", csv_nfields(c),
                 csv_nfields(c) == 1 ? "" : "s", col->count);
        return -1;
    }
    name = csv_field(c, (size_t)col->name, &nlen);
    url = csv_field(c, (size_t)col->url, &ulen);
    if (col->regex >= 0)
        regex = csv_field(c, (size_t)col->regex, &rlen);
    if (memchr(name, '\0', nlen) || memchr(url, '\0', ulen)) {
        snprintf(err, errlen, "contains a NUL byte");
        return -1;
    }
    if (col->fail_th >= 0)
        ft = csv_field(c, (size_t)col->fail_th, &flen);
    if (col->success_th >= 0)
        st = csv_field(c, (size_t)col->success_th, &slen);
    if (qentry_set(e, name, nlen, url, ulen, regex, rlen, err, errlen) != 0 ||
        qentry_set_thresholds(e, ft, flen, st, slen, err, errlen) != 0)
        return -1;
    if (col->interval < 0)
        return 0;
    interval = csv_field(c, (size_t)col->interval, &ilen);
    return qentry_set_interval_text(e, interval, ilen, col->bounds, err, errlen);
}

static int commit(MYSQL *conn, char *err, size_t errlen)
{
    if (mysql_commit(conn) != 0) {
        snprintf(err, errlen, "MySQL commit failed: %s", mysql_error(conn));
        return -1;
    }
    return 0;
}

static int load_rows(MYSQL *conn, struct csv *c, const char *path, const struct columns *col,
                     struct loader_stats *st, char *err, size_t errlen)
{
    struct urlstore *us = NULL;
    struct qentry e;
    enum urlstore_outcome how;
    char why[URLMON_ERRLEN];
    unsigned pending = 0;
    int r, rc = -1;

    if (urlstore_open(conn, &us, err, errlen) != 0 || db_exec(conn, "BEGIN", err, errlen) != 0)
        goto out;
    while ((r = csv_next(c)) != CSV_END) {
        if (r == CSV_FATAL) {
            snprintf(err, errlen, "%s: %s", path, csv_errstr(c));
            goto out;
        }
        st->rows++;
        if (r == CSV_BAD || row_entry(c, col, &e, why, sizeof(why)) != 0) {
            log_warn("%s:%lu: bad row skipped: %s", path, csv_line(c),
                     r == CSV_BAD ? csv_errstr(c) : why);
            st->bad++;
            continue;
        }
        if (urlstore_upsert(us, &e, &how, err, errlen) != 0)
            goto out;
        st->loaded++;
        if (how == URLSTORE_UPDATED)
            st->updated++;
        if (++pending >= LOADER_TXN_ROWS) {
            if (commit(conn, err, errlen) != 0 || db_exec(conn, "BEGIN", err, errlen) != 0)
                goto out;
            pending = 0;
        }
    }
    if (commit(conn, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        (void)mysql_rollback(conn);
    urlstore_free(&us);
    return rc;
}

int loader_load_csv(MYSQL *conn, const char *path, const struct qentry_bounds *b,
                    struct loader_stats *st, char *err, size_t errlen)
{
    FILE *f = NULL;
    struct csv *c = NULL;
    struct columns col;
    struct stat sb;
    int rc = -1;

    memset(st, 0, sizeof(*st));
    if (!(f = fopen(path, "rb"))) {
        snprintf(err, errlen, "--data-path: cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "--data-path: %s is not a regular file", path);
        goto out;
    }
    col.bounds = b ? b : &qentry_bounds_any;
    if (csv_open_file(f, &c) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (read_header(c, path, &col, err, errlen) != 0 ||
        load_rows(conn, c, path, &col, st, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    csv_free(&c);
    if (f)
        fclose(f);
    return rc;
}
