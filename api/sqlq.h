/* api/sqlq.h: one prepared statement, executed and read row by row as strings.
 *
 * The API's face of shared/stmt.h (which does the MySQL plumbing): it adds the
 * retry-on-a-fresh-connection verdict (SQLQ_ERR_CONN). Worker threads only. Parameters are
 * MYSQL_BINDs the caller fills with the helpers below (no SQL text is ever built from request
 * data). Every result column is read as a string (the client library converts numbers and times); a
 * row hands the callback up to SQLQ_MAX_COLS values with their lengths, NULL for SQL NULL. */
#ifndef URLMON_SQLQ_H
#define URLMON_SQLQ_H

#include <stdbool.h>
#include <stdint.h>
#include <mysql.h>

#include "common.h"
#include "stmt.h"

#define SQLQ_MAX_COLS STMT_MAX_COLS
#define SQLQ_COL_BYTES STMT_COL_BYTES

struct sqlq_row {
    unsigned ncols;
    const char *val[SQLQ_MAX_COLS]; /* NUL-terminated; NULL for SQL NULL */
    unsigned long len[SQLQ_MAX_COLS];
};

/* Returns 0 to go on, -1 to stop with an error (message in err). */
typedef int (*sqlq_row_cb)(void *arg, const struct sqlq_row *row, char *err, size_t errlen);

#define SQLQ_ERR (-1)      /* the statement failed */
#define SQLQ_ERR_CONN (-2) /* connection gone or a transient error: retry on a fresh one */

/* Prepares, binds, executes sql and calls row_cb per row (row_cb may be NULL for
 * statements without a result). *affected (may be NULL) receives the matched rows
 * of an UPDATE. Returns 0, or SQLQ_ERR / SQLQ_ERR_CONN with the MySQL error in err. */
int sqlq_run(MYSQL *conn, const char *sql, MYSQL_BIND *params, unsigned nparams, sqlq_row_cb row_cb,
             void *arg, uint64_t *affected, char *err, size_t errlen) MUSTCHECK;

/* The same for statements whose columns are all integers (NULL reads as 0): rows reach
 * cb as numbers, without a detour through text. For the streaming reads of tally.c. */
typedef int (*sqlq_nums_cb)(void *arg, const uint64_t *vals, unsigned n, char *err, size_t errlen);
int sqlq_run_nums(MYSQL *conn, const char *sql, MYSQL_BIND *params, unsigned nparams,
                  sqlq_nums_cb cb, void *arg, char *err, size_t errlen) MUSTCHECK;

void sqlq_bind_u64(MYSQL_BIND *b, const uint64_t *v);
void sqlq_bind_int(MYSQL_BIND *b, const int *v);
/* t holds a UTC time in ms since the epoch converted with sqlq_time. */
void sqlq_bind_time(MYSQL_BIND *b, MYSQL_TIME *t);
void sqlq_time(int64_t ms, bool date_only, MYSQL_TIME *out);

/* "2026-11-22 08:00:00.123" (MySQL text) -> "2026-11-22T08:00:00.123Z"; out >= 32. */
void sqlq_iso8601(const char *mysql_text, char *out, size_t outlen);

#endif
