/* Unit tests: route and query parsing (api/route.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "route.h"

struct ok_case {
    const char *path, *query;
    enum route_id id;
    const char *key; /* cache key, "" when not cacheable */
};

static void test_routes(void **state)
{
    static const struct ok_case cases[] = {
        {"/urls/top/success/hour", NULL, ROUTE_TOP, "urlmon:cache:/urls/top/success/hour"},
        {"/urls/top/success/hour/", "", ROUTE_TOP, "urlmon:cache:/urls/top/success/hour"},
        {"/urls/top/fail/week", "cache=false", ROUTE_TOP, "urlmon:cache:/urls/top/fail/week"},
        {"/urls/top/fail/month/", "cache=true", ROUTE_TOP, "urlmon:cache:/urls/top/fail/month"},
        {"/urls/summary", NULL, ROUTE_SUMMARY, "urlmon:cache:/urls/summary"},
        {"/urls/summary/", "cache=false", ROUTE_SUMMARY, "urlmon:cache:/urls/summary"},
        {"/urls", NULL, ROUTE_URLS, ""},
        {"/urls/", "limit=5&cursor=10&active=true", ROUTE_URLS, ""},
        {"/urls/42", NULL, ROUTE_URL, ""},
        {"/urls/42/", NULL, ROUTE_URL, ""},
        {"/urls/9223372036854775807", NULL, ROUTE_URL, ""},
        {"/urls/42/checks", "limit=1000&before=7", ROUTE_URL_CHECKS, ""},
        {"/urls/42/checks/", NULL, ROUTE_URL_CHECKS, ""},
        {"/incidents", NULL, ROUTE_INCIDENTS, ""},
        {"/incidents/", "state=open&limit=5&cursor=9", ROUTE_INCIDENTS, ""},
        {"/urls/42/incidents", "state=closed", ROUTE_URL_INCIDENTS, ""},
        {"/healthz", NULL, ROUTE_HEALTHZ, ""},
        {"/healthz/", NULL, ROUTE_HEALTHZ, ""},
        {"/status", NULL, ROUTE_STATUS, ""},
        {"/metrics", NULL, ROUTE_METRICS, ""},
        {"/openapi.json", NULL, ROUTE_OPENAPI, ""},
        {"/dashboard/urls", NULL, ROUTE_DASH_URLS, ""},
        {"/dashboard/urls/42/", NULL, ROUTE_DASH_URL, ""},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct route_req r;
        char err[256] = "";
        int rc = route_parse(cases[i].path, cases[i].query, &r, err, sizeof(err));
        if (rc != 0)
            fail_msg("%s?%s: %d %s", cases[i].path, cases[i].query ? cases[i].query : "", rc, err);
        assert_int_equal(r.id, cases[i].id);
        assert_string_equal(r.cache_key, cases[i].key);
    }
}

