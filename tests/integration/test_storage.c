/* Integration: migrations, the MySQL pool and Redis helpers against the real servers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "db.h"
#include "itest.h"
#include "migrate.h"
#include "rconn.h"

static struct config cfg;

static void test_migrate_is_idempotent(void **state)
{
    MYSQL *conn = itest_db(&cfg);
    char err[URLMON_ERRLEN] = "";
    int before = -1, after = -1;

    /* The fixture migrated already: a second run changes nothing. */
    assert_int_equal(migrate_apply(conn, &before, &after, err, sizeof(err)), 0);
    assert_int_equal(before, after);
    assert_int_equal(after, migrations[migrations_count - 1].version);
    assert_int_equal(itest_sql_long(conn, "SELECT COUNT(*) FROM schema_version"),
                     (long)migrations_count);
    assert_int_equal(itest_sql_long(conn,
                                    "SELECT COUNT(*) FROM information_schema.tables "
                                    "WHERE table_schema = DATABASE() AND table_name IN "
                                    "('urls','checks','runs','rollup_hourly','rollup_daily')"),
                     5);
    mysql_close(conn);
}

static void test_urls_unique_by_canonical_url(void **state)
{
    MYSQL *conn = itest_db(&cfg);

    itest_reset(&cfg);
    itest_sql(conn, "INSERT INTO urls (name, url, created_at, updated_at) VALUES "
                    "('a', 'http://a.example/', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))");
    assert_int_not_equal(mysql_query(conn, "INSERT INTO urls (name, url, created_at, updated_at) "
                                           "VALUES ('b', 'http://a.example/', UTC_TIMESTAMP(3), "
                                           "UTC_TIMESTAMP(3))"),
                         0);
    assert_int_equal(mysql_errno(conn), 1062); /* duplicate key */
    /* the session clock is UTC */
    assert_int_equal(itest_sql_long(conn, "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())"),
                     0);
    mysql_close(conn);
}

static void test_pool_bounds(void **state)
{
    struct config small = cfg;
    struct dbpool *pool = NULL;
    char err[URLMON_ERRLEN] = "";
    MYSQL *a, *b, *c;

    small.min_pool = 1;
    small.max_pool = 2;
    assert_int_equal(dbpool_open(&small, &pool, err, sizeof(err)), 0);
    a = dbpool_acquire(pool, 1000, err, sizeof(err));
    b = dbpool_acquire(pool, 1000, err, sizeof(err));
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    c = dbpool_acquire(pool, 200, err, sizeof(err));
    assert_null(c); /* MAX_POOL reached */
    assert_non_null(strstr(err, "MAX_POOL"));
    dbpool_release(pool, a, false);
    c = dbpool_acquire(pool, 200, err, sizeof(err));
    assert_ptr_equal(c, a);        /* reused */
    dbpool_release(pool, c, true); /* broken: closed, slot freed */
    c = dbpool_acquire(pool, 1000, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(mysql_query(c, "SELECT 1"), 0);
    mysql_free_result(mysql_store_result(c));
    dbpool_release(pool, c, false);
    dbpool_release(pool, b, false);
    dbpool_free(&pool);
    assert_null(pool);
}

static void test_bad_credentials_message(void **state)
{
    struct config bad = cfg;
    char err[URLMON_ERRLEN] = "";

    strcpy(bad.db_password, "definitely-wrong-password");
    assert_null(db_connect(&bad, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot connect to MySQL"));
    assert_null(strstr(err, "definitely-wrong-password"));
}

static void test_redis_delete_matching(void **state)
{
    redisContext *c = itest_redis(&cfg);
    char err[URLMON_ERRLEN] = "";
    char key[64];
    int i;

    for (i = 0; i < 2500; i++) {
        snprintf(key, sizeof(key), RKEY_CACHE_PREFIX "k%d", i);
        freeReplyObject(redisCommand(c, "SET %s v", key));
    }
    freeReplyObject(redisCommand(c, "SET other:key v"));
    assert_int_equal(rconn_delete_matching(c, RKEY_CACHE_PREFIX "*", err, sizeof(err)), 2500);
    redisReply *r = redisCommand(c, "EXISTS other:key");
    assert_non_null(r);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    redisFree(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_is_idempotent),
        cmocka_unit_test(test_urls_unique_by_canonical_url),
        cmocka_unit_test(test_pool_bounds),
        cmocka_unit_test(test_bad_credentials_message),
        cmocka_unit_test(test_redis_delete_matching),
    };
    itest_config(&cfg);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
