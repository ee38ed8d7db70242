/* api/sqlq.c: prepared statement helper. */
#include "sqlq.h"

#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct colbuf {
    char data[SQLQ_COL_BYTES];
    unsigned long len;
    my_bool is_null;
    my_bool error;
};

void sqlq_bind_u64(MYSQL_BIND *b, const uint64_t *v)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = (void *)v;
    b->is_unsigned = 1;
}

void sqlq_bind_int(MYSQL_BIND *b, const int *v)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_LONG;
    b->buffer = (void *)v;
}

void sqlq_bind_time(MYSQL_BIND *b, MYSQL_TIME *t)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = t->time_type == MYSQL_TIMESTAMP_DATE ? MYSQL_TYPE_DATE : MYSQL_TYPE_DATETIME;
    b->buffer = t;
}

void sqlq_time(int64_t ms, bool date_only, MYSQL_TIME *out)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int64_t frac = ms - (int64_t)secs * 1000;
    struct tm tm;

    memset(out, 0, sizeof(*out));
    gmtime_r(&secs, &tm);
    out->year = (unsigned)tm.tm_year + 1900;
    out->month = (unsigned)tm.tm_mon + 1;
    out->day = (unsigned)tm.tm_mday;
    if (date_only) {
        out->time_type = MYSQL_TIMESTAMP_DATE;
        return;
    }
    out->hour = (unsigned)tm.tm_hour;
    out->minute = (unsigned)tm.tm_min;
    out->second = (unsigned)tm.tm_sec;
    out->second_part = (unsigned long)frac * 1000;
    out->time_type = MYSQL_TIMESTAMP_DATETIME;
}

void sqlq_iso8601(const char *t, char *out, size_t outlen)
{
    size_t n = strlen(t);

    /* "YYYY-MM-DD HH:MM:SS[.fff]" */
    if (n >= 19 && t[10] == ' ')
        snprintf(out, outlen, "%.10sT%sZ", t, t + 11);
    else
        snprintf(out, outlen, "%s", t);
}

static int stmt_error(MYSQL_STMT *st, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", mysql_stmt_error(st));
    return -1;
}

