/* Unit tests: the entry validator shared by POST /urls, the queue and the CSV loader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "qentry.h"
#include "utf8.h"

static void test_good_json(void **state)
{
    struct qentry e;
    char err[256] = "";
    static const char body[] = "{\"name\":\"Example \xc3\xa9\",\"url\":\"HTTPS://Example.com\","
                               "\"regex\":\"Example\\\\s+Domain\"}";
    char *json;

    assert_int_equal(qentry_parse_json(body, strlen(body), NULL, &e, err, sizeof(err)), 0);
    assert_string_equal(e.name, "Example \xc3\xa9");
    assert_string_equal(e.url, "https://example.com/");
    assert_true(e.has_regex);
    assert_string_equal(e.regex, "Example\\s+Domain");

    json = qentry_to_json(&e);
    assert_non_null(json);
    struct qentry back;
    assert_int_equal(qentry_parse_json(json, strlen(json), NULL, &back, err, sizeof(err)), 0);
    assert_string_equal(back.name, e.name);
    assert_string_equal(back.url, e.url);
    assert_string_equal(back.regex, e.regex);
    free(json);

    static const char noregex[] = " {\"url\":\"http://a.com/\",\"name\":\"a\",\"regex\":null} \n";
    assert_int_equal(qentry_parse_json(noregex, strlen(noregex), NULL, &e, err, sizeof(err)), 0);
    assert_false(e.has_regex);
}

struct bad {
    const char *body;
    size_t len; /* 0 = strlen */
    const char *must_contain;
};

static void test_bad_json(void **state)
{
    static const struct bad cases[] = {
        {"", 0, "body"},
        {"{", 0, "JSON"},
        {"[]", 0, "object"},
        {"\"x\"", 0, "object"},
        {"{\"name\":\"a\"}", 0, "url: is required"},
        {"{\"url\":\"http://a.com\"}", 0, "name: is required"},
        {"{\"name\":1,\"url\":\"http://a.com\"}", 0, "name: must be a string"},
        {"{\"name\":\"a\",\"url\":[\"http://a.com\"]}", 0, "url: must be a string"},
        {"{\"name\":\"\",\"url\":\"http://a.com\"}", 0, "name: must not be empty"},
        {"{\"name\":\"a\",\"url\":\"\"}", 0, "url: must not be empty"},
        {"{\"name\":\"a\",\"url\":\"ftp://a.com\"}", 0, "url:"},
        {"{\"name\":\"a\",\"url\":\"http://u:p@a.com\"}", 0, "credentials"},
        {"{\"name\":\"a\\u0000b\",\"url\":\"http://a.com\"}", 0, "NUL"},
        {"{\"name\":\"a\0b\",\"url\":\"http://a.com\"}", 32, "NUL"},
        {"{\"name\":\"\xff\",\"url\":\"http://a.com\"}", 0, "UTF-8"},
        {"{\"name\":\"a\\nb\",\"url\":\"http://a.com\"}", 0, "control"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"regex\":\"(\"}", 0, "regex: does not compile"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"regex\":5}", 0, "regex: must be a string"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"extra\":1}", 0, "unknown field"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\"} x", 0, "trailing"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\"}{}", 0, "trailing"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct qentry e;
        char err[256] = "";
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].body);
        if (qentry_parse_json(cases[i].body, len, NULL, &e, err, sizeof(err)) == 0)
            fail_msg("case %zu accepted", i);
        if (!strstr(err, cases[i].must_contain))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].must_contain);
    }
}

static void test_limits(void **state)
{
    struct qentry e;
    char err[256];
    char name[1100];
    char regex[1100];

    /* 255 two-byte characters are fine, 256 are not */
    for (int i = 0; i < 256; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2);
    assert_int_equal(qentry_set(&e, name, 510, "http://a.com", 12, NULL, 0, err, sizeof(err)), 0);
    assert_int_equal(qentry_set(&e, name, 512, "http://a.com", 12, NULL, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "255"));

    memset(regex, 'a', sizeof(regex));
    assert_int_equal(qentry_set(&e, "n", 1, "http://a.com", 12, regex, 1024, err, sizeof(err)), 0);
    assert_int_equal(qentry_set(&e, "n", 1, "http://a.com", 12, regex, 1025, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "1024"));
}

