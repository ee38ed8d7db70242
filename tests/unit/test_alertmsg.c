/* tests/unit/test_alertmsg.c: the webhook body, its signature, the Alertmanager alert and
 * the target lists of alert delivery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "alertmsg.h"
#include "delivery.h"

#define T0 1796647586000LL /* 2026-12-07T12:46:26Z */

static struct alertmsg_event down_event(void)
{
    struct alertmsg_event e;

    memset(&e, 0, sizeof(e));
    snprintf(e.event_id, sizeof(e.event_id), "urlmon-7-incident_opened");
    e.type = ALERTMSG_OPENED;
    e.url_id = 3;
    e.incident_id = 7;
    snprintf(e.url, sizeof(e.url), "https://shop.example/");
    snprintf(e.name, sizeof(e.name), "Shop \"main\"");
    snprintf(e.state, sizeof(e.state), "down");
    e.created_ms = T0 + 60000;
    e.opened_ms = T0;
    snprintf(e.error_class, sizeof(e.error_class), "http_status");
    snprintf(e.error_message, sizeof(e.error_message), "HTTP status 503");
    e.http_status = 503;
    return e;
}

static void test_webhook_body(void **state)
{
    struct alertmsg_event e = down_event();
    char *body;
    cJSON *o;

    (void)state;
    assert_non_null(body = alertmsg_webhook(&e));
    assert_non_null(o = cJSON_Parse(body));
    assert_string_equal(cJSON_GetObjectItem(o, "id")->valuestring, "urlmon-7-incident_opened");
    assert_string_equal(cJSON_GetObjectItem(o, "type")->valuestring, "incident_opened");
    assert_string_equal(cJSON_GetObjectItem(o, "name")->valuestring, "Shop \"main\"");
    assert_string_equal(cJSON_GetObjectItem(o, "opened_at")->valuestring,
                        "2026-12-07T12:46:26.000Z");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "closed_at")));
    assert_int_equal(cJSON_GetObjectItem(o, "http_status")->valueint, 503);
    assert_string_equal(cJSON_GetObjectItem(o, "text")->valuestring,
                        "urlmon: Shop \"main\" (https://shop.example/) is DOWN since "
                        "2026-12-07T12:46:26.000Z: http_status, HTTP 503: HTTP status 503");
    cJSON_Delete(o);
    cJSON_free(body);

    e.type = ALERTMSG_CLOSED;
    e.closed_ms = T0 + 3723000; /* 1 h 2 min 3 s */
    assert_non_null(body = alertmsg_webhook(&e));
    assert_non_null(o = cJSON_Parse(body));
    assert_int_equal(cJSON_GetObjectItem(o, "duration_s")->valueint, 3723);
    assert_string_equal(cJSON_GetObjectItem(o, "text")->valuestring,
                        "urlmon: Shop \"main\" (https://shop.example/) is UP again after 1h02m03s");
    cJSON_Delete(o);
    cJSON_free(body);

    e.type = ALERTMSG_CERT;
    e.cert_expires_s = (e.created_ms + 3 * 86400000LL - 1000) / 1000; /* 3 days less 1 s */
    assert_non_null(body = alertmsg_webhook(&e));
    assert_non_null(o = cJSON_Parse(body));
    assert_int_equal(cJSON_GetObjectItem(o, "cert_days_left")->valueint, 2);
    cJSON_Delete(o);
    cJSON_free(body);
}

/* RFC 4231 test case 2 (key "Jefe"). */
static void test_signature(void **state)
{
    static const char data[] = "what do ya want for nothing?";
    char sig[96];

    (void)state;
    alertmsg_signature("Jefe", data, strlen(data), sig, sizeof(sig));
    assert_string_equal(sig,
                        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_alertmanager(void **state)
{
    struct alertmsg_event e = down_event();
    cJSON *arr = alertmsg_am_begin(), *o, *a, *l;
    char *text;

    (void)state;
    assert_int_equal(alertmsg_am_add(arr, &e, T0 + 120000, 300), 0);
    e.closed_ms = T0 + 180000;
    e.type = ALERTMSG_CLOSED;
    assert_int_equal(alertmsg_am_add(arr, &e, T0 + 240000, 300), 0);
    assert_non_null(text = alertmsg_am_end(arr));
    assert_non_null(o = cJSON_Parse(text));
    assert_int_equal(cJSON_GetArraySize(o), 2);
    a = cJSON_GetArrayItem(o, 0);
    l = cJSON_GetObjectItem(a, "labels");
    assert_string_equal(cJSON_GetObjectItem(l, "alertname")->valuestring, "UrlmonDown");
    assert_string_equal(cJSON_GetObjectItem(l, "url")->valuestring, "https://shop.example/");
    assert_string_equal(cJSON_GetObjectItem(l, "error_class")->valuestring, "http_status");
    assert_string_equal(cJSON_GetObjectItem(l, "severity")->valuestring, "critical");
    assert_string_equal(cJSON_GetObjectItem(a, "startsAt")->valuestring,
                        "2026-12-07T12:46:26.000Z");
    /* firing: ends hold_s after now unless re-posted */
    assert_string_equal(cJSON_GetObjectItem(a, "endsAt")->valuestring, "2026-12-07T12:53:26.000Z");
    /* resolved: ends when it closed, same labels */
    a = cJSON_GetArrayItem(o, 1);
    assert_string_equal(cJSON_GetObjectItem(a, "endsAt")->valuestring, "2026-12-07T12:49:26.000Z");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(a, "labels"), "alertname")->valuestring,
        "UrlmonDown");
    cJSON_Delete(o);
    cJSON_free(text);
}

static void test_targets(void **state)
{
    static char out[4][1024];
    char err[256];

    (void)state;
    assert_int_equal(delivery_parse_targets("", out, 4, err, sizeof(err)), 0);
    assert_int_equal(
        delivery_parse_targets(" http://a:1/x , https://b/ ,", out, 4, err, sizeof(err)), 2);
    assert_string_equal(out[0], "http://a:1/x");
    assert_string_equal(out[1], "https://b/");
    assert_int_equal(delivery_parse_targets("ftp://a/", out, 4, err, sizeof(err)), -1);
    assert_string_equal(err, "entry 1 is not an http:// or https:// URL");
    assert_int_equal(delivery_parse_targets("http://a,http://b,http://c,http://d,http://e", out, 4,
                                            err, sizeof(err)),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_body),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_alertmanager),
        cmocka_unit_test(test_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
