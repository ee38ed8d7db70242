/* shared/stmt.h: prepared statements, the one way SQL with values reaches MySQL.
 *
 * Parameters are collected in a struct stmt_params (on the caller's stack) with the
 * stmt_param_* helpers; each keeps a pointer to the caller's value, which must live
 * until the statement has executed. Results are read either as the first integer of
 * the first row (stmt_run's result), as strings row by row (stmt_fetch_rows), or as
 * integers row by row (stmt_fetch_nums). Every failure leaves a message in err.
 *
 * One-shot statements use stmt_run (prepare, bind, execute, read, close); a statement
 * executed many times is kept with stmt_prepare + stmt_execute + stmt_close. */
#ifndef URLMON_STMT_H
#define URLMON_STMT_H

#include <stdbool.h>
#include <stdint.h>
#include <mysql.h>

#include "common.h"

#define STMT_MAX_PARAMS 16
#define STMT_MAX_COLS 16
#define STMT_COL_BYTES 8192

struct stmt_params {
    MYSQL_BIND b[STMT_MAX_PARAMS];
    unsigned long len[STMT_MAX_PARAMS];
    my_bool null[STMT_MAX_PARAMS];
    unsigned n;
    bool overflow; /* more than STMT_MAX_PARAMS were added: executing fails */
};

void stmt_params_init(struct stmt_params *p);
void stmt_param_u64(struct stmt_params *p, const uint64_t *v);
void stmt_param_i64(struct stmt_params *p, const int64_t *v);
void stmt_param_u32(struct stmt_params *p, const uint32_t *v);
void stmt_param_int(struct stmt_params *p, const int *v);
/* A string (its length is taken now); s NULL binds SQL NULL. */
void stmt_param_str(struct stmt_params *p, const char *s);
/* A DATE or DATETIME (see stmt_time). */
void stmt_param_time(struct stmt_params *p, MYSQL_TIME *t);
/* Marks the parameter added last as SQL NULL when is_null. */
void stmt_param_null_if(struct stmt_params *p, bool is_null);

/* The same binders on a caller's MYSQL_BIND (zeroed first), for callers that keep
 * their own arrays. */
void stmt_bind_u64(MYSQL_BIND *b, const uint64_t *v);
void stmt_bind_int(MYSQL_BIND *b, const int *v);
void stmt_bind_time(MYSQL_BIND *b, MYSQL_TIME *t);
/* len bytes at s (kept alive by the caller until executed; *len too); s NULL = SQL NULL. */
void stmt_bind_str(MYSQL_BIND *b, const char *s, unsigned long *len);
/* SQL NULL. */
void stmt_bind_null(MYSQL_BIND *b);
/* ms since the epoch as a UTC MySQL DATE (date_only) or DATETIME(3). */
void stmt_time(int64_t ms, bool date_only, MYSQL_TIME *out);

/* Prepares sql on conn into *out. */
int stmt_prepare(MYSQL *conn, const char *sql, MYSQL_STMT **out, char *err,
                 size_t errlen) MUSTCHECK;
/* Checks the parameter count, binds (params may be NULL when nparams is 0) and
 * executes. */
int stmt_execute(MYSQL_STMT *st, MYSQL_BIND *params, unsigned nparams, char *err,
                 size_t errlen) MUSTCHECK;
/* stmt_execute with a struct stmt_params (NULL: none). */
int stmt_execute_params(MYSQL_STMT *st, struct stmt_params *p, char *err, size_t errlen) MUSTCHECK;
/* NULL-safe; clears *st. */
void stmt_close(MYSQL_STMT **st);

/* A row read as strings: NUL-terminated values, NULL for SQL NULL. */
struct stmt_row {
    unsigned ncols;
    const char *val[STMT_MAX_COLS];
    unsigned long len[STMT_MAX_COLS];
};
/* Return 0 to go on, -1 to stop with an error (message in err). */
typedef int (*stmt_row_cb)(void *arg, const struct stmt_row *row, char *err, size_t errlen);
typedef int (*stmt_nums_cb)(void *arg, const uint64_t *vals, unsigned n, char *err, size_t errlen);
/* Reads every row of an executed statement as strings (each at most
 * STMT_COL_BYTES - 1 bytes; a longer one is an error). */
int stmt_fetch_rows(MYSQL_STMT *st, stmt_row_cb cb, void *arg, char *err, size_t errlen) MUSTCHECK;
/* Reads every row of an executed statement whose columns are all integers (NULL
 * reads as 0), without a detour through text. */
int stmt_fetch_nums(MYSQL_STMT *st, stmt_nums_cb cb, void *arg, char *err, size_t errlen) MUSTCHECK;

/* What a one-shot statement reports. */
struct stmt_result {
    uint64_t affected;  /* matched rows of an UPDATE (CLIENT_FOUND_ROWS), inserted, ... */
    uint64_t insert_id; /* AUTO_INCREMENT id of an INSERT */
    uint64_t first;     /* first column of the first row, when want_first */
    bool want_first;    /* set by the caller: read one row (none is an error) */
    unsigned err_no;    /* on failure: the statement's MySQL error number (0: none) */
};
/* Prepares sql, executes it with p (may be NULL) and closes it; res may be NULL. */
int stmt_run(MYSQL *conn, const char *sql, struct stmt_params *p, struct stmt_result *res,
             char *err, size_t errlen) MUSTCHECK;

#endif
