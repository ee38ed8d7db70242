/* Unit tests: the service mode's schedule (compute/agenda.c): phases, ticks, take/done
 * at a fixed rate, catch-up, interval and regex changes, removal, 10,000 URLs spread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "agenda.h"

#define T0 INT64_C(1800000000000) /* an instant, ms */

static void test_ticks(void **state)
{
    uint64_t id;

    (void)state;
    for (id = 1; id < 2000; id++) {
        int64_t ph = agenda_phase_ms(id, 60), t;
        assert_true(ph >= 0 && ph < 60000);
        assert_int_equal(agenda_phase_ms(id, 60), ph); /* stable */
        t = agenda_tick_at_or_after(id, 60, T0 + (int64_t)id * 7);
        assert_true(t >= T0 + (int64_t)id * 7 && t < T0 + (int64_t)id * 7 + 60000);
        assert_int_equal((t - ph) % 60000, 0);
        assert_int_equal(agenda_tick_at_or_after(id, 60, t), t);
        assert_int_equal(agenda_tick_at_or_after(id, 60, t + 1), t + 60000);
    }
}

/* An agenda holding one URL, read at now. */
static struct agenda *with_at(uint64_t id, unsigned every, int64_t last, int64_t now)
{
    struct agenda *a = NULL;

    assert_int_equal(agenda_new(&a), 0);
    agenda_reload_begin(a);
    assert_int_equal(agenda_put(a, id, "http://x/", "", every, last, now), AGENDA_ADDED);
    assert_int_equal(agenda_reload_end(a), 0);
    return a;
}

static struct agenda *with(uint64_t id, unsigned every, int64_t last)
{
    return with_at(id, every, last, T0);
}

static void test_fixed_rate(void **state)
{
    struct agenda *a = with(42, 5, -1);
    struct check_target t;
    int64_t sched, tick, now = T0;
    int i;

    (void)state;
    /* never checked: due at once */
    assert_true(agenda_take(a, now, &t, &sched));
    assert_int_equal(t.url_id, 42);
    assert_int_equal(sched, T0);
    assert_false(agenda_take(a, now + 100000, &t, &sched)); /* in flight: never twice */
    assert_int_equal(agenda_inflight(a), 1);
    assert_int_equal(agenda_done(a, 42, now, now + 30), T0);
    /* then on its grid, at least 5 s later, every 5 s */
    tick = agenda_next_due(a);
    assert_true(tick >= T0 + 5000 && tick < T0 + 10000);
    assert_int_equal((tick - agenda_phase_ms(42, 5)) % 5000, 0);
    for (i = 0; i < 12; i++) {
        assert_false(agenda_take(a, tick - 1, &t, &sched));
        assert_true(agenda_take(a, tick + 3, &t, &sched));
        assert_int_equal(sched, tick);
        assert_int_equal(agenda_done(a, 42, tick + 3, tick + 50), tick);
        assert_int_equal(agenda_next_due(a), tick + 5000);
        tick += 5000;
    }
    /* a check that overran two ticks: they are not made up */
    assert_true(agenda_take(a, tick, &t, &sched));
    assert_int_equal(agenda_done(a, 42, tick, tick + 12000), tick);
    assert_int_equal(agenda_next_due(a), tick + 15000);
    assert_int_equal(agenda_done(a, 42, 0, 0), -1); /* not in flight */
    agenda_free(&a);
    assert_null(a);
}

