/* Unit tests: the environment table (shared/config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "config.h"
#include "log.h"

static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    const char *const *e;
    for (e = fake_env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static int load(const char *const *env, struct config *cfg, char *err, size_t errlen)
{
    fake_env = env;
    return config_load(cfg, fake_getenv, err, errlen);
}

static void test_defaults(void **state)
{
    static const char *const env[] = {NULL};
    struct config cfg;
    char err[256] = "";

    assert_int_equal(load(env, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.db_port, 3306);
    assert_int_equal(cfg.api_port, 8000);
    assert_int_equal(cfg.cache_ttl, 600);
    assert_int_equal(cfg.cache_port, 6379);
    assert_int_equal(cfg.retention_days, 35);
    assert_int_equal(cfg.hourly_retention_days, 35);
    assert_int_equal(cfg.max_body_bytes, 1048576);
    assert_false(cfg.allow_private_targets);
    assert_string_equal(cfg.db_address, "127.0.0.1");
    assert_int_equal(cfg.log_format, LOG_FORMAT_TEXT);
}

static void test_values(void **state)
{
    static const char *const env[] = {
        "DB_PORT=33061",     "DB_USER=u",       "DB_PASSWORD=secret",
        "TIMEOUT=3",         "LOG_LEVEL=debug", "ALLOW_PRIVATE_TARGETS=1",
        "CONNECT_TIMEOUT=9", "LOG_FORMAT=JSON", NULL};
    struct config cfg;
    char err[256] = "";

    assert_int_equal(load(env, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.db_port, 33061);
    assert_string_equal(cfg.db_user, "u");
    assert_string_equal(cfg.db_password, "secret");
    assert_int_equal(cfg.timeout, 3);
    assert_int_equal(cfg.connect_timeout, 3); /* clamped to TIMEOUT */
    assert_true(cfg.allow_private_targets);
    assert_int_equal(cfg.log_format, LOG_FORMAT_JSON);
}

/* HOURLY_RETENTION_DAYS below 32 would delete hours a 30-day window still reads. */
static void test_hourly_retention_bound(void **state)
{
    static const char *const low[] = {"HOURLY_RETENTION_DAYS=31", NULL};
    static const char *const ok[] = {"HOURLY_RETENTION_DAYS=32", NULL};
    struct config cfg;
    char err[256] = "";

    assert_int_equal(load(ok, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.hourly_retention_days, 32);
    assert_int_not_equal(load(low, &cfg, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "HOURLY_RETENTION_DAYS"));
}

/* CA_BUNDLE / CA_PATH (issue 12 item 3): empty by default (the system bundle), taken as
 * given when readable, refused at start when not. */
static void test_ca_settings(void **state)
{
    static const char *const none[] = {NULL};
    static const char *const ok[] = {"CA_BUNDLE=/dev/null", "CA_PATH=/", NULL};
    static const char *const bad_file[] = {"CA_BUNDLE=/nonexistent/ca.pem", NULL};
    static const char *const bad_dir[] = {"CA_PATH=/nonexistent-ca-dir", NULL};
    struct config cfg;
    char err[256] = "";

    assert_int_equal(load(none, &cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.ca_bundle, "");
    assert_string_equal(cfg.ca_path, "");
    assert_int_equal(load(ok, &cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.ca_bundle, "/dev/null");
    assert_string_equal(cfg.ca_path, "/");
    assert_int_equal(load(bad_file, &cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "CA_BUNDLE"));
    assert_non_null(strstr(err, "/nonexistent/ca.pem"));
    assert_int_equal(load(bad_dir, &cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "CA_PATH"));
}

struct bad {
    const char *env;
    const char *must_contain;
};

static void test_bad_values(void **state)
{
    static const struct bad cases[] = {
        {"DB_PORT=0", "DB_PORT"},         {"DB_PORT=65536", "1 to 65535"},
        {"DB_PORT=abc", "DB_PORT"},       {"DB_PORT=", "DB_PORT"},
        {"DB_PORT=-1", "DB_PORT"},        {"DB_PORT=80x", "DB_PORT"},
        {"DB_PORT= 80", "DB_PORT"},       {"DB_PORT=99999999999999999999", "DB_PORT"},
        {"TIMEOUT=0", "TIMEOUT"},         {"CACHE_TTL=999999", "CACHE_TTL"},
        {"LOG_LEVEL=loud", "LOG_LEVEL"},  {"ALLOW_PRIVATE_TARGETS=yes", "ALLOW_PRIVATE_TARGETS"},
        {"DB_NAME=", "DB_NAME"},          {"MIN_POOL=20", "MIN_POOL"},
        {"CONCURRENCY=0", "CONCURRENCY"}, {"LOG_FORMAT=xml", "expected text or json"},
        {"LOG_FORMAT=", "LOG_FORMAT"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *env[] = {cases[i].env, NULL};
        struct config cfg;
        char err[256] = "";
        assert_int_equal(load(env, &cfg, err, sizeof(err)), -1);
        if (!strstr(err, cases[i].must_contain))
            fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].env, err, cases[i].must_contain);
    }
}

static void test_secret_not_in_error(void **state)
{
    static const char *const env[] = {"DB_PASSWORD=hunter2", "DB_PORT=x", NULL};
    struct config cfg;
    char err[256] = "";

    assert_int_equal(load(env, &cfg, err, sizeof(err)), -1);
    assert_null(strstr(err, "hunter2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_hourly_retention_bound),
        cmocka_unit_test(test_ca_settings),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_secret_not_in_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
