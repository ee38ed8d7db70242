/* Unit tests of shared/clock.c: UTC formatting, monotonic deadlines and condition
 * variables that time out on the monotonic clock. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"

static void test_utc_format(void **state)
{
    static const struct {
        int64_t ms;
        enum clock_utc_fmt fmt;
        const char *want;
    } cases[] = {
        {0, CLOCK_UTC_DATE, "1970-01-01"},
        {0, CLOCK_UTC_SQL, "1970-01-01 00:00:00"},
        {0, CLOCK_UTC_SQL_MS, "1970-01-01 00:00:00.000"},
        {0, CLOCK_UTC_ISO_MS, "1970-01-01T00:00:00.000Z"},
        {1700000000123LL, CLOCK_UTC_DATE, "2023-11-14"},
        {1700000000123LL, CLOCK_UTC_SQL, "2023-11-14 22:13:20"},
        {1700000000123LL, CLOCK_UTC_SQL_MS, "2023-11-14 22:13:20.123"},
        {1700000000123LL, CLOCK_UTC_ISO_MS, "2023-11-14T22:13:20.123Z"},
        {951782400000LL, CLOCK_UTC_DATE, "2000-02-29"}, /* a leap day */
        {-1, CLOCK_UTC_SQL_MS, "1969-12-31 23:59:59.999"},
        {-1000, CLOCK_UTC_ISO_MS, "1969-12-31T23:59:59.000Z"},
    };
    char buf[64];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clock_utc_format(cases[i].ms, cases[i].fmt, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].want);
    }
    clock_utc_format(1700000000123LL, CLOCK_UTC_ISO_MS, buf, 11); /* truncated, terminated */
    assert_string_equal(buf, "2023-11-14");
}

static void test_utc_tm(void **state)
{
    struct tm tm;
    int msec;

    clock_utc_tm(1700000000999LL, &tm, &msec);
    assert_int_equal(tm.tm_year + 1900, 2023);
    assert_int_equal(tm.tm_hour, 22);
    assert_int_equal(msec, 999);
    clock_utc_tm(-1, &tm, &msec);
    assert_int_equal(tm.tm_year + 1900, 1969);
    assert_int_equal(msec, 999);
}

static int64_t ts_ms(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

/* The deadline is on the monotonic clock (not the wall clock), normalised. */
static void test_deadline_is_monotonic(void **state)
{
    static const int64_t offsets[] = {0, 1, 999, 1000, 1001, 2500, 86400000};
    struct timespec ts;
    size_t i;

    for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        int64_t before = clock_mono_ms(), after, at;
        clock_deadline_ts(&ts, offsets[i]);
        after = clock_mono_ms();
        at = ts_ms(&ts);
        assert_true(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
        assert_true(at >= before + offsets[i]);
        assert_true(at <= after + offsets[i] + 1);
    }
    clock_deadline_ts(&ts, -5000); /* a negative wait is no wait */
    assert_true(ts_ms(&ts) <= clock_mono_ms());
    assert_true(ts_ms(&ts) >= clock_mono_ms() - 1000);
}

static void test_clocks_move(void **state)
{
    int64_t m0 = clock_mono_ms(), w = clock_wall_ms();
    double s0 = clock_mono_s();
    struct timespec nap = {0, 20 * 1000000L};

    /* the wall clock is the epoch clock; 2020-01-01 is long past */
    assert_true(w > 1577836800000LL);
    assert_true(w / 1000 - (int64_t)time(NULL) <= 1 && (int64_t)time(NULL) - w / 1000 <= 1);
    nanosleep(&nap, NULL);
    assert_true(clock_mono_ms() >= m0 + 20);
    assert_true(clock_mono_s() >= s0 + 0.019);
}

/* A timed wait on a clock_cond_init condvar with a clock_deadline_ts deadline waits
 * for the time asked. Were the condvar on CLOCK_REALTIME, the monotonic deadline
 * (counted from boot) would lie decades in the past and the wait would return at once. */
static void test_cond_waits_on_monotonic(void **state)
{
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cond;
    struct timespec deadline;
    int64_t t0;
    int rc;

    assert_int_equal(clock_cond_init(&cond), 0);
    pthread_mutex_lock(&lock);
    t0 = clock_mono_ms();
    clock_deadline_ts(&deadline, 60);
    do
        rc = pthread_cond_timedwait(&cond, &lock, &deadline);
    while (rc == 0); /* spurious wake-ups */
    assert_int_equal(rc, ETIMEDOUT);
    assert_true(clock_mono_ms() - t0 >= 59);
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&cond);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utc_format),
        cmocka_unit_test(test_utc_tm),
        cmocka_unit_test(test_deadline_is_monotonic),
        cmocka_unit_test(test_clocks_move),
        cmocka_unit_test(test_cond_waits_on_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
