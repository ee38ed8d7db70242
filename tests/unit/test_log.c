/* Unit tests: the log line writer (shared/log.c), text and JSON, read back from stderr. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "log.h"

static char captured[32768];

/* Runs the logging in fn with stderr sent to a temporary file; the output in captured. */
static void capture(void (*fn)(void))
{
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    size_t n;

    assert_non_null(tmp);
    fflush(stderr);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    fn();
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    n = fread(captured, 1, sizeof(captured) - 1, tmp);
    captured[n] = '\0';
    fclose(tmp);
}

static cJSON *only_line(void)
{
    size_t len = strlen(captured);
    cJSON *o;

    assert_true(len > 0);
    assert_int_equal(captured[len - 1], '\n');
    assert_null(memchr(captured, '\n', len - 1)); /* one line */
    o = cJSON_ParseWithLength(captured, len - 1);
    if (!o)
        fail_msg("not JSON: %s", captured);
    return o;
}

static const char *str_field(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void log_with_context(void)
{
    log_context_run(7, "1/4", "writer");
    log_context_url(42);
    log_context_path("/urls/42?cache=false");
    log_context_set("free %s", "form");
    log_warn("a \"quoted\" tab\there, newline\nthere, \x01 control and bad \xff\xfe bytes é");
    log_context_clear();
}

static void test_json_fields_and_escaping(void **state)
{
    cJSON *o;
    const cJSON *v;

    log_init("test-prog", LOG_LEVEL_DEBUG);
    log_set_output(LOG_FORMAT_JSON, "box-1");
    capture(log_with_context);
    o = only_line();
    assert_string_equal(str_field(o, "level"), "warn");
    assert_string_equal(str_field(o, "program"), "test-prog");
    assert_string_equal(str_field(o, "instance"), "box-1");
    assert_string_equal(str_field(o, "shard"), "1/4");
    assert_string_equal(str_field(o, "task"), "writer");
    assert_string_equal(str_field(o, "path"), "/urls/42"); /* no query string */
    assert_string_equal(str_field(o, "context"), "free form");
    v = cJSON_GetObjectItemCaseSensitive(o, "run_id");
    assert_true(cJSON_IsNumber(v) && v->valuedouble == 7);
    v = cJSON_GetObjectItemCaseSensitive(o, "url_id");
    assert_true(cJSON_IsNumber(v) && v->valuedouble == 42);
    assert_string_equal(str_field(o, "message"),
                        "a \"quoted\" tab\there, newline\nthere, \x01 "
                        "control and bad \xef\xbf\xbd\xef\xbf\xbd bytes é");
    assert_non_null(str_field(o, "time"));
    assert_int_equal(strlen(str_field(o, "time")), strlen("2026-11-22T07:50:00.123Z"));
    cJSON_Delete(o);
}

static void log_plain(void)
{
    log_info("plain");
    log_debug("hidden");
}

static void test_json_unset_context_absent(void **state)
{
    cJSON *o;

    log_init("p", LOG_LEVEL_INFO);
    log_set_output(LOG_FORMAT_JSON, NULL);
    capture(log_plain);
    o = only_line(); /* the debug line is below the level */
    assert_string_equal(str_field(o, "message"), "plain");
    assert_null(cJSON_GetObjectItem(o, "instance"));
    assert_null(cJSON_GetObjectItem(o, "run_id"));
    assert_null(cJSON_GetObjectItem(o, "url_id"));
    assert_null(cJSON_GetObjectItem(o, "path"));
    assert_int_equal(cJSON_GetArraySize(o), 4); /* time, level, program, message */
    cJSON_Delete(o);
}

static void log_long(void)
{
    char big[5000];

    memset(big, '"', sizeof(big) - 1); /* every byte escaped: the worst case */
    big[sizeof(big) - 1] = '\0';
    log_error("%s", big);
}

static void test_json_long_message_stays_valid(void **state)
{
    cJSON *o;

    log_init("p", LOG_LEVEL_INFO);
    log_set_output(LOG_FORMAT_JSON, NULL);
    capture(log_long);
    o = only_line();
    assert_true(strlen(str_field(o, "message")) > 1000);
    cJSON_Delete(o);
}

static void test_text_line(void **state)
{
    const char *p;

    log_init("test-prog", LOG_LEVEL_DEBUG);
    log_set_output(LOG_FORMAT_TEXT, NULL);
    capture(log_with_context);
    p = strchr(captured, ' ');
    assert_non_null(p);
    if (strncmp(
            p,
            " WARN test-prog [run=7 shard=1/4 writer url=42 path=/urls/42 free form] a \"quoted\"",
            strlen(" WARN test-prog [run=7 shard=1/4 writer url=42 path=/urls/42 free form] a "
                   "\"quoted\"")))
        fail_msg("text line: %s", captured);
    assert_int_equal(log_format_parse("json"), LOG_FORMAT_JSON);
    assert_int_equal(log_format_parse("Text"), LOG_FORMAT_TEXT);
    assert_int_equal(log_format_parse("xml"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_fields_and_escaping),
        cmocka_unit_test(test_json_unset_context_absent),
        cmocka_unit_test(test_json_long_message_stays_valid),
        cmocka_unit_test(test_text_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
