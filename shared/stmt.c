/* shared/stmt.c: see stmt.h. */
#include "stmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

static MYSQL_BIND *next_param(struct stmt_params *p)
{
    if (p->n >= STMT_MAX_PARAMS) {
        p->overflow = true;
        return NULL;
    }
    return &p->b[p->n++];
}

void stmt_params_init(struct stmt_params *p)
{
    memset(p, 0, sizeof(*p));
}

void stmt_param_u64(struct stmt_params *p, const uint64_t *v)
{
    MYSQL_BIND *b = next_param(p);
    if (b)
        stmt_bind_u64(b, v);
}

void stmt_param_i64(struct stmt_params *p, const int64_t *v)
{
    MYSQL_BIND *b = next_param(p);
    if (!b)
        return;
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = (void *)v;
}

void stmt_param_u32(struct stmt_params *p, const uint32_t *v)
{
    MYSQL_BIND *b = next_param(p);
    if (!b)
        return;
    b->buffer_type = MYSQL_TYPE_LONG;
    b->buffer = (void *)v;
    b->is_unsigned = 1;
}

void stmt_param_int(struct stmt_params *p, const int *v)
{
    MYSQL_BIND *b = next_param(p);
    if (b)
        stmt_bind_int(b, v);
}

void stmt_param_str(struct stmt_params *p, const char *s)
{
    MYSQL_BIND *b = next_param(p);
    unsigned i;

    if (!b)
        return;
    i = p->n - 1;
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = (void *)(s ? s : "");
    p->len[i] = s ? (unsigned long)strlen(s) : 0;
    b->buffer_length = p->len[i];
    b->length = &p->len[i];
    if (!s)
        stmt_param_null_if(p, true);
}

void stmt_param_time(struct stmt_params *p, MYSQL_TIME *t)
{
    MYSQL_BIND *b = next_param(p);
    if (b)
        stmt_bind_time(b, t);
}

void stmt_param_null_if(struct stmt_params *p, bool is_null)
{
    unsigned i;

    if (p->n == 0 || p->overflow)
        return;
    i = p->n - 1;
    p->null[i] = is_null;
    p->b[i].is_null = &p->null[i];
}

void stmt_bind_u64(MYSQL_BIND *b, const uint64_t *v)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = (void *)v;
    b->is_unsigned = 1;
}

void stmt_bind_str(MYSQL_BIND *b, const char *s, unsigned long *len)
{
    if (!s) {
        stmt_bind_null(b);
        return;
    }
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = (void *)s;
    b->buffer_length = *len;
    b->length = len;
}

void stmt_bind_null(MYSQL_BIND *b)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_NULL;
}

void stmt_bind_int(MYSQL_BIND *b, const int *v)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_LONG;
    b->buffer = (void *)v;
}

void stmt_bind_time(MYSQL_BIND *b, MYSQL_TIME *t)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = t->time_type == MYSQL_TIMESTAMP_DATE ? MYSQL_TYPE_DATE : MYSQL_TYPE_DATETIME;
    b->buffer = t;
}

void stmt_time(int64_t ms, bool date_only, MYSQL_TIME *out)
{
    struct tm tm;
    int msec;

    memset(out, 0, sizeof(*out));
    clock_utc_tm(ms, &tm, &msec);
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
    out->second_part = (unsigned long)msec * 1000;
    out->time_type = MYSQL_TIMESTAMP_DATETIME;
}

static int stmt_error(MYSQL_STMT *st, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", mysql_stmt_error(st));
    return -1;
}

