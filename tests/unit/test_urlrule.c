/* Unit tests: URL validation and canonical form (shared/urlrule.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "urlrule.h"

struct good {
    const char *in, *out;
};

static void test_good(void **state)
{
    static const struct good cases[] = {
        {"http://example.com", "http://example.com/"},
        {"HTTP://Example.COM/Path?Q=A", "http://example.com/Path?Q=A"},
        {"https://example.com:443/x", "https://example.com/x"},
        {"http://example.com:80", "http://example.com/"},
        {"http://example.com:8080/", "http://example.com:8080/"},
        {"https://example.com:80/", "https://example.com:80/"},
        {"http://a.b-c_d.example/x#frag", "http://a.b-c_d.example/x"},
        {"http://example.com?q=1", "http://example.com/?q=1"},
        {"http://127.0.0.1:18080/u/1?delay=200", "http://127.0.0.1:18080/u/1?delay=200"},
        {"http://[::1]:8080/", "http://[::1]:8080/"},
        {"https://[2001:DB8::1]/", "https://[2001:db8::1]/"},
        {"http://example.com/%E2%9C%93", "http://example.com/%E2%9C%93"},
        {"http://example.com.", "http://example.com./"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[URLRULE_MAX_LEN + 2];
        const char *why = NULL;
        if (urlrule_normalize(cases[i].in, strlen(cases[i].in), out, sizeof(out), &why) != 0)
            fail_msg("%s rejected: %s", cases[i].in, why);
        assert_string_equal(out, cases[i].out);
    }
}

static void test_bad(void **state)
{
    static const char *const cases[] = {
        "",
        "example.com",
        "ftp://example.com/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://",
        "http:///path",
        "http://user:pass@example.com/",
        "http://user@example.com/",
        "http://exa mple.com/",
        "http://example.com/a b",
        "http://example.com:0/",
        "http://example.com:65536/",
        "http://example.com:/",
        "http://example.com:12a/",
        "http://example.com:123456/",
        "http://[::1/",
        "http://[]/",
        "http://[zz::1]/",
        "http://exa$mple.com/",
        "http://.example.com/",
        "http://a..b/",
        "http://ex\xc3\xa9mple.com/",
        "http://example.com/\x01",
        "gopher://example.com/",
        "http:/example.com",
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[URLRULE_MAX_LEN + 2];
        const char *why = NULL;
        if (urlrule_normalize(cases[i], strlen(cases[i]), out, sizeof(out), &why) == 0)
            fail_msg("accepted bad URL \"%s\" as %s", cases[i], out);
        assert_non_null(why);
    }
}

static void test_lengths(void **state)
{
    char *url = malloc(URLRULE_MAX_LEN + 10);
    char out[URLRULE_MAX_LEN + 2];
    const char *why = NULL;
    size_t len;

    assert_non_null(url);
    memcpy(url, "http://example.com/", 19);
    memset(url + 19, 'a', URLRULE_MAX_LEN + 10 - 19);
    len = URLRULE_MAX_LEN;
    assert_int_equal(urlrule_normalize(url, len, out, sizeof(out), &why), 0);
    assert_int_equal(strlen(out), URLRULE_MAX_LEN);
    assert_int_equal(urlrule_normalize(url, len + 1, out, sizeof(out), &why), -1);
    assert_non_null(strstr(why, "2048"));
    /* embedded NUL inside the given length is a control character */
    assert_int_equal(urlrule_normalize("http://a.com/\0x", 15, out, sizeof(out), &why), -1);
    free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