static void test_from_last_check(void **state)
{
    int64_t ph = agenda_phase_ms(7, 60), tick = T0 - 60000 + ph;
    struct agenda *a;

    (void)state;
    if (tick > T0 - 30000)
        tick -= 60000; /* a tick at least 30 s ago */
    /* checked 80 ms late at a tick: the next is the following tick */
    a = with(7, 60, tick + 80);
    assert_int_equal(agenda_next_due(a), tick + 60000 < T0 ? T0 : tick + 60000);
    agenda_free(&a);
    /* started 5 s late (over a tenth of 30 s: the engine was overloaded): the next
     * check is not 25 s later but on the tick after next, at least 27 s later */
    {
        int64_t tk = agenda_tick_at_or_after(7, 30, T0), sched;
        struct check_target t;
        a = with_at(7, 30, tk - 30000 + 20, tk - 10);
        assert_int_equal(agenda_next_due(a), tk);
        assert_true(agenda_take(a, tk + 5000, &t, &sched));
        assert_int_equal(sched, tk);
        assert_int_equal(agenda_done(a, 7, tk + 5000, tk + 5100), tk);
        assert_int_equal(agenda_next_due(a), tk + 60000);
        agenda_free(&a);
    }
    /* the tick after the last check passed 400 ms before the list was read (a start):
     * caught up at once, serving that tick (its lateness is 400 ms), and the following
     * tick is not skipped */
    {
        int64_t tk = agenda_tick_at_or_after(7, 30, T0), now = tk + 400, sched;
        struct check_target t;
        a = with_at(7, 30, tk - 30000 + 20, now);
        assert_int_equal(agenda_next_due(a), now);
        assert_true(agenda_take(a, now, &t, &sched));
        assert_int_equal(sched, tk);
        assert_int_equal(agenda_done(a, 7, now, now + 20), tk);
        assert_int_equal(agenda_next_due(a), tk + 30000);
        agenda_free(&a);
        /* missed by 2.5 s, under a tenth of the 30 s interval (a 100,000-URL list's
         * first read takes about that long): still served on the grid, the following
         * tick kept */
        a = with_at(7, 30, tk - 30000 + 20, tk + 2500);
        assert_true(agenda_take(a, tk + 2500, &t, &sched));
        assert_int_equal(sched, tk);
        assert_int_equal(agenda_done(a, 7, tk + 2500, tk + 2520), tk);
        assert_int_equal(agenda_next_due(a), tk + 30000);
        agenda_free(&a);
        /* missed by more than AGENDA_LATE_SLACK_PCT of the interval (20 s of 30 s): off
         * the grid, then at least 30 s later */
        a = with_at(7, 30, tk - 30000 + 20, tk + 20000);
        assert_true(agenda_take(a, tk + 20000, &t, &sched));
        assert_int_equal(sched, tk + 20000);
        assert_int_equal(agenda_done(a, 7, tk + 20000, tk + 20020), tk + 20000);
        assert_int_equal(agenda_next_due(a), tk + 60000);
        agenda_free(&a);
    }
    /* last check 2 h ago: overdue, caught up now */
    a = with(7, 60, T0 - 7200000);
    assert_int_equal(agenda_next_due(a), T0);
    agenda_free(&a);
    /* a 3600 s URL checked 10 s ago by a slotted run: not before L + 1800 s */
    a = with(7, 3600, T0 - 10000);
    assert_true(agenda_next_due(a) >= T0 - 10000 + 1800000);
    assert_true(agenda_next_due(a) < T0 - 10000 + 1800000 + 3600000);
    agenda_free(&a);
}

static void test_changes(void **state)
{
    struct agenda *a = with(9, 3600, T0 - 1000);
    struct check_target t;
    int64_t sched;

    (void)state;
    assert_true(agenda_next_due(a) > T0 + 1000000);
    /* 3600 -> 5 s: takes effect at once (the next tick of the new grid after L + 2.5 s) */
    agenda_reload_begin(a);
    assert_int_equal(agenda_put(a, 9, "http://x/", "", 5, -1, T0), AGENDA_CHANGED);
    assert_int_equal(agenda_reload_end(a), 0);
    assert_true(agenda_next_due(a) >= T0 && agenda_next_due(a) < T0 + 5000);
    /* a new regex: the next check uses it */
    agenda_reload_begin(a);
    assert_int_equal(agenda_put(a, 9, "http://x/", "ok", 5, -1, T0), AGENDA_CHANGED);
    assert_int_equal(agenda_put(a, 9, "http://x/", "ok", 5, -1, T0), AGENDA_UNCHANGED);
    assert_int_equal(agenda_reload_end(a), 0);
    assert_true(agenda_take(a, T0 + 5000, &t, &sched));
    assert_string_equal(t.regex, "ok");
    /* deactivated while in flight: dropped when its check ends */
    agenda_reload_begin(a);
    assert_int_equal(agenda_reload_end(a), 1);
    assert_int_equal(agenda_count(a), 1);
    assert_true(agenda_done(a, 9, T0 + 5000, T0 + 5100) >= 0);
    assert_int_equal(agenda_count(a), 0);
    assert_int_equal(agenda_next_due(a), INT64_MAX);
    agenda_free(&a);
}

/* 10,000 URLs at 60 s: taken in time order, spread over the minute within 20 % per
 * 6 s tenth; removal of half of them keeps the index and heap sound. */
