/* Unit tests: the dashboard's file serving rules (api/ui.c): which path names which
 * embedded file, Accept-Encoding and If-None-Match parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "ui.h"

static void test_find(void **state)
{
    static const char *const found[] = {"/",
                                        "/docs",
                                        "/docs/",
                                        "/ui/app.js",
                                        "/ui/app.js/",
                                        "/ui/chart.min.js",
                                        "/ui/swagger-ui-bundle.js"};
    static const char *const missing[] = {
        "",        "//",    "/ui",         "/ui/", "/ui/app.j",       "/ui/app.jsx", "/ui/app.js//",
        "/docs//", "/DOCS", "/index.html", "docs", "/ui/../ui/app.js"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(found) / sizeof(found[0]); i++)
        assert_non_null(ui_find(found[i]));
    for (i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        if (ui_find(missing[i]))
            fail_msg("%s should not name a file", missing[i]);
    }
    assert_null(ui_find(NULL));
    assert_string_equal(ui_find("/docs/")->path, "/docs");
    assert_string_equal(ui_find("/")->ctype, "text/html; charset=utf-8");
    assert_string_equal(ui_find("/ui/app.css")->ctype, "text/css; charset=utf-8");
    assert_true(ui_find("/ui/app.js")->gzlen > 0 && ui_find("/ui/app.js")->len > 0);
}

static void test_gzip(void **state)
{
    static const struct {
        const char *ae;
        bool want;
    } cases[] = {
        {NULL, false},
        {"", false},
        {"gzip", true},
        {"GZIP", true},
        {"deflate, gzip;q=1.0, *;q=0.5", true},
        {"gzip;q=0.5", true},
        {" gzip ; q=0.001", true},
        {"gzip;q=0", false},
        {"gzip; q=0.000", false},
        {"gzip;q=0.", false},
        {"br, deflate", false},
        {"x-gzip", false},
        {"gzipx", false},
        {"identity", false},
        {"br;q=0, gzip", true},
        {"gzip;level=1", true},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (ui_accepts_gzip(cases[i].ae) != cases[i].want)
            fail_msg("Accept-Encoding %s: want %d", cases[i].ae ? cases[i].ae : "(none)",
                     cases[i].want);
}

static void test_etag(void **state)
{
    static const char *const etag = "\"0123456789abcdef\"";
    static const struct {
        const char *inm;
        bool want;
    } cases[] = {
        {NULL, false},
        {"", false},
        {"\"0123456789abcdef\"", true},
        {"W/\"0123456789abcdef\"", true},
        {"\"0123456789abcdef-gz\"", true},
        {"\"x\", \"0123456789abcdef\"", true},
        {"*", true},
        {" * ", true},
        {"\"0123456789abcde\"", false},
        {"\"0123456789abcdef-br\"", false},
        {"0123456789abcdef", false},
        {"\"0123456789abcdefg\"", false},
        {"\"1123456789abcdef\"", false},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (ui_etag_matches(cases[i].inm, etag) != cases[i].want)
            fail_msg("If-None-Match %s: want %d", cases[i].inm ? cases[i].inm : "(none)",
                     cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_etag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
