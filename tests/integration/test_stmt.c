/* Integration: shared/stmt.c (prepared statements) against the real MariaDB. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "itest.h"
#include "stmt.h"

static struct config cfg;

static void test_run_params_and_first(void **state)
{
    MYSQL *conn = itest_db(&cfg);
    struct stmt_params p;
    struct stmt_result res = {.want_first = true};
    char err[URLMON_ERRLEN] = "";
    int64_t a = -5;
    uint64_t b = 12;
    uint32_t c = 7;
    int d = 3;

    stmt_params_init(&p);
    stmt_param_i64(&p, &a);
    stmt_param_u64(&p, &b);
    stmt_param_u32(&p, &c);
    stmt_param_int(&p, &d);
    assert_int_equal(stmt_run(conn, "SELECT ? + ? + ? + ?", &p, &res, err, sizeof(err)), 0);
    assert_int_equal(res.first, 17);

    stmt_params_init(&p);
    stmt_param_str(&p, "h\xC3\xA9llo");
    stmt_param_str(&p, NULL);
    stmt_param_u32(&p, &c);
    stmt_param_null_if(&p, true);
    res.want_first = true;
    assert_int_equal(stmt_run(conn,
                              "SELECT CHAR_LENGTH(?) * 100 + (? IS NULL) * 10 + COALESCE(?, 3)", &p,
                              &res, err, sizeof(err)),
                     0);
    assert_int_equal(res.first, 513);
    mysql_close(conn);
}

static void test_errors_are_reported(void **state)
{
    MYSQL *conn = itest_db(&cfg);
    MYSQL_STMT *st = (MYSQL_STMT *)&cfg; /* must be cleared */
    struct stmt_params p;
    struct stmt_result res = {.want_first = true};
    char err[URLMON_ERRLEN] = "";
    uint64_t v = 1;
    int i;

    assert_int_not_equal(stmt_prepare(conn, "SELEC 1", &st, err, sizeof(err)), 0);
    assert_null(st);
    assert_non_null(strstr(err, "syntax"));

    assert_int_not_equal(stmt_run(conn, "SELECT ?", NULL, NULL, err, sizeof(err)), 0);
    assert_string_equal(err, "statement expects 1 parameters, got 0");

    stmt_params_init(&p);
    for (i = 0; i < STMT_MAX_PARAMS + 1; i++)
        stmt_param_u64(&p, &v);
    assert_true(p.overflow);
    assert_int_not_equal(stmt_run(conn, "SELECT 1", &p, NULL, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "more than"));

    assert_int_not_equal(
        stmt_run(conn, "SELECT 1 FROM urls WHERE 1 = 0", NULL, &res, err, sizeof(err)), 0);
    assert_string_equal(err, "the statement returned no row");
    mysql_close(conn);
}

struct rows {
    unsigned n;
    char text[4][64];
    int nulls;
};

static int on_row(void *arg, const struct stmt_row *row, char *err, size_t errlen)
{
    struct rows *r = arg;
    unsigned i;

    for (i = 0; i < row->ncols; i++) {
        if (!row->val[i]) {
            r->nulls++;
            continue;
        }
        assert_int_equal(strlen(row->val[i]), row->len[i]);
        if (r->n < 4)
            snprintf(r->text[r->n++], sizeof(r->text[0]), "%s", row->val[i]);
    }
    return 0;
}

static int on_nums(void *arg, const uint64_t *vals, unsigned n, char *err, size_t errlen)
{
    uint64_t *sum = arg;
    unsigned i;

    for (i = 0; i < n; i++)
        *sum = *sum * 10 + vals[i];
    return 0;
}

static void test_fetch_rows_and_nums(void **state)
{
    MYSQL *conn = itest_db(&cfg);
    MYSQL_STMT *st = NULL;
    struct stmt_params p;
    struct rows r;
    MYSQL_TIME t;
    uint64_t sum = 0, six = 6;
    char err[URLMON_ERRLEN] = "";

    memset(&r, 0, sizeof(r));
    stmt_time(1700000000123LL, false, &t);
    stmt_params_init(&p);
    stmt_param_time(&p, &t);
    assert_int_equal(stmt_prepare(conn, "SELECT 'a', NULL, DATE_FORMAT(?, '%Y-%m-%d %H:%i:%s.%f')",
                                  &st, err, sizeof(err)),
                     0);
    assert_int_equal(stmt_execute_params(st, &p, err, sizeof(err)), 0);
    assert_int_equal(stmt_fetch_rows(st, on_row, &r, err, sizeof(err)), 0);
    stmt_close(&st);
    assert_null(st);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.nulls, 1);
    assert_string_equal(r.text[0], "a");
    assert_string_equal(r.text[1], "2023-11-14 22:13:20.123000");

    assert_int_equal(stmt_prepare(conn, "SELECT REPEAT('x', 9000)", &st, err, sizeof(err)), 0);
    assert_int_equal(stmt_execute(st, NULL, 0, err, sizeof(err)), 0);
    assert_int_not_equal(stmt_fetch_rows(st, on_row, &r, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "longer than"));
    stmt_close(&st);

    stmt_params_init(&p);
    stmt_param_u64(&p, &six);
    assert_int_equal(
        stmt_prepare(conn, "SELECT 1, NULL, ? UNION ALL SELECT 4, 5, 6", &st, err, sizeof(err)), 0);
    assert_int_equal(stmt_execute_params(st, &p, err, sizeof(err)), 0);
    assert_int_equal(stmt_fetch_nums(st, on_nums, &sum, err, sizeof(err)), 0);
    assert_int_equal(sum, 106456);
    stmt_close(&st);
    mysql_close(conn);
}

static void test_affected_and_insert_id(void **state)
{
    MYSQL *conn = itest_db(&cfg);
    struct stmt_params p;
    struct stmt_result res = {0};
    char err[URLMON_ERRLEN] = "";

    itest_reset(&cfg);
    stmt_params_init(&p);
    stmt_param_str(&p, "stmt test");
    stmt_param_str(&p, "https://stmt.example/");
    assert_int_equal(stmt_run(conn,
                              "INSERT INTO urls (name, url, created_at, updated_at)"
                              " VALUES (?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
                              &p, &res, err, sizeof(err)),
                     0);
    assert_int_equal(res.affected, 1);
    assert_true(res.insert_id > 0);
    assert_int_equal(itest_sql_long(conn, "SELECT MAX(id) FROM urls"), (long)res.insert_id);
    assert_int_equal(
        stmt_run(conn, "UPDATE urls SET active = 0 WHERE id > 0", NULL, &res, err, sizeof(err)), 0);
    assert_int_equal(res.affected, 1);
    itest_reset(&cfg);
    mysql_close(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_params_and_first),
        cmocka_unit_test(test_errors_are_reported),
        cmocka_unit_test(test_fetch_rows_and_nums),
        cmocka_unit_test(test_affected_and_insert_id),
    };
    itest_config(&cfg);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