int stmt_prepare(MYSQL *conn, const char *sql, MYSQL_STMT **out, char *err, size_t errlen)
{
    MYSQL_STMT *st;

    *out = NULL;
    if (!(st = mysql_stmt_init(conn))) {
        snprintf(err, errlen, "%s", mysql_error(conn)[0] ? mysql_error(conn) : "out of memory");
        return -1;
    }
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
        stmt_error(st, err, errlen);
        mysql_stmt_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

int stmt_execute(MYSQL_STMT *st, MYSQL_BIND *params, unsigned nparams, char *err, size_t errlen)
{
    if (mysql_stmt_param_count(st) != nparams) {
        snprintf(err, errlen, "statement expects %lu parameters, got %u",
                 mysql_stmt_param_count(st), nparams);
        return -1;
    }
    if (nparams && mysql_stmt_bind_param(st, params) != 0)
        return stmt_error(st, err, errlen);
    if (mysql_stmt_execute(st) != 0)
        return stmt_error(st, err, errlen);
    return 0;
}

int stmt_execute_params(MYSQL_STMT *st, struct stmt_params *p, char *err, size_t errlen)
{
    if (p && p->overflow) {
        snprintf(err, errlen, "more than %d statement parameters", STMT_MAX_PARAMS);
        return -1;
    }
    return stmt_execute(st, p ? p->b : NULL, p ? p->n : 0, err, errlen);
}

void stmt_close(MYSQL_STMT **st)
{
    if (st && *st) {
        mysql_stmt_close(*st);
        *st = NULL;
    }
}

struct colbuf {
    char data[STMT_COL_BYTES];
    unsigned long len;
    my_bool is_null;
    my_bool error;
};

static int result_cols(MYSQL_STMT *st, unsigned *ncols, char *err, size_t errlen)
{
    unsigned n = mysql_stmt_field_count(st);

    if (n > STMT_MAX_COLS) {
        snprintf(err, errlen, "too many result columns (%u)", n);
        return -1;
    }
    *ncols = n;
    return 0;
}

int stmt_fetch_rows(MYSQL_STMT *st, stmt_row_cb cb, void *arg, char *err, size_t errlen)
{
    struct colbuf *cols = NULL;
    MYSQL_BIND res[STMT_MAX_COLS];
    struct stmt_row row;
    unsigned i, ncols;
    int rc = -1, f;

    if (result_cols(st, &ncols, err, errlen) != 0)
        goto out;
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
            snprintf(err, errlen, "a result value is longer than %d bytes", STMT_COL_BYTES - 1);
            goto out;
        }
        row.ncols = ncols;
        for (i = 0; i < ncols; i++) {
            unsigned long len = cols[i].len < STMT_COL_BYTES - 1 ? cols[i].len : 0;
            cols[i].data[len] = '\0';
            row.val[i] = cols[i].is_null ? NULL : cols[i].data;
            row.len[i] = cols[i].is_null ? 0 : len;
        }
        if (cb(arg, &row, err, errlen) != 0)
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

int stmt_fetch_nums(MYSQL_STMT *st, stmt_nums_cb cb, void *arg, char *err, size_t errlen)
{
    MYSQL_BIND res[STMT_MAX_COLS];
    uint64_t vals[STMT_MAX_COLS];
    my_bool nulls[STMT_MAX_COLS];
    unsigned i, ncols;
    int f;

    if (result_cols(st, &ncols, err, errlen) != 0)
        return -1;
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

static int first_num(void *arg, const uint64_t *vals, unsigned n, char *err, size_t errlen)
{
    struct stmt_result *res = arg;

    if (!res->want_first) /* only the first row counts */
        return 0;
    res->first = n > 0 ? vals[0] : 0;
    res->want_first = false;
    return 0;
}

int stmt_run(MYSQL *conn, const char *sql, struct stmt_params *p, struct stmt_result *res,
             char *err, size_t errlen)
{
    MYSQL_STMT *st = NULL;
    int rc = -1;

    if (stmt_prepare(conn, sql, &st, err, errlen) != 0)
        goto out;
    if (stmt_execute_params(st, p, err, errlen) != 0) {
        if (res)
            res->err_no = mysql_stmt_errno(st);
        goto out;
    }
    if (res) {
        res->affected = (uint64_t)mysql_stmt_affected_rows(st);
        res->insert_id = (uint64_t)mysql_stmt_insert_id(st);
        if (res->want_first) {
            if (stmt_fetch_nums(st, first_num, res, err, errlen) != 0)
                goto out;
            if (res->want_first) {
                snprintf(err, errlen, "the statement returned no row");
                goto out;
            }
            res->want_first = true;
        }
    }
    rc = 0;
out:
    stmt_close(&st);
    return rc;
}