static void test_spread(void **state)
{
    struct agenda *a = NULL;
    struct check_target t;
    unsigned tenth[10] = {0};
    int64_t sched, prev = 0, now;
    uint64_t id;
    size_t taken = 0;
    unsigned i;

    (void)state;
    assert_int_equal(agenda_new(&a), 0);
    agenda_reload_begin(a);
    for (id = 1; id <= 10000; id++)
        assert_int_equal(agenda_put(a, id, "http://x/", "", 60, T0 - 30000, T0), AGENDA_ADDED);
    assert_int_equal(agenda_reload_end(a), 0);
    for (now = T0; now <= T0 + 60000; now += 100) {
        while (agenda_take(a, now, &t, &sched)) {
            assert_true(sched >= prev);
            prev = sched;
            assert_true(agenda_done(a, t.url_id, now, now) >= 0);
            if (sched >= T0 + 60000)
                continue; /* the second round begins */
            tenth[(sched - T0) / 6000]++;
            taken++;
        }
    }
    assert_int_equal(taken, 10000);
    for (i = 0; i < 10; i++)
        assert_true(tenth[i] > 800 && tenth[i] < 1200);
    agenda_reload_begin(a);
    for (id = 2; id <= 10000; id += 2)
        assert_int_equal(agenda_put(a, id, "http://x/", "", 60, -1, now), AGENDA_UNCHANGED);
    assert_int_equal(agenda_reload_end(a), 5000);
    assert_int_equal(agenda_count(a), 5000);
    for (id = 1; id <= 10000; id++)
        assert_int_equal(agenda_has(a, id), id % 2 == 0);
    for (taken = 0; agenda_take(a, now + 60000, &t, &sched); taken++)
        assert_int_equal(t.url_id % 2, 0);
    assert_int_equal(taken, 5000);
    agenda_free(&a);
}

/* The heap under churn: 20,000 URLs with random intervals and last checks, then a
 * reload that changes a third of the intervals (entries moved inside the heap) and drops
 * a fifth; everything still waiting comes out once each, in due-time order. */
static void test_heap_order(void **state)
{
    enum { N = 20000 };
    static const unsigned iv[] = {5, 30, 60, 300, 3600, 86400};
    static unsigned char seen[N + 1];
    static unsigned ivl[N + 1];
    struct agenda *a = NULL;
    struct check_target t;
    uint64_t rnd = 88172645463325252u, id;
    int64_t sched, due, prev = INT64_MIN;
    size_t kept = 0, taken = 0;

    (void)state;
    memset(seen, 0, sizeof(seen));
    assert_int_equal(agenda_new(&a), 0);
    agenda_reload_begin(a);
    for (id = 1; id <= N; id++) {
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        ivl[id] = iv[rnd % 6];
        assert_int_equal(
            agenda_put(a, id, "http://x/", "", ivl[id], T0 - (int64_t)(rnd >> 40) % 90000000, T0),
            AGENDA_ADDED);
    }
    assert_int_equal(agenda_reload_end(a), 0);
    agenda_reload_begin(a);
    for (id = 1; id <= N; id++) {
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        if (id % 5 == 0)
            continue;
        kept++;
        if (id % 3 == 0) {
            unsigned n = iv[rnd % 6];
            if (n == ivl[id])
                n = ivl[id] == 5 ? 30 : 5;
            assert_int_equal(agenda_put(a, id, "http://x/", "", n, -1, T0 + 1000), AGENDA_CHANGED);
        } else {
            assert_int_equal(agenda_put(a, id, "http://x/", "", ivl[id], -1, T0 + 1000),
                             AGENDA_UNCHANGED);
        }
    }
    assert_int_equal(agenda_reload_end(a), N / 5);
    for (;;) {
        due = agenda_next_due(a);
        if (!agenda_take(a, INT64_MAX / 2, &t, &sched))
            break;
        assert_true(due >= prev);
        prev = due;
        assert_true(t.url_id >= 1 && t.url_id <= N && t.url_id % 5 != 0);
        assert_int_equal(seen[t.url_id]++, 0);
        taken++;
    }
    assert_int_equal(taken, kept);
    assert_int_equal(agenda_inflight(a), kept);
    agenda_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticks),           cmocka_unit_test(test_fixed_rate),
        cmocka_unit_test(test_from_last_check), cmocka_unit_test(test_changes),
        cmocka_unit_test(test_spread),          cmocka_unit_test(test_heap_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
