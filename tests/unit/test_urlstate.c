/* tests/unit/test_urlstate.c: the up/down state machine and the certificate warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "urlstate.h"

#define T0 1700000000000LL
#define DAY 86400

static struct check_result res(int64_t at_ms, bool ok, int64_t cert)
{
    struct check_result r;

    memset(&r, 0, sizeof(r));
    r.checked_at_ms = at_ms;
    r.success = ok;
    r.cert_expires_s = cert;
    return r;
}

static struct urlstate_row fresh(unsigned fail_th, unsigned ok_th)
{
    struct urlstate_row s;

    memset(&s, 0, sizeof(s));
    s.url_id = 1;
    s.fail_threshold = fail_th;
    s.success_threshold = ok_th;
    return s;
}

/* A sequence of checks ('+' ok, '-' failed) and the events it must give. */
struct seq_case {
    const char *name;
    unsigned fail_th, ok_th;
    const char *checks;
    unsigned downs, ups, first_ups;
    enum urlstate final;
};

static void test_sequences(void **state)
{
    static const struct seq_case cases[] = {
        {"first success: up, silently", 2, 1, "+", 0, 0, 1, URLSTATE_UP},
        {"one failure between successes opens nothing", 2, 1, "++-++", 0, 0, 1, URLSTATE_UP},
        {"two failures open one incident", 2, 1, "++--", 1, 0, 1, URLSTATE_DOWN},
        {"staying down opens no second one", 2, 1, "++-----", 1, 0, 1, URLSTATE_DOWN},
        {"back up closes it", 2, 1, "++--+", 1, 1, 1, URLSTATE_UP},
        {"never worked: down from unknown", 2, 1, "--", 1, 0, 0, URLSTATE_DOWN},
        {"one failure from unknown stays unknown", 2, 1, "-", 0, 0, 0, URLSTATE_UNKNOWN},
        {"threshold 1 pages at once", 1, 1, "+-", 1, 0, 1, URLSTATE_DOWN},
        {"success threshold 3 needs three", 2, 3, "+++--++-+++", 1, 1, 1, URLSTATE_UP},
        {"success threshold 3, two then fail", 2, 3, "+++--++", 1, 0, 1, URLSTATE_DOWN},
        {"flapping twice", 2, 1, "+--+--+", 2, 2, 1, URLSTATE_UP},
    };
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct seq_case *c = &cases[i];
        struct urlstate_row s = fresh(c->fail_th, c->ok_th);
        unsigned downs = 0, ups = 0, first = 0;
        for (k = 0; c->checks[k]; k++) {
            struct check_result r = res(T0 + (int64_t)k * 60000, c->checks[k] == '+', 0);
            unsigned ch = urlstate_apply(&s, &r, 14);
            downs += (ch & URLSTATE_CH_DOWN) != 0;
            ups += (ch & URLSTATE_CH_UP) != 0;
            first += (ch & URLSTATE_CH_FIRST_UP) != 0;
        }
        if (downs != c->downs || ups != c->ups || first != c->first_ups || s.state != c->final)
            fail_msg("%s: downs %u ups %u first %u state %s", c->name, downs, ups, first,
                     urlstate_name(s.state));
    }
}

/* Steady state writes nothing; an older result changes nothing. */
static void test_quiet_and_stale(void **state)
{
    struct urlstate_row s = fresh(2, 1);
    struct check_result r = res(T0, true, 0);

    (void)state;
    assert_true(urlstate_apply(&s, &r, 14) & URLSTATE_CH_ROW);
    r.checked_at_ms += 60000;
    assert_int_equal(urlstate_apply(&s, &r, 14), URLSTATE_CH_NONE);
    r = res(T0 + 120000, false, 0);
    assert_true(urlstate_apply(&s, &r, 14) & URLSTATE_CH_ROW);
    r = res(T0 + 90000, false, 0); /* replayed late: older than what is known */
    assert_int_equal(urlstate_apply(&s, &r, 14), URLSTATE_CH_NONE);
    assert_int_equal(s.consec_fail, 1);
    assert_int_equal(s.state, URLSTATE_UP);
}

static void test_cert(void **state)
{
    struct urlstate_row s = fresh(2, 1);
    int64_t now = T0 / 1000;
    struct check_result r = res(T0, true, now + 30 * DAY);
    unsigned ch;

    (void)state;
    ch = urlstate_apply(&s, &r, 14);
    assert_false(ch & URLSTATE_CH_CERT_WARN);
    assert_int_equal(s.cert_expires_s, now + 30 * DAY);
    r = res(T0 + 60000, true, now + 3 * DAY); /* a new certificate, 3 days left */
    assert_true(urlstate_apply(&s, &r, 14) & URLSTATE_CH_CERT_WARN);
    r.checked_at_ms += 60000;
    assert_false(urlstate_apply(&s, &r, 14) & URLSTATE_CH_CERT_WARN); /* once */
    r = res(T0 + 180000, false, 0); /* no certificate seen: nothing learnt */
    assert_false(urlstate_apply(&s, &r, 14) & (URLSTATE_CH_CERT_WARN | URLSTATE_CH_CERT_OK));
    assert_true(s.cert_warned);
    r = res(T0 + 240000, true, now + 90 * DAY); /* renewed */
    assert_true(urlstate_apply(&s, &r, 14) & URLSTATE_CH_CERT_OK);
    assert_false(s.cert_warned);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_quiet_and_stale),
        cmocka_unit_test(test_cert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
