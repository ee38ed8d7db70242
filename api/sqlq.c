/* api/sqlq.c: prepared statements for the API's queries, on shared/stmt.c. */
#include "sqlq.h"

#include <stdio.h>
#include <string.h>

#include "db.h"

void sqlq_bind_u64(MYSQL_BIND *b, const uint64_t *v)
{
    stmt_bind_u64(b, v);
}

void sqlq_bind_int(MYSQL_BIND *b, const int *v)
{
    stmt_bind_int(b, v);
}

void sqlq_bind_time(MYSQL_BIND *b, MYSQL_TIME *t)
{
    stmt_bind_time(b, t);
}

void sqlq_time(int64_t ms, bool date_only, MYSQL_TIME *out)
{
    stmt_time(ms, date_only, out);
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

struct rows_arg {
    sqlq_row_cb cb;
    void *arg;
};

/* A stmt_row handed on as the sqlq_row the API's readers take. */
static int on_row(void *arg, const struct stmt_row *sr, char *err, size_t errlen)
{
    const struct rows_arg *ra = arg;
    struct sqlq_row row;

    row.ncols = sr->ncols;
    memcpy(row.val, sr->val, sizeof(row.val));
    memcpy(row.len, sr->len, sizeof(row.len));
    return ra->cb(ra->arg, &row, err, errlen);
}

/* Prepares, binds and executes; rows are read by one of the two fetchers. */
static int run(MYSQL *conn, const char *sql, MYSQL_BIND *params, unsigned nparams,
               sqlq_row_cb row_cb, sqlq_nums_cb nums_cb, void *arg, uint64_t *affected, char *err,
               size_t errlen)
{
    struct rows_arg ra = {row_cb, arg};
    MYSQL_STMT *st = NULL;
    int rc = -1;

    if (stmt_prepare(conn, sql, &st, err, errlen) != 0 ||
        stmt_execute(st, params, nparams, err, errlen) != 0)
        goto out;
    if (affected)
        *affected = (uint64_t)mysql_stmt_affected_rows(st);
    if (mysql_stmt_field_count(st) > 0) {
        if (row_cb    ? stmt_fetch_rows(st, on_row, &ra, err, errlen) != 0
            : nums_cb ? stmt_fetch_nums(st, nums_cb, arg, err, errlen) != 0
                      : (snprintf(err, errlen, "statement returned rows nobody reads"), 1))
            goto out;
    }
    rc = 0;
out:
    if (rc != 0 &&
        ((st && db_errno_is_transient(mysql_stmt_errno(st))) || db_error_is_transient(conn)))
        rc = SQLQ_ERR_CONN;
    stmt_close(&st);
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
