/* Unit tests: per-batch rollup aggregation and its SQL (compute/rollup.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "rollup.h"

#define H 3600000LL
#define D 86400000LL
#define T0 (19675LL * D) /* 2023-11-14 00:00:00 UTC */

static struct check_result res(uint64_t url, int64_t at, bool ok, uint32_t ms)
{
    struct check_result r;
    memset(&r, 0, sizeof(r));
    r.url_id = url;
    r.checked_at_ms = at;
    r.success = ok;
    r.response_ms = ms;
    return r;
}

static void test_aggregate(void **state)
{
    struct check_result rows[] = {
        res(2, T0 + 5 * H + 10, true, 100),         res(1, T0 + 5 * H + 20, false, 50),
        res(2, T0 + 5 * H + 30, false, 300),        res(1, T0 + 6 * H, true, 7),
        res(3, T0 + D + 1, true, CHECK_MS_UNKNOWN),
    };
    struct rollup *ru = NULL;
    const struct rollup_row *h, *d, *t;

    assert_int_equal(rollup_build(rows, 5, &ru), 0);
    assert_int_equal(rollup_count(ru, ROLLUP_HOURLY), 4);
    h = rollup_rows(ru, ROLLUP_HOURLY);
    /* sorted by (bucket, url) */
    assert_int_equal(h[0].bucket, (T0 + 5 * H) / H);
    assert_int_equal(h[0].url_id, 1);
    assert_int_equal(h[0].fail_count, 1);
    assert_int_equal(h[1].url_id, 2);
    assert_int_equal(h[1].success_count, 1);
    assert_int_equal(h[1].fail_count, 1);
    assert_int_equal(h[1].response_ms_sum, 400);
    assert_int_equal(h[2].url_id, 1);
    assert_int_equal(h[2].bucket, (T0 + 6 * H) / H);
    assert_int_equal(h[3].response_ms_sum, 0); /* unknown time counts as 0 */

    assert_int_equal(rollup_count(ru, ROLLUP_DAILY), 3);
    d = rollup_rows(ru, ROLLUP_DAILY);
    assert_int_equal(d[0].url_id, 1);
    assert_int_equal(d[0].success_count + d[0].fail_count, 2);
    assert_int_equal(d[1].response_ms_sum, 400);
    assert_int_equal(d[2].bucket, T0 / D + 1);

    assert_int_equal(rollup_count(ru, ROLLUP_HOURLY_TOTAL), 3);
    t = rollup_rows(ru, ROLLUP_HOURLY_TOTAL);
    assert_int_equal(t[0].success_count, 1);
    assert_int_equal(t[0].fail_count, 2);
    assert_int_equal(t[0].url_id, 0);
    rollup_free(&ru);
    assert_null(ru);
}

static void test_sql(void **state)
{
    struct check_result rows[] = {res(9, T0 + 5 * H, true, 12), res(8, T0 + 5 * H, false, 3)};
    struct rollup *ru = NULL;
    struct sqlbuf *b = NULL;

    assert_int_equal(rollup_build(rows, 2, &ru), 0);
    assert_int_equal(sqlbuf_new(&b), 0);
    assert_int_equal(rollup_sql(b, ru, ROLLUP_HOURLY, 0, 1 << 20), 2);
    assert_string_equal(sqlbuf_str(b),
                        "INSERT INTO rollup_hourly (bucket,url_id,success_count,fail_count,"
                        "response_ms_sum) VALUES ('2023-11-14 05:00:00',8,0,1,3),"
                        "('2023-11-14 05:00:00',9,1,0,12) ON DUPLICATE KEY UPDATE"
                        " success_count = success_count + VALUES(success_count),"
                        " fail_count = fail_count + VALUES(fail_count),"
                        " response_ms_sum = response_ms_sum + VALUES(response_ms_sum)");
    assert_int_equal(rollup_sql(b, ru, ROLLUP_DAILY, 0, 1 << 20), 2);
    assert_non_null(strstr(sqlbuf_str(b), "VALUES ('2023-11-14',8,0,1,3),('2023-11-14',9,1,0,12)"));
    assert_int_equal(rollup_sql(b, ru, ROLLUP_HOURLY_TOTAL, 0, 1 << 20), 1);
    assert_string_equal(sqlbuf_str(b),
                        "INSERT INTO rollup_hourly_total (bucket,success_count,fail_count) VALUES"
                        " ('2023-11-14 05:00:00',1,1) ON DUPLICATE KEY UPDATE"
                        " success_count = success_count + VALUES(success_count),"
                        " fail_count = fail_count + VALUES(fail_count)");
    /* a tiny limit: one row per statement, then nothing */
    assert_int_equal(rollup_sql(b, ru, ROLLUP_HOURLY, 0, 10), 1);
    assert_int_equal(rollup_sql(b, ru, ROLLUP_HOURLY, 1, 10), 1);
    assert_int_equal(rollup_sql(b, ru, ROLLUP_HOURLY, 2, 10), 0);
    sqlbuf_free(&b);
    rollup_free(&ru);
}

