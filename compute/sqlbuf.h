/* compute/sqlbuf.h: a growable SQL text buffer with escaped string literals.
 *
 * Strings enter a statement only through sqlbuf_quote, which escapes them with
 * mysql_real_escape_string for the connection's character set and SQL mode (it works
 * on a connection handle that is not connected yet, as the unit tests use it). */
#ifndef URLMON_SQLBUF_H
#define URLMON_SQLBUF_H

#include <stddef.h>
#include <mysql.h>

#include "common.h"

struct sqlbuf;

int sqlbuf_new(struct sqlbuf **out) MUSTCHECK;
void sqlbuf_free(struct sqlbuf **b);
void sqlbuf_reset(struct sqlbuf *b);
int sqlbuf_append(struct sqlbuf *b, const char *s) MUSTCHECK;
/* For numbers and fixed SQL only, never for strings from outside. */
int sqlbuf_printf(struct sqlbuf *b, const char *fmt, ...) PRINTF_LIKE(2, 3) MUSTCHECK;
/* Appends '<s escaped>' (len bytes of s, which may hold NUL bytes). */
int sqlbuf_quote(struct sqlbuf *b, MYSQL *conn, const char *s, size_t len) MUSTCHECK;
/* Cuts the text back to its first len bytes (len <= sqlbuf_len). */
void sqlbuf_truncate(struct sqlbuf *b, size_t len);
const char *sqlbuf_str(const struct sqlbuf *b); /* NUL-terminated */
size_t sqlbuf_len(const struct sqlbuf *b);

#endif
