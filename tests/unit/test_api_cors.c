/* Unit tests: the CORS_ORIGINS setting (api/cors.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cors.h"
#include "route.h"

static void test_parse_good(void **state)
{
    struct cors c;
    char err[256];

    (void)state;
    assert_int_equal(cors_parse("", &c, err, sizeof(err)), 0);
    assert_false(cors_enabled(&c));
    assert_null(cors_allow(&c, "https://a.example", ROUTE_M_GET));
    assert_int_equal(cors_parse("*", &c, err, sizeof(err)), 0);
    assert_true(cors_enabled(&c));
    assert_string_equal(cors_allow(&c, "https://a.example", ROUTE_M_GET), "*");
    assert_null(cors_allow(&c, "https://a.example", ROUTE_M_POST));
    assert_null(cors_allow(&c, NULL, ROUTE_M_GET));
    assert_int_equal(cors_parse(" https://a.example , http://127.0.0.1:8080,http://[::1]:9", &c,
                                err, sizeof(err)),
                     0);
    assert_int_equal((int)c.n, 3);
    assert_string_equal(cors_allow(&c, "https://a.example", ROUTE_M_DELETE), "https://a.example");
    assert_string_equal(cors_allow(&c, "http://127.0.0.1:8080", ROUTE_M_GET),
                        "http://127.0.0.1:8080");
    assert_null(cors_allow(&c, "https://a.example.evil", ROUTE_M_GET));
    assert_null(cors_allow(&c, "http://a.example", ROUTE_M_GET));
}

static void test_parse_bad(void **state)
{
    static const char *const bad[] = {
        "a.example", "https://a.example/",  "https://a.example/x", "ftp://a.example",
        "https://",  "*,https://a.example", "https://a.example,,", "https://a b.example",
    };
    struct cors c;
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (cors_parse(bad[i], &c, err, sizeof(err)) != -1)
            fail_msg("accepted %s", bad[i]);
        if (strncmp(err, "CORS_ORIGINS", 12) != 0)
            fail_msg("%s: message %s", bad[i], err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