static void test_empty(void **state)
{
    struct rollup *ru = NULL;
    struct sqlbuf *b = NULL;

    assert_int_equal(rollup_build(NULL, 0, &ru), 0);
    assert_int_equal(sqlbuf_new(&b), 0);
    assert_int_equal(rollup_count(ru, ROLLUP_DAILY), 0);
    assert_int_equal(rollup_sql(b, ru, ROLLUP_DAILY, 0, 1 << 20), 0);
    sqlbuf_free(&b);
    rollup_free(&ru);
}

/* rollup_build_checks applies the same rules as rollup_build; count stands for that
 * many equal checks. */
static void test_checks_same_rules(void **state)
{
    struct check_result rows[] = {
        res(2, T0 + 5 * H + 10, true, 100),         res(1, T0 + 5 * H + 20, false, 50),
        res(2, T0 + 5 * H + 30, false, 300),        res(1, T0 + 6 * H, true, 7),
        res(3, T0 + D + 1, true, CHECK_MS_UNKNOWN), res(4, -5, true, 9),
    };
    struct rollup_check c[ARRAY_LEN(rows)];
    struct rollup *a = NULL, *b = NULL;
    size_t i;
    int k;

    for (i = 0; i < ARRAY_LEN(rows); i++)
        c[i] = (struct rollup_check){rows[i].url_id, rows[i].checked_at_ms, rows[i].success,
                                     rows[i].response_ms, 1};
    assert_int_equal(rollup_build(rows, ARRAY_LEN(rows), &a), 0);
    assert_int_equal(rollup_build_checks(c, ARRAY_LEN(c), &b), 0);
    for (k = ROLLUP_HOURLY; k <= ROLLUP_HOURLY_TOTAL; k++) {
        assert_int_equal(rollup_count(a, k), rollup_count(b, k));
        assert_memory_equal(rollup_rows(a, k), rollup_rows(b, k),
                            rollup_count(a, k) * sizeof(struct rollup_row));
    }
    rollup_free(&a);
    rollup_free(&b);

    /* 5 successes and 2 failures of 40 ms each, in one hour */
    c[0] = (struct rollup_check){7, T0 + 3 * H + 1, true, 40, 5};
    c[1] = (struct rollup_check){7, T0 + 3 * H + 2, false, 40, 2};
    c[2] = (struct rollup_check){7, T0 + 3 * H + 3, false, CHECK_MS_UNKNOWN, 4};
    assert_int_equal(rollup_build_checks(c, 3, &b), 0);
    assert_int_equal(rollup_count(b, ROLLUP_HOURLY), 1);
    assert_int_equal(rollup_rows(b, ROLLUP_HOURLY)[0].success_count, 5);
    assert_int_equal(rollup_rows(b, ROLLUP_HOURLY)[0].fail_count, 6);
    assert_int_equal(rollup_rows(b, ROLLUP_HOURLY)[0].response_ms_sum, 280);
    assert_int_equal(rollup_rows(b, ROLLUP_HOURLY_TOTAL)[0].fail_count, 6);
    rollup_free(&b);
}

static void test_tsv(void **state)
{
    struct rollup_row h = {(T0 + 5 * H) / H, 9, 3, 1, 120}, d = {T0 / D, 9, 3, 1, 120};
    char buf[128];

    assert_int_equal(rollup_tsv(&h, ROLLUP_HOURLY, buf, sizeof(buf)), 30);
    assert_string_equal(buf, "2023-11-14 05:00:00\t9\t3\t1\t120\n");
    rollup_tsv(&d, ROLLUP_DAILY, buf, sizeof(buf));
    assert_string_equal(buf, "2023-11-14\t9\t3\t1\t120\n");
    rollup_tsv(&h, ROLLUP_HOURLY_TOTAL, buf, sizeof(buf));
    assert_string_equal(buf, "2023-11-14 05:00:00\t3\t1\n");
    assert_int_equal(rollup_tsv(&h, ROLLUP_HOURLY, buf, 10), -1); /* does not fit */
}

