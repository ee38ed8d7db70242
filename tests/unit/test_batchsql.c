/* Unit tests: the batch builder (compute/batchsql.c, sqlbuf.c): escaping and NULLs.
 * mysql_real_escape_string works on a handle that is not connected (utf8mb4). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "batchsql.h"
#include "sqlbuf.h"

static MYSQL *conn;

static int setup(void **state)
{
    conn = mysql_init(NULL);
    if (!conn)
        return -1;
    mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    return 0;
}

static int teardown(void **state)
{
    mysql_close(conn);
    return 0;
}

struct quote_case {
    const char *in;
    size_t len;
    const char *want;
};

static void test_quote(void **state)
{
    static const struct quote_case cases[] = {
        {"plain", 5, "'plain'"},
        {"it's", 4, "'it\\'s'"},
        {"say \"hi\"", 8, "'say \\\"hi\\\"'"},
        {"back\\slash", 10, "'back\\\\slash'"},
        {"a\0b", 3, "'a\\0b'"},
        {"line\nfeed\rret", 13, "'line\\nfeed\\rret'"},
        {"ctrl-z\x1a", 7, "'ctrl-z\\Z'"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
         "'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'"},
        {"'; DROP TABLE checks; --", 24, "'\\'; DROP TABLE checks; --'"},
        {"", 0, "''"},
    };
    struct sqlbuf *b = NULL;
    size_t i;

    assert_int_equal(sqlbuf_new(&b), 0);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sqlbuf_reset(b);
        assert_int_equal(sqlbuf_quote(b, conn, cases[i].in, cases[i].len), 0);
        if (strcmp(sqlbuf_str(b), cases[i].want) != 0)
            fail_msg("case %zu: got %s, want %s", i, sqlbuf_str(b), cases[i].want);
        assert_int_equal(sqlbuf_len(b), strlen(cases[i].want));
    }
    sqlbuf_free(&b);
    assert_null(b);
}

static struct check_result ok_row(void)
{
    struct check_result r;
    memset(&r, 0, sizeof(r));
    r.url_id = 42;
    r.checked_at_ms = 1700000000123LL; /* 2023-11-14 22:13:20.123 UTC */
    r.success = true;
    r.http_status = 200;
    r.response_ms = 15;
    r.dns_ms = 1;
    r.connect_ms = 2;
    r.tls_ms = CHECK_MS_UNKNOWN;
    r.ttfb_ms = 10;
    r.error = CHECK_OK;
    r.regex_matched = -1;
    return r;
}

static const char head[] = "INSERT INTO checks (url_id,run_id,checked_at,success,http_status,"
                           "response_ms,dns_ms,connect_ms,tls_ms,ttfb_ms,error_class,"
                           "error_message,regex_matched,regex_match,cert_expires_at) VALUES ";

struct row_case {
    const char *name;
    struct check_result r;
    const char *want; /* the VALUES tuple */
};

