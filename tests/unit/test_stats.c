/* Unit tests: the response-time histogram and its percentiles (compute/stats.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>

#include "stats.h"

static uint32_t pct(struct stats_hist *h, double p)
{
    uint32_t v = 0;
    assert_int_equal(stats_hist_percentile(h, p, &v), 0);
    return v;
}

static void test_empty_and_bounds(void **state)
{
    struct stats_hist *h = NULL;
    uint32_t v;

    assert_int_equal(stats_hist_new(&h), 0);
    assert_int_equal(stats_hist_percentile(h, 50, &v), -1);
    stats_hist_add(h, 7);
    assert_int_equal(stats_hist_percentile(h, 0, &v), -1);
    assert_int_equal(stats_hist_percentile(h, 100.5, &v), -1);
    assert_int_equal(pct(h, 100), 7);
    assert_int_equal(pct(h, 0.01), 7);
    stats_hist_free(&h);
    assert_null(h);
    stats_hist_free(&h); /* NULL-safe */
}

/* Nearest rank over exact values: 1..1000 ms once each. */
static void test_exact_range(void **state)
{
    struct stats_hist *h = NULL;
    uint32_t i;

    assert_int_equal(stats_hist_new(&h), 0);
    for (i = 1000; i >= 1; i--)
        stats_hist_add(h, i);
    assert_int_equal(stats_hist_count(h), 1000);
    assert_int_equal(pct(h, 50), 500);
    assert_int_equal(pct(h, 95), 950);
    assert_int_equal(pct(h, 99), 990);
    assert_int_equal(pct(h, 100), 1000);
    assert_int_equal(pct(h, 0.1), 1);
    stats_hist_free(&h);
}

struct skew_case {
    uint32_t fast, slow;   /* two values */
    unsigned nfast, nslow; /* how many of each */
    double p;
    uint32_t want; /* exact (values < 1024) */
};

static void test_table(void **state)
{
    static const struct skew_case cases[] = {
        {10, 900, 99, 1, 99, 10}, {10, 900, 98, 2, 99, 900}, {0, 5, 1, 1, 50, 0},
        {0, 5, 1, 1, 51, 5},      {3, 4, 95, 5, 95, 3},      {3, 4, 94, 6, 95, 4},
    };
    size_t i;
    unsigned j;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stats_hist *h = NULL;
        assert_int_equal(stats_hist_new(&h), 0);
        for (j = 0; j < cases[i].nfast; j++)
            stats_hist_add(h, cases[i].fast);
        for (j = 0; j < cases[i].nslow; j++)
            stats_hist_add(h, cases[i].slow);
        if (pct(h, cases[i].p) != cases[i].want)
            fail_msg("case %zu: p%.0f = %u, want %u", i, cases[i].p, pct(h, cases[i].p),
                     cases[i].want);
        stats_hist_free(&h);
    }
}

/* Above 1023 ms the answer is within 1.6 % of the true value. */
static void test_large_values_relative_error(void **state)
{
    static const uint32_t values[] = {1024,   1500,    2002,      9999,        30000,     65535,
                                      123456, 1000000, 86400000u, 4000000000u, UINT32_MAX};
    size_t i;

    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        struct stats_hist *h = NULL;
        uint32_t got;
        double err;
        assert_int_equal(stats_hist_new(&h), 0);
        stats_hist_add(h, values[i]);
        got = pct(h, 50);
        err = ((double)got - (double)values[i]) / (double)values[i];
        if (err < -0.016 || err > 0.016)
            fail_msg("%u ms reported as %u", values[i], got);
        stats_hist_free(&h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_bounds),
        cmocka_unit_test(test_exact_range),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_large_values_relative_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