static void test_interval(void **state)
{
    static const struct qentry_bounds b = {5, 86400};
    struct qentry e;
    char err[256] = "";
    char *json;
    static const struct {
        const char *body;
        int ok;
        unsigned want;
        const char *must_contain;
    } cases[] = {
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":5}", 1, 5, NULL},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":86400}", 1, 86400, NULL},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":60.0}", 1, 60, NULL},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":null}", 1, 0, NULL},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":4}", 0, 0, "from 5 to 86400"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":86401}", 0, 0, "out of range"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":-1}", 0, 0, "out of range"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":1e300}", 0, 0, "out of range"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":7.5}", 0, 0, "whole"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":\"60\"}", 0, 0, "number"},
        {"{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":true}", 0, 0, "number"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = qentry_parse_json(cases[i].body, strlen(cases[i].body), &b, &e, err, sizeof(err));
        if (cases[i].ok) {
            if (rc != 0)
                fail_msg("case %zu refused: %s", i, err);
            assert_int_equal(e.has_interval, cases[i].want != 0);
            assert_int_equal(e.interval, cases[i].want);
        } else {
            if (rc == 0)
                fail_msg("case %zu accepted", i);
            if (!strstr(err, cases[i].must_contain) || !strstr(err, "interval:"))
                fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].must_contain);
        }
    }
    /* the queue form carries the interval and reads back; without one it has none */
    assert_int_equal(
        qentry_parse_json(cases[0].body, strlen(cases[0].body), &b, &e, err, sizeof(err)), 0);
    json = qentry_to_json(&e);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"interval\":5"));
    free(json);
    /* NULL bounds: the absolute ones (what the drain uses) */
    static const char wide[] = "{\"name\":\"a\",\"url\":\"http://a.com\",\"interval\":1}";
    assert_int_equal(qentry_parse_json(wide, strlen(wide), NULL, &e, err, sizeof(err)), 0);
    assert_int_equal(e.interval, 1);

    /* CSV cells */
    assert_int_equal(qentry_set_interval_text(&e, " 60 ", 4, &b, err, sizeof(err)), 0);
    assert_true(e.has_interval);
    assert_int_equal(e.interval, 60);
    assert_int_equal(qentry_set_interval_text(&e, "", 0, &b, err, sizeof(err)), 0);
    assert_false(e.has_interval);
    assert_int_equal(qentry_set_interval_text(&e, "  ", 2, &b, err, sizeof(err)), 0);
    assert_false(e.has_interval);
    assert_int_equal(qentry_set_interval_text(&e, "4", 1, &b, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "from 5 to 86400"));
    assert_int_equal(qentry_set_interval_text(&e, "99999999999999999999", 20, &b, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(qentry_set_interval_text(&e, "6 0", 3, &b, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "whole number"));
    assert_int_equal(qentry_set_interval_text(&e, "-5", 2, &b, err, sizeof(err)), -1);
    assert_int_equal(qentry_set_interval_text(&e, "1m", 2, &b, err, sizeof(err)), -1);
}

static void test_utf8(void **state)
{
    size_t n = 0;
    assert_true(utf8_valid("abc", 3, &n));
    assert_int_equal(n, 3);
    assert_true(utf8_valid("\xf0\x9f\x98\x80", 4, &n));
    assert_int_equal(n, 1);
    assert_false(utf8_valid("\xc0\xaf", 2, NULL));         /* overlong */
    assert_false(utf8_valid("\xed\xa0\x80", 3, NULL));     /* surrogate */
    assert_false(utf8_valid("\xf4\x90\x80\x80", 4, NULL)); /* > U+10FFFF */
    assert_false(utf8_valid("\xe2\x82", 2, NULL));         /* truncated */
    assert_int_equal(utf8_prefix("ab\xe2\x82", 4), 2);
    assert_int_equal(utf8_prefix("ab\xe2\x82\xac", 5), 5);
}

/* Per-URL alerting thresholds: JSON numbers 1..100 or null, CSV text the same. */
static void test_thresholds(void **state)
{
    static const struct {
        const char *body;
        int rc;
        unsigned ft, st;
    } cases[] = {
        {"{\"name\":\"a\",\"url\":\"http://a.com/\",\"fail_threshold\":3}", 0, 3, 0},
        {"{\"name\":\"a\",\"url\":\"http://a.com/\",\"success_threshold\":100}", 0, 0, 100},
        {"{\"name\":\"a\",\"url\":\"http://a.com/\",\"fail_threshold\":null}", 0, 0, 0},
        {"{\"name\":\"a\",\"url\":\"http://a.com/\",\"fail_threshold\":0}", -1, 0, 0},
        {"{\"name\":\"a\",\"url\":\"http://a.com/\",\"fail_threshold\":101}", -1, 0, 0},
        {"{\"name\":\"a\",\"url\":\"http://a.com/\",\"fail_threshold\":2.5}", -1, 0, 0},
        {"{\"name\":\"a\",\"url\":\"http://a.com/\",\"fail_threshold\":\"2\"}", -1, 0, 0},
        {"{\"name\":\"a\",\"url\":\"http://a.com/\",\"success_threshold\":-1}", -1, 0, 0},
    };
    struct qentry e, back;
    char err[256], *json;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc =
            qentry_parse_json(cases[i].body, strlen(cases[i].body), NULL, &e, err, sizeof(err));
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d (%s)", cases[i].body, rc, err);
        if (rc == 0 && (e.fail_threshold != cases[i].ft || e.success_threshold != cases[i].st))
            fail_msg("%s: %u/%u", cases[i].body, e.fail_threshold, e.success_threshold);
        if (rc != 0 && !strstr(err, "_threshold: must be an integer from 1 to 100"))
            fail_msg("%s: message %s", cases[i].body, err);
    }
    /* the queue form keeps them */
    assert_int_equal(
        qentry_parse_json(cases[0].body, strlen(cases[0].body), NULL, &e, err, sizeof(err)), 0);
    assert_non_null(json = qentry_to_json(&e));
    assert_int_equal(qentry_parse_json(json, strlen(json), NULL, &back, err, sizeof(err)), 0);
    assert_int_equal(back.fail_threshold, 3);
    free(json);
    /* CSV cells */
    assert_int_equal(qentry_set_thresholds(&e, " 4 ", 3, "", 0, err, sizeof(err)), 0);
    assert_int_equal(e.fail_threshold, 4);
    assert_int_equal(e.success_threshold, 0);
    assert_int_equal(qentry_set_thresholds(&e, NULL, 0, "2", 1, err, sizeof(err)), 0);
    assert_int_equal(e.success_threshold, 2);
    assert_int_equal(qentry_set_thresholds(&e, "x", 1, NULL, 0, err, sizeof(err)), -1);
    assert_string_equal(err, "fail_threshold: must be an integer from 1 to 100");
    assert_int_equal(qentry_set_thresholds(&e, "1", 1, "0", 1, err, sizeof(err)), -1);
    assert_int_equal(qentry_set_thresholds(&e, "99999999999", 11, NULL, 0, err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_json), cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_limits),    cmocka_unit_test(test_interval),
        cmocka_unit_test(test_utf8),      cmocka_unit_test(test_thresholds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
