/* Unit tests: the urlmon-compute command line (compute/cli.c), table-driven. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct shard_case {
    const char *in;
    int rc;
    unsigned k, n;
};

static void test_shard(void **state)
{
    static const struct shard_case cases[] = {
        {"0/1", 0, 0, 1},
        {"3/4", 0, 3, 4},
        {"1023/1024", 0, 1023, 1024},
        {"0/1024", 0, 0, 1024},
        {"4/4", -1, 0, 0},
        {"0/0", -1, 0, 0},
        {"0/1025", -1, 0, 0},
        {"-1/4", -1, 0, 0},
        {"1/-4", -1, 0, 0},
        {"+1/4", -1, 0, 0},
        {" 1/4", -1, 0, 0},
        {"1/4 ", -1, 0, 0},
        {"1", -1, 0, 0},
        {"/4", -1, 0, 0},
        {"1/", -1, 0, 0},
        {"1/4/5", -1, 0, 0},
        {"a/4", -1, 0, 0},
        {"", -1, 0, 0},
        {"99999999999/4", -1, 0, 0},
        {"1/0x4", -1, 0, 0},
        {"01/04", 0, 1, 4},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned k = 77, n = 77;
        int rc = cli_parse_shard(cases[i].in, &k, &n);
        if (rc != cases[i].rc)
            fail_msg("\"%s\": rc %d, want %d", cases[i].in, rc, cases[i].rc);
        if (rc == 0 && (k != cases[i].k || n != cases[i].n))
            fail_msg("\"%s\": %u/%u, want %u/%u", cases[i].in, k, n, cases[i].k, cases[i].n);
        if (rc != 0 && (k != 77 || n != 77))
            fail_msg("\"%s\": outputs written on error", cases[i].in);
    }
}

/* Splits line on single spaces into argv (after the program name) and parses it. */
static int parse(const char *line, struct cli_opts *o, char *err, size_t errlen)
{
    static char buf[512];
    char *argv[16], *p;
    int argc = 0;

    snprintf(buf, sizeof(buf), "urlmon-compute %s", line);
    for (p = buf; p && *p && argc < 15;) {
        argv[argc++] = p;
        if ((p = strchr(p, ' ')))
            *p++ = '\0';
    }
    argv[argc] = NULL;
    return cli_parse(argc, argv, o, err, errlen);
}

static void test_good(void **state)
{
    struct cli_opts o;
    char err[256] = "";

    assert_int_equal(parse("", &o, err, sizeof(err)), 0);
    assert_int_equal(o.mode, CLI_MODE_RUN);
    assert_false(o.run_local);
    assert_int_equal(o.interval, 600);
    assert_null(o.data_path);
    assert_int_equal(o.shard_index, 0);
    assert_int_equal(o.shard_count, 1);

    assert_int_equal(
        parse("--run-local --interval 2 --data-path d.csv --shard 1/3", &o, err, sizeof(err)), 0);
    assert_true(o.run_local);
    assert_int_equal(o.interval, 2);
    assert_string_equal(o.data_path, "d.csv");
    assert_int_equal(o.shard_index, 1);
    assert_int_equal(o.shard_count, 3);

    assert_int_equal(parse("--service --shard 1/2 --data-path d.csv", &o, err, sizeof(err)), 0);
    assert_true(o.service);
    assert_false(o.run_local);
    assert_int_equal(o.shard_index, 1);
    assert_int_equal(o.shard_count, 2);

    assert_int_equal(parse("--interval=30 --shard=0/2 --data-path=x", &o, err, sizeof(err)), 0);
    assert_int_equal(o.interval, 30);
    assert_int_equal(o.shard_count, 2);
    assert_string_equal(o.data_path, "x");

    assert_int_equal(parse("migrate", &o, err, sizeof(err)), 0);
    assert_int_equal(o.mode, CLI_MODE_MIGRATE);
    assert_int_equal(parse("partition-checks", &o, err, sizeof(err)), 0);
    assert_int_equal(o.mode, CLI_MODE_PARTITION_CHECKS);
    assert_false(o.keep_old);
    assert_int_equal(parse("partition-checks --keep-old", &o, err, sizeof(err)), 0);
    assert_true(o.keep_old);
    assert_int_equal(parse("--bogus --help", &o, err, sizeof(err)), -1);
    assert_int_equal(parse("--help --bogus", &o, err, sizeof(err)), 0);
    assert_int_equal(o.mode, CLI_MODE_HELP);
    assert_int_equal(parse("-h", &o, err, sizeof(err)), 0);
    assert_int_equal(o.mode, CLI_MODE_HELP);
}

struct bad_case {
    const char *line;
    const char *names; /* the message must contain this */
};

static void test_bad(void **state)
{
    static const struct bad_case cases[] = {
        {"--bogus", "--bogus: unknown option"},
        {"extra", "extra: unknown argument"},
        {"--interval", "--interval: missing value"},
        {"--interval 0", "--interval: bad value '0'"},
        {"--interval -5", "--interval: bad value"},
        {"--interval 10s", "--interval: bad value"},
        {"--interval 604801", "--interval: bad value"},
        {"--shard", "--shard: missing value"},
        {"--shard 2/2", "--shard: bad value '2/2'"},
        {"--shard 1/2000", "--shard: bad value"},
        {"--data-path", "--data-path: missing value"},
        {"--data-path=", "--data-path: the file name is empty"},
        {"migrate --shard 0/2", "migrate: takes no options"},
        {"--run-local migrate", "migrate: unknown argument"},
        {"--run-localx", "--run-localx: unknown option"},
        {"partition-checks --shard 0/2", "partition-checks: takes only --keep-old"},
        {"partition-checks --service", "partition-checks: takes only --keep-old"},
        {"--keep-old", "--keep-old: unknown option"},
        {"migrate --keep-old", "--keep-old: unknown option"},
        {"--service partition-checks", "partition-checks: unknown argument"},
        {"--service --run-local", "--service and --run-local: choose one mode"},
        {"--servicex", "--servicex: unknown option"},
    };
    struct cli_opts o;
    char err[256];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        if (parse(cases[i].line, &o, err, sizeof(err)) != -1)
            fail_msg("\"%s\" was accepted", cases[i].line);
        if (!strstr(err, cases[i].names))
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", cases[i].line, err, cases[i].names);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard),
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
