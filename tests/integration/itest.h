/* tests/integration/itest.h: helpers for C integration tests against the private stack.
 * The environment comes from the ctest `stack` fixture (tests/integration/CMakeLists.txt). */
#ifndef URLMON_ITEST_H
#define URLMON_ITEST_H

#include <hiredis/hiredis.h>
#include <mysql.h>

#include "config.h"

/* Loads the config from the environment; fails the test on error. */
void itest_config(struct config *cfg);
/* A fresh MySQL connection (compute user); fails the test on error. */
MYSQL *itest_db(const struct config *cfg);
/* Empties every urlmon table and the Redis database. */
void itest_reset(const struct config *cfg);
/* Runs SQL; fails the test with the MySQL error. */
void itest_sql(MYSQL *conn, const char *sql);
/* First column of the first row as a long (0 when NULL/no row). */
long itest_sql_long(MYSQL *conn, const char *sql);
redisContext *itest_redis(const struct config *cfg);

#endif
