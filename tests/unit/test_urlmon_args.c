/* Unit tests: the urlmon command line's argument parser (cli/args.c), table-driven. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

#define MAXARGV 12

/* Splits a line on spaces ("''" is an empty argument) into argv. */
static int split(const char *line, char *buf, size_t len, char **argv)
{
    int argc = 0;
    char *p, *save = NULL;

    snprintf(buf, len, "urlmon %s", line);
    for (p = strtok_r(buf, " ", &save); p && argc < MAXARGV - 1; p = strtok_r(NULL, " ", &save))
        argv[argc++] = strcmp(p, "''") == 0 ? p + 2 : p;
    argv[argc] = NULL;
    return argc;
}

static int parse(const char *line, struct args *a, char *err, size_t errlen)
{
    static char buf[512];
    char *argv[MAXARGV];
    int argc = split(line, buf, sizeof(buf), argv);

    return args_parse(argc, argv, a, err, errlen);
}

static void test_good(void **state)
{
    struct args a;
    char err[256] = "";

    (void)state;
    assert_int_equal(parse("add http://a.example/ --name A -p 60 -r ok", &a, err, sizeof(err)), 0);
    assert_int_equal(a.cmd, ARGS_ADD);
    assert_string_equal(a.target, "http://a.example/");
    assert_string_equal(a.name, "A");
    assert_true(a.has_period);
    assert_int_equal(a.period, 60);
    assert_string_equal(a.regex, "ok");
    assert_false(a.json);

    /* options before the operand, glued values, --x=v */
    assert_int_equal(parse("add --period=30 -rfoo --json http://b.example/", &a, err, sizeof(err)),
                     0);
    assert_string_equal(a.target, "http://b.example/");
    assert_int_equal(a.period, 30);
    assert_string_equal(a.regex, "foo");
    assert_true(a.json);
    assert_null(a.name);

    assert_int_equal(parse("add -p5 -- -weird", &a, err, sizeof(err)), 0);
    assert_string_equal(a.target, "-weird");

    assert_int_equal(parse("set 12 --regex ''", &a, err, sizeof(err)), 0);
    assert_int_equal(a.cmd, ARGS_SET);
    assert_string_equal(a.regex, "");
    assert_int_equal(parse("set 12 --name=N", &a, err, sizeof(err)), 0);
    assert_string_equal(a.name, "N");

    assert_int_equal(parse("list --all --json", &a, err, sizeof(err)), 0);
    assert_true(a.all && a.json);
    assert_int_equal(parse("list -a", &a, err, sizeof(err)), 0);
    assert_true(a.all);
    assert_int_equal(parse("remove 7", &a, err, sizeof(err)), 0);
    assert_int_equal(a.cmd, ARGS_REMOVE);
    assert_int_equal(parse("show https://x.example/", &a, err, sizeof(err)), 0);
    assert_int_equal(a.cmd, ARGS_SHOW);

    assert_int_equal(parse("--help", &a, err, sizeof(err)), 0);
    assert_true(a.help);
    assert_int_equal(a.cmd, ARGS_NONE);
    assert_int_equal(parse("--version", &a, err, sizeof(err)), 0);
    assert_true(a.version);
    /* COMMAND --help needs no operand */
    assert_int_equal(parse("set --help", &a, err, sizeof(err)), 0);
    assert_true(a.help);
    assert_int_equal(a.cmd, ARGS_SET);
}

static void test_bad(void **state)
{
    static const struct {
        const char *line;
        const char *must_contain;
    } cases[] = {
        {"", "a command is required"},
        {"frobnicate", "unknown command \"frobnicate\""},
        {"add", "add: URL is required"},
        {"add http://a/ http://b/", "unexpected argument \"http://b/\""},
        {"add http://a/ -p", "--period needs a value"},
        {"add http://a/ -p abc", "--period: \"abc\" is not a whole number of seconds"},
        {"add http://a/ -p -5", "--period: \"-5\" is not a whole number"},
        {"add http://a/ -p 0", "--period: \"0\" is out of range"},
        {"add http://a/ -p 99999999999", "--period"},
        {"add http://a/ --all", "add: unknown option --all"},
        {"add http://a/ --json=yes", "--json takes no value"},
        {"add http://a/ --nam X", "unknown option --nam"},
        {"list extra", "list: unexpected argument"},
        {"list -p 5", "list: unknown option -p"},
        {"show", "show: URL|ID is required"},
        {"remove", "remove: URL|ID is required"},
        {"set", "set: ID is required"},
        {"set abc --name x", "set: \"abc\" is not an ID"},
        {"set 0 --name x", "is not an ID"},
        {"set 99999999999999999999 --name x", "is not an ID"},
        {"set 5", "set: nothing to change"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct args a;
        char err[256] = "";
        if (parse(cases[i].line, &a, err, sizeof(err)) == 0)
            fail_msg("case %zu (%s) accepted", i, cases[i].line);
        if (!strstr(err, cases[i].must_contain))
            fail_msg("case %zu (%s): \"%s\" lacks \"%s\"", i, cases[i].line, err,
                     cases[i].must_contain);
    }
}

static void test_is_id(void **state)
{
    uint64_t id = 0;

    (void)state;
    assert_true(args_is_id("1", &id));
    assert_int_equal(id, 1);
    assert_true(args_is_id("9223372036854775807", &id));
    assert_false(args_is_id("9223372036854775808", &id));
    assert_false(args_is_id("0", &id));
    assert_false(args_is_id("", &id));
    assert_false(args_is_id("12a", &id));
    assert_false(args_is_id("http://a/", &id));
    assert_false(args_is_id(NULL, &id));
}

static void test_usage(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    f = open_memstream(&text, &len);
    assert_non_null(f);
    args_usage(f, ARGS_NONE);
    args_usage(f, ARGS_ADD);
    fclose(f);
    assert_non_null(strstr(text, "URLMON_API"));
    assert_non_null(strstr(text, "usage: urlmon add URL"));
    assert_string_equal(args_command_name(ARGS_SET), "set");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_is_id),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
