/* tests/integration/itest.c: shared helpers for C integration tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "itest.h"
#include "rconn.h"

void itest_config(struct config *cfg)
{
    char err[URLMON_ERRLEN];
    if (!getenv("URLMON_STACK_DIR"))
        fail_msg("no private stack in the environment: run through ctest or scripts/test.sh");
    if (config_load(cfg, NULL, err, sizeof(err)) != 0)
        fail_msg("config: %s", err);
}

MYSQL *itest_db(const struct config *cfg)
{
    char err[URLMON_ERRLEN];
    MYSQL *conn = db_connect(cfg, err, sizeof(err));
    if (!conn)
        fail_msg("%s", err);
    return conn;
}

void itest_sql(MYSQL *conn, const char *sql)
{
    char err[URLMON_ERRLEN];
    if (db_exec(conn, sql, err, sizeof(err)) != 0)
        fail_msg("%s: %s", sql, err);
}

long itest_sql_long(MYSQL *conn, const char *sql)
{
    MYSQL_RES *res;
    MYSQL_ROW row;
    long v = 0;

    if (mysql_query(conn, sql) != 0 || !(res = mysql_store_result(conn)))
        fail_msg("%s: %s", sql, mysql_error(conn));
    row = mysql_fetch_row(res);
    if (row && row[0])
        v = strtol(row[0], NULL, 10);
    mysql_free_result(res);
    return v;
}

redisContext *itest_redis(const struct config *cfg)
{
    char err[URLMON_ERRLEN];
    redisContext *c = rconn_connect(cfg, 2000, err, sizeof(err));
    if (!c)
        fail_msg("%s", err);
    return c;
}

void itest_reset(const struct config *cfg)
{
    static const char *const tables[] = {
        "checks",    "rollup_hourly", "rollup_daily", "rollup_hourly_total", "result_batches",
        "run_locks", "runs",          "urls",         "incidents",           "outbox"};
    MYSQL *conn = itest_db(cfg);
    redisContext *rc = itest_redis(cfg);
    char sql[128];
    size_t i;

    for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        snprintf(sql, sizeof(sql), "DELETE FROM %s", tables[i]);
        itest_sql(conn, sql);
    }
    freeReplyObject(redisCommand(rc, "FLUSHDB"));
    redisFree(rc);
    mysql_close(conn);
}