static int fetch_rows(MYSQL_STMT *st, unsigned ncols, sqlq_row_cb row_cb, void *arg, char *err,
                      size_t errlen)
{
    struct colbuf *cols = NULL;
    MYSQL_BIND res[SQLQ_MAX_COLS];
    struct sqlq_row row;
    unsigned i;
    int rc = -1, f;

    if (ncols > SQLQ_MAX_COLS) {
        snprintf(err, errlen, "too many result columns (%u)", ncols);
        goto out;
    }
    if (!(cols = calloc(ncols ? ncols : 1, sizeof(*cols)))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    memset(res, 0, sizeof(res));
    for (i = 0; i < ncols; i++) {
        res[i].buffer_type = MYSQL_TYPE_STRING;
        res[i].buffer = cols[i].data;
        res[i].buffer_length = sizeof(cols[i].data) - 1;
        res[i].length = &cols[i].len;
        res[i].is_null = &cols[i].is_null;
        res[i].error = &cols[i].error;
    }
    if (mysql_stmt_bind_result(st, res) != 0) {
        stmt_error(st, err, errlen);
        goto out;
    }
    while ((f = mysql_stmt_fetch(st)) == 0 || f == MYSQL_DATA_TRUNCATED) {
        if (f == MYSQL_DATA_TRUNCATED) {
            snprintf(err, errlen, "a result value is longer than %d bytes", SQLQ_COL_BYTES - 1);
            goto out;
        }
        row.ncols = ncols;
        for (i = 0; i < ncols; i++) {
            unsigned long len = cols[i].len < SQLQ_COL_BYTES - 1 ? cols[i].len : 0;
            cols[i].data[len] = '\0';
            row.val[i] = cols[i].is_null ? NULL : cols[i].data;
            row.len[i] = cols[i].is_null ? 0 : len;
        }
        if (row_cb(arg, &row, err, errlen) != 0)
            goto out;
    }
    if (f != MYSQL_NO_DATA) {
        stmt_error(st, err, errlen);
        goto out;
    }
    rc = 0;
out:
    free(cols);
    return rc;
}

static int fetch_nums(MYSQL_STMT *st, unsigned ncols, sqlq_nums_cb cb, void *arg, char *err,
                      size_t errlen)
{
    MYSQL_BIND res[SQLQ_MAX_COLS];
    uint64_t vals[SQLQ_MAX_COLS];
    my_bool nulls[SQLQ_MAX_COLS];
    unsigned i;
    int f;

    if (ncols > SQLQ_MAX_COLS) {
        snprintf(err, errlen, "too many result columns (%u)", ncols);
        return -1;
    }
    memset(res, 0, sizeof(res));
    for (i = 0; i < ncols; i++) {
        res[i].buffer_type = MYSQL_TYPE_LONGLONG;
        res[i].buffer = &vals[i];
        res[i].is_unsigned = 1;
        res[i].is_null = &nulls[i];
    }
    if (mysql_stmt_bind_result(st, res) != 0)
        return stmt_error(st, err, errlen);
    while ((f = mysql_stmt_fetch(st)) == 0) {
        for (i = 0; i < ncols; i++)
            if (nulls[i])
                vals[i] = 0;
        if (cb(arg, vals, ncols, err, errlen) != 0)
            return -1;
    }
    if (f != MYSQL_NO_DATA)
        return f == MYSQL_DATA_TRUNCATED ? (snprintf(err, errlen, "a value is not an integer"), -1)
                                         : stmt_error(st, err, errlen);
    return 0;
}

/* Prepares, binds and executes; rows are read by one of the two fetchers. */
static int run(MYSQL *conn, const char *sql, MYSQL_BIND *params, unsigned nparams,
               sqlq_row_cb row_cb, sqlq_nums_cb nums_cb, void *arg, uint64_t *affected, char *err,
               size_t errlen)
{
    MYSQL_STMT *st = NULL;
    MYSQL_RES *meta = NULL;
    int rc = -1;

    if (!(st = mysql_stmt_init(conn))) {
        snprintf(err, errlen, "%s", mysql_error(conn));
        goto out;
    }
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        stmt_error(st, err, errlen);
        goto out;
    }
    if (mysql_stmt_param_count(st) != nparams) {
        snprintf(err, errlen, "statement expects %lu parameters, got %u",
                 mysql_stmt_param_count(st), nparams);
        goto out;
    }
    if (nparams && mysql_stmt_bind_param(st, params) != 0) {
        stmt_error(st, err, errlen);
        goto out;
    }
    if (mysql_stmt_execute(st) != 0) {
        stmt_error(st, err, errlen);
        goto out;
    }
    if (affected)
        *affected = (uint64_t)mysql_stmt_affected_rows(st);
    meta = mysql_stmt_result_metadata(st);
    if (meta) {
        unsigned ncols = mysql_num_fields(meta);
        if (row_cb    ? fetch_rows(st, ncols, row_cb, arg, err, errlen) != 0
            : nums_cb ? fetch_nums(st, ncols, nums_cb, arg, err, errlen) != 0
                      : (snprintf(err, errlen, "statement returned rows nobody reads"), 1))
            goto out;
    }
    rc = 0;
out:
    if (rc != 0 &&
        ((st && db_errno_is_transient(mysql_stmt_errno(st))) || db_error_is_transient(conn)))
        rc = SQLQ_ERR_CONN;
    if (meta)
        mysql_free_result(meta);
    if (st)
        mysql_stmt_close(st);
    return rc;
}

int sqlq_run(MYSQL *conn, const char *sql, MYSQL_BIND *params, unsigned nparams, sqlq_row_cb row_cb,
             void *arg, uint64_t *affected, char *err, size_t errlen)
{
    return run(conn, sql, params, nparams, row_cb, NULL, arg, affected, err, errlen);
}

int sqlq_run_nums(MYSQL *conn, const char *sql, MYSQL_BIND *params, unsigned nparams,
                  sqlq_nums_cb cb, void *arg, char *err, size_t errlen)
{
    return run(conn, sql, params, nparams, NULL, cb, arg, NULL, err, errlen);
}
