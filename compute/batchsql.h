/* compute/batchsql.h: the multi-row INSERT of check results (the batch builder).
 *
 * Numbers are printed, every string (error message, regex match, error class) goes
 * through sqlbuf_quote, NULL is written where the checks table wants it:
 * http_status 0, phase times CHECK_MS_UNKNOWN, error fields on success, regex fields
 * when the URL has no regex, cert_expires_at without a certificate. Text that is not valid UTF-8 is
 * cut at the first bad byte so the row can never be refused for its encoding. */
#ifndef URLMON_BATCHSQL_H
#define URLMON_BATCHSQL_H

#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

#include "check.h"
#include "sqlbuf.h"

/* Default cap on one statement, well under MySQL's 16 MiB max_allowed_packet. */
#define BATCHSQL_MAX_BYTES (4u * 1024u * 1024u)

/* Replaces b's contents with "INSERT INTO checks (...) VALUES (...),..." for a prefix
 * of r[0..n): as many rows as fit in max_bytes (always at least one). Returns the
 * number of rows written, or -1 when out of memory. n must be > 0. */
long batchsql_checks(struct sqlbuf *b, MYSQL *conn, uint64_t run_id, const struct check_result *r,
                     size_t n, size_t max_bytes) MUSTCHECK;

/* "YYYY-MM-DD HH:MM:SS.mmm" (UTC) for ms since the epoch; buf >= 24 bytes. */
void batchsql_datetime_ms(int64_t ms, char *buf, size_t len);

#endif