static void test_rows(void **state)
{
    struct row_case cases[6];
    struct sqlbuf *b = NULL;
    char want[2048];
    size_t i;

    cases[0] = (struct row_case){"success", ok_row(),
                                 "(42,7,'2023-11-14 22:13:20.123',1,200,15,1,2,NULL,10,NULL,NULL,"
                                 "NULL,NULL,NULL)"};
    cases[1] = (struct row_case){"timeout with quotes", ok_row(),
                                 "(42,7,'2023-11-14 22:13:20.123',0,NULL,2000,NULL,NULL,NULL,NULL,"
                                 "'timeout','it\\'s a \\\\ \\\"test\\\"',NULL,NULL,NULL)"};
    cases[1].r.success = false;
    cases[1].r.http_status = 0;
    cases[1].r.response_ms = 2000;
    cases[1].r.dns_ms = cases[1].r.connect_ms = cases[1].r.ttfb_ms = CHECK_MS_UNKNOWN;
    cases[1].r.error = CHECK_ERR_TIMEOUT;
    snprintf(cases[1].r.message, sizeof(cases[1].r.message), "%s", "it's a \\ \"test\"");
    cases[2] = (struct row_case){"regex hit, UTF-8", ok_row(),
                                 "(42,7,'2023-11-14 22:13:20.123',1,200,15,1,2,NULL,10,NULL,NULL,"
                                 "1,'caf\xc3\xa9 \\'x\\'','2024-05-01 12:00:00')"};
    cases[2].r.regex_matched = 1;
    cases[2].r.cert_expires_s = 1714564800; /* https: the certificate's expiry */
    snprintf(cases[2].r.regex_match, sizeof(cases[2].r.regex_match), "%s", "caf\xc3\xa9 'x'");
    cases[3] = (struct row_case){"regex miss", ok_row(),
                                 "(42,7,'2023-11-14 22:13:20.123',0,200,15,1,2,NULL,10,"
                                 "'regex_mismatch','no match',0,NULL,NULL)"};
    cases[3].r.success = false;
    cases[3].r.error = CHECK_ERR_REGEX_MISMATCH;
    cases[3].r.regex_matched = 0;
    snprintf(cases[3].r.message, sizeof(cases[3].r.message), "%s", "no match");
    snprintf(cases[3].r.regex_match, sizeof(cases[3].r.regex_match), "%s", "ignored");
    cases[4] = (struct row_case){"bad UTF-8 cut", ok_row(),
                                 "(42,7,'2023-11-14 22:13:20.123',0,502,15,1,2,NULL,10,"
                                 "'http_status','ok',NULL,NULL,NULL)"};
    cases[4].r.success = false;
    cases[4].r.http_status = 502;
    cases[4].r.error = CHECK_ERR_HTTP_STATUS;
    snprintf(cases[4].r.message, sizeof(cases[4].r.message), "%s", "ok\xff\xfe after");
    cases[5] = (struct row_case){"failure without class, empty message", ok_row(),
                                 "(42,7,'2023-11-14 22:13:20.123',0,200,15,1,2,NULL,10,'other',"
                                 "NULL,NULL,NULL,NULL)"};
    cases[5].r.success = false;

    assert_int_equal(sqlbuf_new(&b), 0);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(batchsql_checks(b, conn, 7, &cases[i].r, 1, BATCHSQL_MAX_BYTES), 1);
        snprintf(want, sizeof(want), "%s%s", head, cases[i].want);
        if (strcmp(sqlbuf_str(b), want) != 0)
            fail_msg("%s:\n got  %s\n want %s", cases[i].name, sqlbuf_str(b), want);
    }
    sqlbuf_free(&b);
}

/* Rows that do not fit in max_bytes are left for the next statement. */
static void test_split(void **state)
{
    struct check_result rows[10];
    struct sqlbuf *b = NULL;
    size_t i, one;
    long n;

    for (i = 0; i < 10; i++) {
        rows[i] = ok_row();
        rows[i].url_id = i + 1;
    }
    assert_int_equal(sqlbuf_new(&b), 0);
    assert_int_equal(batchsql_checks(b, conn, 1, rows, 1, BATCHSQL_MAX_BYTES), 1);
    one = sqlbuf_len(b);
    assert_int_equal(batchsql_checks(b, conn, 1, rows, 10, BATCHSQL_MAX_BYTES), 10);
    n = batchsql_checks(b, conn, 1, rows, 10, one + 2 * (one - strlen(head) + 1) + 1);
    assert_int_equal(n, 3);
    assert_true(sqlbuf_len(b) <= one + 2 * (one - strlen(head) + 1) + 1);
    assert_int_equal(batchsql_checks(b, conn, 1, rows, 10, 10), 1); /* always one */
    sqlbuf_free(&b);
}

static void test_datetime(void **state)
{
    char buf[64];

    batchsql_datetime_ms(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01 00:00:00.000");
    batchsql_datetime_ms(1700000000123LL, buf, sizeof(buf));
    assert_string_equal(buf, "2023-11-14 22:13:20.123");
    batchsql_datetime_ms(-5, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01 00:00:00.000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_datetime),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
