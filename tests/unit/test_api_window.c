/* Unit tests: rolling window split (api/window.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>

#include "window.h"

#define H WINDOW_HOUR_MS
#define D WINDOW_DAY_MS
/* 2026-11-22T00:00:00Z */
#define DAY0 INT64_C(1795305600000)

static void test_ceil(void **state)
{
    assert_true(window_ceil(0, H) == 0);
    assert_true(window_ceil(1, H) == H);
    assert_true(window_ceil(H, H) == H);
    assert_true(window_ceil(H + 1, H) == 2 * H);
    assert_true(window_ceil(DAY0 + 1, D) == DAY0 + D);
    assert_true(window_ceil(DAY0, D) == DAY0);
    assert_true(window_ceil(-1, H) == 0);
    assert_true(window_floor(DAY0 + 1, D) == DAY0);
    assert_true(window_floor(DAY0, D) == DAY0);
    assert_true(window_floor(DAY0 - 1, D) == DAY0 - D);
    assert_true(window_floor(-1, H) == -H);
}

struct wcase {
    int64_t now, span, start, hour, day;
};

static void test_split(void **state)
{
    static const struct wcase cases[] = {
        /* now 10:30:00.500, month: start 30 d earlier at 10:30:00.500 */
        {DAY0 + 10 * H + 30 * 60000 + 500, 30 * D, DAY0 - 30 * D + 10 * H + 30 * 60000 + 500,
         DAY0 - 30 * D + 11 * H, DAY0 - 29 * D},
        /* start exactly on the hour: no raw part */
        {DAY0 + 10 * H, 7 * D, DAY0 - 7 * D + 10 * H, DAY0 - 7 * D + 10 * H, DAY0 - 6 * D},
        /* start exactly at midnight: no raw, no hourly part */
        {DAY0, 7 * D, DAY0 - 7 * D, DAY0 - 7 * D, DAY0 - 7 * D},
        /* start at 23:59:59.999: one ms of raw, the hour ends at midnight */
        {DAY0 - 1, 7 * D, DAY0 - 7 * D - 1, DAY0 - 7 * D, DAY0 - 7 * D},
        /* 24 h from 00:00:00.001 */
        {DAY0 + 1, D, DAY0 - D + 1, DAY0 - D + H, DAY0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct window w;
        window_split(cases[i].now, cases[i].span, &w);
        assert_true(w.start_ms == cases[i].start);
        assert_true(w.hour_ms == cases[i].hour);
        assert_true(w.day_ms == cases[i].day);
        assert_true(w.start_ms <= w.hour_ms && w.hour_ms <= w.day_ms);
        assert_true(w.hour_ms - w.start_ms < H);
        assert_true(w.day_ms - w.hour_ms < D);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ceil), cmocka_unit_test(test_split)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