static void test_params(void **state)
{
    struct route_req r;
    char err[256];

    assert_int_equal(route_parse("/urls/top/fail/week", "cache=false", &r, err, sizeof(err)), 0);
    assert_int_equal(r.status, ROUTE_STATUS_FAIL);
    assert_int_equal(r.span, ROUTE_SPAN_WEEK);
    assert_false(r.cache);
    assert_int_equal(route_parse("/urls/summary", NULL, &r, err, sizeof(err)), 0);
    assert_true(r.cache);
    assert_int_equal(route_parse("/urls", "limit=7&cursor=99&active=false", &r, err, sizeof(err)),
                     0);
    assert_int_equal(r.limit, 7);
    assert_int_equal(r.cursor, 99);
    assert_int_equal(r.active, 0);
    assert_int_equal(route_parse("/urls", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.limit, ROUTE_LIMIT_DEFAULT);
    assert_int_equal(r.cursor, 0);
    assert_int_equal(r.active, -1);
    assert_int_equal(route_parse("/urls/123/checks", "before=5", &r, err, sizeof(err)), 0);
    assert_int_equal(r.url_id, 123);
    assert_int_equal(r.cursor, 5);
    assert_int_equal(r.methods, ROUTE_M_GET);
    assert_int_equal(route_parse("/urls/123", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.methods, ROUTE_M_GET | ROUTE_M_PUT | ROUTE_M_PATCH | ROUTE_M_DELETE);
    assert_int_equal(
        route_parse("/incidents", "state=closed&cursor=12&limit=3", &r, err, sizeof(err)), 0);
    assert_int_equal(r.istate, ROUTE_ISTATE_CLOSED);
    assert_int_equal(r.cursor, 12);
    assert_int_equal(r.limit, 3);
    assert_int_equal(route_parse("/urls/5/incidents", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.istate, ROUTE_ISTATE_ALL);
    assert_int_equal(r.url_id, 5);
    assert_int_equal(r.methods, ROUTE_M_GET);
    /* percent-encoding and '+' in values */
    assert_int_equal(route_parse("/urls/summary", "%63ache=f%61lse", &r, err, sizeof(err)), 0);
    assert_false(r.cache);
    /* empty pieces between '&' are ignored */
    assert_int_equal(route_parse("/urls/summary", "&&cache=true&", &r, err, sizeof(err)), 0);
}

struct bad_case {
    const char *path, *query;
    int code;
    const char *field; /* the message starts with it */
};

static void test_bad(void **state)
{
    static const struct bad_case cases[] = {
        {"/", NULL, 404, "no such route"},
        {"", NULL, 404, "no such route"},
        {"urls", NULL, 404, "no such route"},
        {"/nope", NULL, 404, "no such route"},
        {"/urls//", NULL, 404, "no such route"},
        {"//urls", NULL, 404, "no such route"},
        {"/urls/top", NULL, 404, "no such route"},
        {"/urls/top/success", NULL, 404, "no such route"},
        {"/urls/top/success/hour/x", NULL, 404, "no such route"},
        {"/urls/summary/x", NULL, 404, "no such route"},
        {"/urls/../etc/passwd", NULL, 404, "no such route"},
        {"/urls/1/checks/x", NULL, 404, "no such route"},
        {"/urls/1/nope", NULL, 404, "no such route"},
        {"/a/b/c/d/e/f/g", NULL, 404, "no such route"},
        {"/urls/top/maybe/hour", NULL, 400, "status"},
        {"/urls/top/success/day", NULL, 400, "timespan"},
        {"/urls/top/SUCCESS/hour", NULL, 400, "status"},
        {"/urls/summary", "cache=maybe", 400, "cache"},
        {"/urls/summary", "cache=", 400, "cache"},
        {"/urls/summary", "cache", 400, "cache"},
        {"/urls/summary", "cache=TRUE", 400, "cache"},
        {"/urls/summary", "cache=true&cache=false", 400, "cache"},
        {"/urls/summary", "limit=5", 400, "limit"},
        {"/urls/summary", "x=1", 400, "x"},
        {"/incidents", "state=opened", 400, "state"},
        {"/incidents", "before=3", 400, "before"},
        {"/urls/1/checks", "state=open", 400, "state"},
        {"/incidents/1", NULL, 404, "no such route"},
        {"/urls/x/incidents", NULL, 400, "id"},
        {"/urls/summary", "cache=%zz", 400, "cache"},
        {"/urls/summary", "cache=%0", 400, "cache"},
        {"/urls/summary", "cache=tr%00ue", 400, "cache"},
        {"/urls/summary", "c%zz=1", 400, "query"},
        {"/urls/1/checks", "before=0", 400, "before"},
        {"/urls",
         "cursor=9999999999999999999999999999999999999999999999999999999999999999999999"
         "99999999999999999999999999999999999999999999999999999999999999999999999999"
         "9999999999999999999999999999999999999999999999999999999999",
         400, "cursor"},
        {"/urls", "limit=0", 400, "limit"},
        {"/urls", "limit=1001", 400, "limit"},
        {"/urls", "limit=-1", 400, "limit"},
        {"/urls", "limit=1e3", 400, "limit"},
        {"/urls", "limit=99999999999999999999999", 400, "limit"},
        {"/urls", "cursor=abc", 400, "cursor"},
        {"/urls", "cursor=9223372036854775808", 400, "cursor"},
        {"/urls", "cursor=1%27%20OR%201=1", 400, "cursor"},
        {"/urls", "active=yes", 400, "active"},
        {"/urls", "cache=false", 400, "cache"},
        {"/urls/1/checks", "before=x", 400, "before"},
        {"/urls/1/checks", "cursor=1", 400, "cursor"},
        {"/urls/0", NULL, 400, "id"},
        {"/urls/-1", NULL, 400, "id"},
        {"/urls/abc", NULL, 400, "id"},
        {"/urls/1.5", NULL, 400, "id"},
        {"/urls/9223372036854775808", NULL, 400, "id"},
        {"/urls/99999999999999999999999999", NULL, 400, "id"},
        {"/urls/1%20OR%201=1", NULL, 400, "id"},
        {"/urls/abc/checks", NULL, 400, "id"},
        {"/urls/%2F1", NULL, 400, "path"},
        {"/urls/%2f1", NULL, 400, "path"},
        {"/urls/1%00", NULL, 400, "path"},
        {"/urls/%zz", NULL, 400, "path"},
        {"/urls/%3", NULL, 400, "path"},
        {"/urls/%2e%2e/etc/passwd", NULL, 404, "no such route"},
        {"/urls/top/%66ai/week", NULL, 400, "status"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct route_req r;
        char err[256] = "";
        int rc = route_parse(cases[i].path, cases[i].query, &r, err, sizeof(err));
        if (rc != cases[i].code || strncmp(err, cases[i].field, strlen(cases[i].field)) != 0)
            fail_msg("%s?%s: got %d \"%s\", want %d \"%s...\"", cases[i].path,
                     cases[i].query ? cases[i].query : "", rc, err, cases[i].code, cases[i].field);
    }
}

/* Each path segment is percent-decoded once before routing. */
static void test_decoded_segments(void **state)
{
    struct route_req r;
    char err[256];

    assert_int_equal(route_parse("/urls/%31%31", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.id, ROUTE_URL);
    assert_true(r.url_id == 11);
    assert_int_equal(route_parse("/urls/top/%66ail/week", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.id, ROUTE_TOP);
    assert_int_equal(r.status, ROUTE_STATUS_FAIL);
    assert_string_equal(r.cache_key, "urlmon:cache:/urls/top/fail/week");
    assert_int_equal(route_parse("/%75rls/summary", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.id, ROUTE_SUMMARY);
    assert_int_equal(route_parse("/urls/1/%63hecks/", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.id, ROUTE_URL_CHECKS);
    /* decoded once: %2531 is the three bytes "%31", not an id */
    assert_int_equal(route_parse("/urls/%2531", NULL, &r, err, sizeof(err)), 400);
}

static void test_method_known_on_400(void **state)
{
    struct route_req r;
    char err[256];

    /* A bad id or value still names the route, so a wrong method can answer 405. */
    assert_int_equal(route_parse("/urls/abc", NULL, &r, err, sizeof(err)), 400);
    assert_int_equal(r.methods, ROUTE_M_GET | ROUTE_M_PUT | ROUTE_M_PATCH | ROUTE_M_DELETE);
    assert_int_equal(route_parse("/urls/top/x/hour", NULL, &r, err, sizeof(err)), 400);
    assert_int_equal(r.methods, ROUTE_M_GET);
    assert_int_equal(r.id, ROUTE_TOP);
}

static void test_parse_id(void **state)
{
    uint64_t v = 0;

    assert_int_equal(route_parse_id("1", 1, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(route_parse_id("9223372036854775807", 19, &v), 0);
    assert_true(v == (uint64_t)INT64_MAX);
    assert_int_equal(route_parse_id("007", 3, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(route_parse_id("9223372036854775808", 19, &v), -1);
    assert_int_equal(route_parse_id("18446744073709551616", 20, &v), -1);
    assert_int_equal(route_parse_id("0", 1, &v), -1);
    assert_int_equal(route_parse_id("", 0, &v), -1);
    assert_int_equal(route_parse_id("+1", 2, &v), -1);
    assert_int_equal(route_parse_id(" 1", 2, &v), -1);
    assert_int_equal(route_parse_id("12", 1, &v), 0); /* only len bytes count */
    assert_int_equal(v, 1);
}

static void test_labels(void **state)
{
    assert_string_equal(route_label(ROUTE_TOP), "top");
    assert_string_equal(route_label(ROUTE_COUNT), "unknown");
    assert_string_equal(route_allow_header(ROUTE_M_GET | ROUTE_M_POST), "GET, HEAD, POST");
    assert_string_equal(route_allow_header(ROUTE_M_GET | ROUTE_M_DELETE), "GET, HEAD, DELETE");
    assert_string_equal(route_allow_header(ROUTE_M_GET), "GET, HEAD");
    assert_string_equal(
        route_allow_header(ROUTE_M_GET | ROUTE_M_PUT | ROUTE_M_PATCH | ROUTE_M_DELETE),
        "GET, HEAD, PUT, PATCH, DELETE");
    assert_int_equal(route_method_bit("PATCH"), ROUTE_M_PATCH);
    assert_int_equal(route_method_bit("PUT"), ROUTE_M_PUT);
    assert_int_equal(route_method_bit("HEAD"), ROUTE_M_GET);
    assert_int_equal(route_method_bit("patch"), 0);
    assert_int_equal(route_method_bit("TRACE"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_method_known_on_400),
        cmocka_unit_test(test_parse_id),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_decoded_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
