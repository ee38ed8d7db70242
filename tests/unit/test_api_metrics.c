/* Unit tests: Prometheus rendering (api/metrics.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static void test_render(void **state)
{
    struct metrics *m = NULL;
    struct metrics_gauges g = {.queue_length = 3,
                               .connections = 2,
                               .max_connections = 4096,
                               .jobs_waiting = 0,
                               .jobs_running = 1,
                               .in_flight = 1,
                               .redis_up = 1,
                               .redis_queue_evictable = 1,
                               .local_cache_up = 1,
                               .local_cache_entries = 2};
    size_t len = 0;
    char *text;

    assert_int_equal(metrics_open(&m), 0);
    metrics_request(m, ROUTE_TOP, 200, 0.0004);
    metrics_request(m, ROUTE_TOP, 200, 0.003);
    metrics_request(m, ROUTE_TOP, 400, 0.0001);
    metrics_request(m, ROUTE_UNKNOWN, 404, 0.0001);
    metrics_cache(m, ROUTE_TOP, true);
    metrics_cache(m, ROUTE_TOP, false);
    metrics_db(m, ROUTE_TOP, 0.02);
    metrics_flight_join(m);
    metrics_local_hit(m);
    text = metrics_render(m, &g, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "urlmon_api_requests_total{route=\"top\",code=\"200\"} 2\n"));
    assert_non_null(strstr(text, "urlmon_api_requests_total{route=\"top\",code=\"400\"} 1\n"));
    assert_non_null(strstr(text, "urlmon_api_requests_total{route=\"unknown\",code=\"404\"} 1\n"));
    /* cumulative buckets */
    assert_non_null(strstr(
        text, "urlmon_api_request_duration_seconds_bucket{route=\"top\",le=\"0.0005\"} 2\n"));
    assert_non_null(
        strstr(text, "urlmon_api_request_duration_seconds_bucket{route=\"top\",le=\"0.005\"} 3\n"));
    assert_non_null(
        strstr(text, "urlmon_api_request_duration_seconds_bucket{route=\"top\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(text, "urlmon_api_request_duration_seconds_count{route=\"top\"} 3\n"));
    assert_non_null(strstr(
        text, "urlmon_api_mysql_query_duration_seconds_bucket{route=\"top\",le=\"0.025\"} 1\n"));
    assert_non_null(strstr(text, "urlmon_api_cache_hits_total{route=\"top\"} 1\n"));
    assert_non_null(strstr(text, "urlmon_api_cache_misses_total{route=\"top\"} 1\n"));
    assert_non_null(strstr(text, "urlmon_api_singleflight_joins_total 1\n"));
    assert_non_null(strstr(text, "urlmon_api_queue_length 3\n"));
    assert_non_null(strstr(text, "urlmon_api_redis_up 1\n"));
    assert_non_null(strstr(text, "urlmon_api_redis_queue_evictable 1\n"));
    assert_non_null(strstr(text, "urlmon_api_local_cache_up 1\n"));
    assert_non_null(strstr(text, "urlmon_api_local_cache_entries 2\n"));
    assert_non_null(strstr(text, "urlmon_api_cache_local_hits_total 1\n"));
    assert_non_null(strstr(text, "# TYPE urlmon_api_request_duration_seconds histogram\n"));
    free(text);
    /* an unknown gauge is left out */
    g.queue_length = -1;
    text = metrics_render(m, &g, &len);
    assert_non_null(text);
    assert_null(strstr(text, "urlmon_api_queue_length"));
    free(text);
    metrics_free(&m);
    assert_null(m);
}

static void test_warm(void **state)
{
    struct metrics *m = NULL;
    struct metrics_gauges g = {-1, -1, -1, -1, -1, -1, 0, 0, 0, 0};
    size_t len;
    char *text;

    assert_int_equal(metrics_open(&m), 0);
    text = metrics_render(m, &g, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "urlmon_api_cache_warms_total 0\n"));
    assert_null(strstr(text, "urlmon_api_cache_warm_last_seconds")); /* no warm yet */
    free(text);
    metrics_warm(m, 7, 0, 0.2);
    metrics_warm(m, 5, 2, 0.163);
    metrics_warm_yield(m);
    text = metrics_render(m, &g, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "urlmon_api_cache_warms_total 2\n"));
    assert_non_null(strstr(text, "urlmon_api_cache_warm_answers_total 12\n"));
    assert_non_null(strstr(text, "urlmon_api_cache_warm_failures_total 2\n"));
    assert_non_null(strstr(text, "urlmon_api_cache_warm_yields_total 1\n"));
    assert_non_null(strstr(text, "# TYPE urlmon_api_cache_warm_last_seconds gauge\n"
                                 "urlmon_api_cache_warm_last_seconds 0.163000\n"));
    free(text);
    metrics_free(&m);
}

static void test_many_codes(void **state)
{
    struct metrics *m = NULL;
    size_t len;
    char *text;
    struct metrics_gauges g = {-1, -1, -1, -1, -1, -1, 0, 0, 0, 1};
    int c;

    assert_int_equal(metrics_open(&m), 0);
    for (c = 200; c < 240; c++)
        metrics_request(m, ROUTE_URLS, c, 0.001);
    text = metrics_render(m, &g, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "urlmon_api_requests_total{route=\"urls\",code=\"other\"} 24\n"));
    free(text);
    metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_render), cmocka_unit_test(test_warm),
                                       cmocka_unit_test(test_many_codes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