/* rollup_tsv keeps the text of the last bucket: a new hour, the same bucket number as a
 * day, and back again must each get their own text; numbers in full up to UINT64_MAX. */
static void test_tsv_buckets(void **state)
{
    struct rollup_row a = {(T0 + 5 * H) / H, 1, 0, 0, 0}, b = {(T0 + 6 * H) / H, 2, 10, 0, 7};
    struct rollup_row big = {(T0 + 6 * H) / H, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX};
    struct rollup_row d = {(T0 + 6 * H) / H, 3, 1, 2, 3}; /* bucket number of b, as a day */
    char buf[160];

    (void)state;
    rollup_tsv(&a, ROLLUP_HOURLY, buf, sizeof(buf));
    assert_string_equal(buf, "2023-11-14 05:00:00\t1\t0\t0\t0\n");
    rollup_tsv(&b, ROLLUP_HOURLY, buf, sizeof(buf));
    assert_string_equal(buf, "2023-11-14 06:00:00\t2\t10\t0\t7\n");
    rollup_tsv(&d, ROLLUP_DAILY, buf, sizeof(buf));
    assert_string_equal(buf, "3262-11-09\t3\t1\t2\t3\n");
    rollup_tsv(&big, ROLLUP_HOURLY, buf, sizeof(buf));
    assert_string_equal(buf, "2023-11-14 06:00:00\t18446744073709551615\t18446744073709551615"
                             "\t18446744073709551615\t18446744073709551615\n");
    assert_int_equal(rollup_tsv(&big, ROLLUP_HOURLY, buf, 104),
                     -1); /* 104 bytes + NUL: one short */
    assert_int_equal(rollup_tsv(&big, ROLLUP_HOURLY, buf, 105), 104);
    rollup_tsv(&big, ROLLUP_HOURLY_TOTAL, buf, sizeof(buf));
    assert_string_equal(buf, "2023-11-14 06:00:00\t18446744073709551615\t18446744073709551615\n");
}

/* Checks already in key order (the sort is skipped) and the same checks reversed (sorted)
 * give the same rows. */
static void test_sorted_input(void **state)
{
    struct rollup_check in[6], rev[6];
    struct rollup *x = NULL, *y = NULL;
    size_t i, k;

    (void)state;
    for (i = 0; i < 6; i++) {
        in[i] = (struct rollup_check){1 + i % 3, T0 + (int64_t)(i / 3) * H, i % 2 == 0, 10, 1};
        rev[5 - i] = in[i];
    }
    assert_int_equal(rollup_build_checks(in, 6, &x), 0);
    assert_int_equal(rollup_build_checks(rev, 6, &y), 0);
    for (k = 0; k < 3; k++) {
        assert_int_equal(rollup_count(x, (enum rollup_kind)k),
                         rollup_count(y, (enum rollup_kind)k));
        for (i = 0; i < rollup_count(x, (enum rollup_kind)k); i++) {
            const struct rollup_row *p = &rollup_rows(x, (enum rollup_kind)k)[i];
            const struct rollup_row *q = &rollup_rows(y, (enum rollup_kind)k)[i];
            assert_true(p->bucket == q->bucket && p->url_id == q->url_id &&
                        p->success_count == q->success_count && p->fail_count == q->fail_count &&
                        p->response_ms_sum == q->response_ms_sum);
        }
    }
    assert_int_equal(rollup_count(x, ROLLUP_HOURLY), 6);
    assert_int_equal(rollup_count(x, ROLLUP_DAILY), 3);
    assert_int_equal(rollup_count(x, ROLLUP_HOURLY_TOTAL), 2);
    rollup_free(&x);
    rollup_free(&y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate),    cmocka_unit_test(test_sql),
        cmocka_unit_test(test_empty),        cmocka_unit_test(test_checks_same_rules),
        cmocka_unit_test(test_tsv),          cmocka_unit_test(test_tsv_buckets),
        cmocka_unit_test(test_sorted_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
