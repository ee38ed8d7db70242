/* Unit tests: body regex compile/match with limits (shared/rx.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"

static void test_match(void **state)
{
    struct rx *rx = NULL;
    char err[200], match[16];
    static const char body[] = "<title>Example Domain</title>";

    assert_int_equal(rx_compile("Example\\s+(\\w+)", 15, &rx, err, sizeof(err)), 0);
    assert_int_equal(rx_match(rx, body, strlen(body), match, sizeof(match), err, sizeof(err)),
                     RX_MATCH);
    assert_string_equal(match, "Example Domain");
    assert_int_equal(rx_match(rx, "nothing", 7, match, sizeof(match), err, sizeof(err)),
                     RX_NOMATCH);
    /* bounded copy of the first match */
    assert_int_equal(rx_match(rx, body, strlen(body), match, 5, err, sizeof(err)), RX_MATCH);
    assert_string_equal(match, "Exam");
    /* invalid UTF-8 in the body is not an error */
    assert_int_equal(rx_match(rx, "\xff\xfe Example  Z", 14, NULL, 0, err, sizeof(err)), RX_MATCH);
    rx_free(&rx);
    assert_null(rx);
    rx_free(&rx); /* NULL-safe */
}

static void test_bad_patterns(void **state)
{
    static const char *const bad[] = {"(", "[a-", "a{2,1}", "(?<n>a)(?<n>b)", "\\"};
    char err[200];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(rx_validate(bad[i], strlen(bad[i]), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "does not compile"));
    }
    assert_int_equal(rx_validate("", 0, err, sizeof(err)), -1);
}

static void test_catastrophic_backtracking_is_bounded(void **state)
{
    struct rx *rx = NULL;
    char err[200] = "";
    char *subject = malloc(40001);
    int rc;

    assert_non_null(subject);
    memset(subject, 'a', 40000);
    subject[40000] = 'b';
    assert_int_equal(rx_compile("^(a+)+$", 7, &rx, err, sizeof(err)), 0);
    rc = rx_match(rx, subject, 40001, NULL, 0, err, sizeof(err));
    assert_int_equal(rc, RX_ERROR);
    assert_non_null(strstr(err, "limit"));
    rx_free(&rx);
    free(subject);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_bad_patterns),
        cmocka_unit_test(test_catastrophic_backtracking_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
