/* shared/db.h: MySQL connections and a bounded, thread-safe pool.
 *
 * db_connect opens one connection (utf8mb4, UTC session time zone, timeouts, no
 * auto-reconnect; with DB_TLS=1 over TLS only, the server certificate and host name
 * verified against DB_TLS_CA or the system bundle). A pool holds MIN_POOL..MAX_POOL of them for
 * worker threads: dbpool_acquire lends one, dbpool_release takes it back (pass broken=true after a
 * connection error and the pool closes it instead of reusing it). The pool owns
 * every connection; callers never mysql_close a lent one. */
#ifndef URLMON_DB_H
#define URLMON_DB_H

#include <stdbool.h>
#include <mysql.h>

#include "common.h"
#include "config.h"

struct dbpool;

/* Call once from main() before any thread uses MySQL. */
int db_library_init(void) MUSTCHECK;
void db_library_end(void);

MYSQL *db_connect(const struct config *cfg, char *err, size_t errlen) MUSTCHECK;
void db_close(MYSQL **conn);
/* Runs a statement without parameters or results. */
int db_exec(MYSQL *conn, const char *sql, char *err, size_t errlen) MUSTCHECK;
/* True when the last error means the connection is gone (retry on a new one). */
bool db_error_is_connection(MYSQL *conn);
/* True when the last error is worth retrying: the connection is gone, or a deadlock,
 * lock wait timeout, too many connections, or a read-only server during failover. */
bool db_error_is_transient(MYSQL *conn);
/* The same two questions about an error number (mysql_errno or mysql_stmt_errno). */
bool db_errno_is_connection(unsigned e);
bool db_errno_is_transient(unsigned e);

int dbpool_open(const struct config *cfg, struct dbpool **out, char *err, size_t errlen) MUSTCHECK;
void dbpool_free(struct dbpool **pool);
/* Waits at most timeout_ms for a connection; NULL + err when none could be had. */
MYSQL *dbpool_acquire(struct dbpool *pool, unsigned timeout_ms, char *err, size_t errlen);
void dbpool_release(struct dbpool *pool, MYSQL *conn, bool broken);

#endif
