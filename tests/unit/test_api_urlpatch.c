/* Unit tests: the PUT/PATCH body rules and the UPDATE they make (api/urlpatch.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "urlpatch.h"

static struct config cfg;

static const char *env(const char *name)
{
    (void)name;
    return NULL; /* every default: MIN_INTERVAL 5, MAX_INTERVAL 86400 */
}

static int setup(void **state)
{
    char err[256];

    (void)state;
    return config_load(&cfg, env, err, sizeof(err));
}

static struct urlpatch *parse_ok(const char *body, enum urlpatch_mode mode)
{
    struct urlpatch *p = NULL;
    char err[256] = "";

    if (urlpatch_parse(body, strlen(body), mode, &cfg, &p, err, sizeof(err)) != 0)
        fail_msg("%s refused: %s", body, err);
    return p;
}

static void expect_sql(struct urlpatch *p, const char *want)
{
    char sql[512];

    assert_int_equal(urlpatch_sql(p, sql, sizeof(sql)), 0);
    assert_string_equal(sql, want);
}

static void test_put(void **state)
{
    struct urlpatch *p;
    MYSQL_BIND b[URLPATCH_MAX_FIELDS];

    (void)state;
    /* PUT replaces: the fields left out take their defaults */
    p = parse_ok("{\"name\":\"A\"}", URLPATCH_PUT);
    assert_int_equal(urlpatch_count(p), 5);
    expect_sql(p, "UPDATE urls SET name = ?, regex = ?, check_interval = ?, fail_threshold = ?, "
                  "success_threshold = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ?");
    urlpatch_bind(p, b);
    assert_int_equal(b[0].buffer_type, MYSQL_TYPE_STRING);
    assert_int_equal(*b[0].length, 1);
    assert_memory_equal(b[0].buffer, "A", 1);
    assert_int_equal(b[1].buffer_type, MYSQL_TYPE_NULL);
    assert_int_equal(b[2].buffer_type, MYSQL_TYPE_LONGLONG);
    assert_int_equal(*(const uint64_t *)b[2].buffer, 600);
    assert_int_equal(b[3].buffer_type, MYSQL_TYPE_NULL); /* thresholds: the global ones */
    assert_int_equal(b[4].buffer_type, MYSQL_TYPE_NULL);
    urlpatch_free(&p);
    assert_null(p);

    p = parse_ok("{\"name\":\"B\",\"regex\":\"ok\",\"interval\":30}", URLPATCH_PUT);
    urlpatch_bind(p, b);
    assert_memory_equal(b[1].buffer, "ok", 2);
    assert_int_equal(*(const uint64_t *)b[2].buffer, 30);
    urlpatch_free(&p);
}

static void test_patch(void **state)
{
    struct urlpatch *p;
    MYSQL_BIND b[URLPATCH_MAX_FIELDS];

    (void)state;
    p = parse_ok("{\"interval\":5}", URLPATCH_PATCH);
    assert_int_equal(urlpatch_count(p), 1);
    expect_sql(p, "UPDATE urls SET check_interval = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ?");
    urlpatch_bind(p, b);
    assert_int_equal(*(const uint64_t *)b[0].buffer, 5);
    urlpatch_free(&p);

    /* merge patch: null clears the regex, an empty string too; null interval = default */
    p = parse_ok("{\"regex\":null}", URLPATCH_PATCH);
    expect_sql(p, "UPDATE urls SET regex = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ?");
    urlpatch_bind(p, b);
    assert_int_equal(b[0].buffer_type, MYSQL_TYPE_NULL);
    urlpatch_free(&p);
    p = parse_ok("{\"regex\":\"\"}", URLPATCH_PATCH);
    urlpatch_bind(p, b);
    assert_int_equal(b[0].buffer_type, MYSQL_TYPE_NULL);
    urlpatch_free(&p);
    p = parse_ok("{\"interval\":null}", URLPATCH_PATCH);
    urlpatch_bind(p, b);
    assert_int_equal(*(const uint64_t *)b[0].buffer, 600);
    urlpatch_free(&p);

    /* alerting thresholds: a value, or null for the global one */
    p = parse_ok("{\"fail_threshold\":3,\"success_threshold\":null}", URLPATCH_PATCH);
    expect_sql(p, "UPDATE urls SET fail_threshold = ?, success_threshold = ?, "
                  "updated_at = UTC_TIMESTAMP(3) WHERE id = ?");
    urlpatch_bind(p, b);
    assert_int_equal(*(const uint64_t *)b[0].buffer, 3);
    assert_int_equal(b[1].buffer_type, MYSQL_TYPE_NULL);
    urlpatch_free(&p);

    /* an empty patch changes nothing */
    p = parse_ok(" {} ", URLPATCH_PATCH);
    assert_int_equal(urlpatch_count(p), 0);
    urlpatch_free(&p);
}

