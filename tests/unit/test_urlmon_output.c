/* Unit tests: what the urlmon command line prints from the API's JSON (cli/output.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* Runs fn on the parsed json into a string (caller frees). */
static char *render(void (*fn)(FILE *, const cJSON *), const char *json)
{
    cJSON *doc = cJSON_Parse(json);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(doc);
    assert_non_null(f);
    fn(f, doc);
    fclose(f);
    cJSON_Delete(doc);
    return text;
}

static char *render_list(const char *json, bool all)
{
    cJSON *doc = cJSON_Parse(json);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(doc);
    output_list(f, doc, all);
    fclose(f);
    cJSON_Delete(doc);
    return text;
}

static void test_list(void **state)
{
    static const char items[] =
        "[{\"id\":1,\"name\":\"Example\",\"url\":\"https://example.com/\",\"active\":true,"
        "\"interval\":600},"
        "{\"id\":12,\"name\":\"Caf\xc3\xa9\",\"url\":\"https://b.example/x\",\"active\":false,"
        "\"interval\":30}]";
    char *t;

    (void)state;
    t = render_list(items, false);
    assert_string_equal(t, "ID  INTERVAL  NAME     URL\n"
                           "1   600 s     Example  https://example.com/\n"
                           "12  30 s      Caf\xc3\xa9     https://b.example/x\n");
    free(t);
    t = render_list(items, true);
    assert_string_equal(t, "ID  ACTIVE  INTERVAL  NAME     URL\n"
                           "1   yes     600 s     Example  https://example.com/\n"
                           "12  no      30 s      Caf\xc3\xa9     https://b.example/x\n");
    free(t);
    t = render_list("[]", false);
    assert_non_null(strstr(t, "no URLs"));
    free(t);
    /* missing fields print as "-" */
    t = render_list("[{\"id\":3}]", false);
    assert_string_equal(t, "ID  INTERVAL  NAME  URL\n3   -         -     -\n");
    free(t);
}

static void test_url(void **state)
{
    static const char detail[] =
        "{\"id\":1,\"name\":\"Example\",\"url\":\"https://example.com/\",\"regex\":null,"
        "\"active\":true,\"created\":\"2026-11-22T08:00:00.000Z\",\"deactivated\":null,"
        "\"interval\":60,"
        "\"latest_check\":{\"run_id\":812,\"checked_at\":\"2026-11-22T10:00:03.120Z\","
        "\"success\":true,\"http_status\":200,\"response_ms\":84},"
        "\"uptime\":{\"24h\":100,\"7d\":99.802,\"30d\":null},"
        "\"response_ms_24h\":{\"p50\":81,\"p95\":140,\"samples\":144}}";
    char *t;

    (void)state;
    t = render(output_url, detail);
    assert_string_equal(t, "id:           1\n"
                           "name:         Example\n"
                           "url:          https://example.com/\n"
                           "regex:        -\n"
                           "interval:     60 s\n"
                           "active:       yes\n"
                           "created:      2026-11-22T08:00:00.000Z\n"
                           "latest check: 2026-11-22T10:00:03.120Z  ok  HTTP 200  84 ms\n"
                           "uptime:       24h 100%  7d 99.802%  30d -\n"
                           "response 24h: p50 81 ms  p95 140 ms  (144 successful checks)\n");
    free(t);

    t = render(output_url, "{\"id\":2,\"active\":false,\"deactivated\":\"2026-11-23T00:00:00Z\","
                           "\"latest_check\":{\"checked_at\":\"T\",\"success\":false,"
                           "\"http_status\":null,\"error_class\":\"timeout\","
                           "\"error_message\":\"no answer in 10 s\"}}");
    assert_non_null(strstr(t, "active:       no (removed)\n"));
    assert_non_null(strstr(t, "removed:      2026-11-23T00:00:00Z\n"));
    assert_non_null(strstr(t, "latest check: T  FAILED  timeout: no answer in 10 s\n"));
    free(t);

    t = render(output_url, "{\"id\":3,\"active\":true,\"latest_check\":null}");
    assert_non_null(strstr(t, "latest check: - (not checked yet)\n"));
    free(t);
}

static void test_answers(void **state)
{
    char *t;
    cJSON *doc;

    (void)state;
    t = render(output_queued, "{\"name\":\"A\",\"url\":\"https://a.example/\",\"interval\":30,"
                              "\"status\":\"queued\",\"queue_length\":1}");
    assert_non_null(strstr(t, "queued: A https://a.example/ (interval 30 s)\n"));
    free(t);
    t = render(output_queued, "{\"name\":\"A\",\"url\":\"https://a.example/\",\"regex\":\"ok\","
                              "\"status\":\"queued\"}");
    assert_non_null(strstr(t, "(interval 600 s or unchanged, regex ok)"));
    free(t);
    t = render(output_removed, "{\"id\":4,\"name\":\"A\",\"url\":\"https://a.example/\"}");
    assert_non_null(strstr(t, "removed: 4 A https://a.example/"));
    free(t);

    doc = cJSON_Parse("{\"error\":\"id: no such URL\"}");
    assert_string_equal(output_error_message(doc), "id: no such URL");
    cJSON_Delete(doc);
    doc = cJSON_Parse("[1]");
    assert_null(output_error_message(doc));
    cJSON_Delete(doc);
    assert_null(output_error_message(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
