/* Unit tests: body regex compile/match with limits (shared/rx.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>
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

/* PCRE2 10.42's JIT with MATCH_INVALID_UTF never matched \S, \D, \W against a
 * non-ASCII character (issue 12 item 2); these are the three cases seen in the field. */
static void test_negated_classes_match_non_ascii(void **state)
{
    static const struct {
        const char *pattern, *body, *want;
    } cases[] = {
        {"Gr\\S+e aus",
         "<p>Gr\xc3\xbc\xc3\x9f"
         "e aus Berlin</p>",
         "Gr\xc3\xbc\xc3\x9f"
         "e aus"},
        {"\\D{3}\xe3\x83\x86", "x \xe3\x81\x82\xe3\x81\x84\xe3\x81\x86\xe3\x83\x86 y",
         "\xe3\x81\x82\xe3\x81\x84\xe3\x81\x86\xe3\x83\x86"},
        {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\\S*",
         "<b>"
         "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3"
         "\x83\x88 x",
         "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3"
         "\x83\x88"},
        {"a\\W+b",
         "a\xc2\xa0\xe2\x80\x94"
         "b",
         "a\xc2\xa0\xe2\x80\x94"
         "b"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rx *rx = NULL;
        char err[200] = "", match[64] = "";

        assert_int_equal(
            rx_compile(cases[i].pattern, strlen(cases[i].pattern), &rx, err, sizeof(err)), 0);
        assert_int_equal(rx_match(rx, cases[i].body, strlen(cases[i].body), match, sizeof(match),
                                  err, sizeof(err)),
                         RX_MATCH);
        assert_string_equal(match, cases[i].want);
        /* invalid UTF-8 elsewhere in the body still matches and is not an error */
        {
            char body[160];
            int n = snprintf(body, sizeof(body), "\xff\xfe%s", cases[i].body);
            assert_true(n > 0 && (size_t)n < sizeof(body));
            assert_int_equal(rx_match(rx, body, (size_t)n, match, sizeof(match), err, sizeof(err)),
                             RX_MATCH);
            assert_string_equal(match, cases[i].want);
        }
        rx_free(&rx);
    }
    assert_int_equal(rx_version_jit_buggy("10.42 2022-12-11"), 1);
    assert_int_equal(rx_version_jit_buggy("10.43 2024-02-16"), 0);
    assert_int_equal(rx_version_jit_buggy("11.0 2030-01-01"), 0);
    assert_int_equal(rx_version_jit_buggy("garbage"), 1);
}

/* An empty 200 body has no buffer (subject NULL); a regex that matches the empty string
 * must not memcpy from NULL (UB that aborts the sanitizer build, issue 12 item 11). */
static void test_empty_body_matches_empty_regex(void **state)
{
    struct rx *rx = NULL;
    char err[200] = "", match[16] = "x";

    assert_int_equal(rx_compile("^", 1, &rx, err, sizeof(err)), 0);
    assert_int_equal(rx_match(rx, NULL, 0, match, sizeof(match), err, sizeof(err)), RX_MATCH);
    assert_string_equal(match, "");
    match[0] = 'x';
    assert_int_equal(rx_match(rx, "", 0, match, sizeof(match), err, sizeof(err)), RX_MATCH);
    assert_string_equal(match, "");
    rx_free(&rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_bad_patterns),
        cmocka_unit_test(test_catastrophic_backtracking_is_bounded),
        cmocka_unit_test(test_negated_classes_match_non_ascii),
        cmocka_unit_test(test_empty_body_matches_empty_regex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