static void test_bad(void **state)
{
    static const struct {
        const char *body;
        enum urlpatch_mode mode;
        const char *must_contain;
    } cases[] = {
        {"", URLPATCH_PATCH, "body: is empty"},
        {"[]", URLPATCH_PATCH, "body: must be a JSON object"},
        {"{\"name\":\"a\"} x", URLPATCH_PUT, "trailing"},
        {"{\"name\":\"a\\u0000\"}", URLPATCH_PUT, "NUL"},
        {"{}", URLPATCH_PUT, "name: is required"},
        {"{\"fail_threshold\":0}", URLPATCH_PATCH, "fail_threshold: must be an integer from 1"},
        {"{\"success_threshold\":101}", URLPATCH_PATCH, "success_threshold: must be an integer"},
        {"{\"fail_threshold\":2.5}", URLPATCH_PATCH, "fail_threshold: must be an integer"},
        {"{\"fail_threshold\":\"2\"}", URLPATCH_PATCH, "fail_threshold: must be a number"},
        {"{\"regex\":\"x\"}", URLPATCH_PUT, "name: is required"},
        {"{\"name\":null}", URLPATCH_PUT, "name: is required"},
        {"{\"name\":null}", URLPATCH_PATCH, "name: cannot be null"},
        {"{\"name\":\"\"}", URLPATCH_PATCH, "name: must not be empty"},
        {"{\"name\":\"a\\nb\"}", URLPATCH_PATCH, "name: contains a control character"},
        {"{\"name\":5}", URLPATCH_PATCH, "name: must be a string"},
        {"{\"regex\":\"(\"}", URLPATCH_PATCH, "regex: does not compile"},
        {"{\"regex\":[]}", URLPATCH_PATCH, "regex: must be a string"},
        {"{\"interval\":4}", URLPATCH_PATCH,
         "interval: is out of range (expected whole seconds "
         "from 5 to 86400)"},
        {"{\"interval\":86401}", URLPATCH_PATCH, "from 5 to 86400"},
        {"{\"interval\":7.5}", URLPATCH_PATCH, "interval: must be a whole number"},
        {"{\"interval\":\"60\"}", URLPATCH_PATCH, "interval: must be a number"},
        {"{\"interval\":5,\"interval\":6}", URLPATCH_PATCH, "interval: is given more than once"},
        {"{\"url\":\"http://b.com/\"}", URLPATCH_PATCH, "url: cannot be changed"},
        {"{\"name\":\"a\",\"active\":true}", URLPATCH_PUT,
         "body: unknown field \"active\" (expected name, regex, interval, fail_threshold, "
         "success_threshold)"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct urlpatch *p = NULL;
        char err[256] = "";
        if (urlpatch_parse(cases[i].body, strlen(cases[i].body), cases[i].mode, &cfg, &p, err,
                           sizeof(err)) == 0) {
            urlpatch_free(&p);
            fail_msg("case %zu (%s) accepted", i, cases[i].body);
        }
        assert_null(p);
        if (!strstr(err, cases[i].must_contain))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].must_contain);
    }
}

static void test_sql_too_small(void **state)
{
    struct urlpatch *p = parse_ok("{\"name\":\"A\"}", URLPATCH_PUT);
    char sql[40];

    (void)state;
    assert_int_equal(urlpatch_sql(p, sql, sizeof(sql)), -1);
    urlpatch_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put),
        cmocka_unit_test(test_patch),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_sql_too_small),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
