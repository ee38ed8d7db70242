/* Unit tests: transfer facts -> error class and message (compute/classify.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <string.h>

#include "classify.h"
#include "utf8.h"

/* Flags of a case, as letters: s = socket opened, c = TCP connected, b = blocked,
 * B = body too large, H = headers too large. */
static const struct {
    const char *name;
    int code;
    long status;
    const char *flags;
    enum classify_regex regex;
    enum check_error want;
    const char *msg_has; /* substring of the message; "" = message must be empty */
} cases[] = {
    {"200", CURLE_OK, 200, "sc", CLASSIFY_RX_NONE, CHECK_OK, ""},
    {"204", CURLE_OK, 204, "sc", CLASSIFY_RX_NONE, CHECK_OK, ""},
    {"301 not followed", CURLE_OK, 301, "sc", CLASSIFY_RX_NONE, CHECK_OK, ""},
    {"399", CURLE_OK, 399, "sc", CLASSIFY_RX_NONE, CHECK_OK, ""},
    {"199", CURLE_OK, 199, "sc", CLASSIFY_RX_NONE, CHECK_ERR_HTTP_STATUS, "199"},
    {"400", CURLE_OK, 400, "sc", CLASSIFY_RX_NONE, CHECK_ERR_HTTP_STATUS, "HTTP status 400"},
    {"404", CURLE_OK, 404, "sc", CLASSIFY_RX_MATCH, CHECK_ERR_HTTP_STATUS, "404"},
    {"503", CURLE_OK, 503, "sc", CLASSIFY_RX_NONE, CHECK_ERR_HTTP_STATUS, "503"},
    {"regex hit", CURLE_OK, 200, "sc", CLASSIFY_RX_MATCH, CHECK_OK, ""},
    {"regex miss", CURLE_OK, 200, "sc", CLASSIFY_RX_NOMATCH, CHECK_ERR_REGEX_MISMATCH,
     "does not match"},
    {"regex limit", CURLE_OK, 200, "sc", CLASSIFY_RX_ERROR, CHECK_ERR_OTHER, "limit"},
    {"regex invalid", CURLE_OK, 0, "", CLASSIFY_RX_INVALID, CHECK_ERR_OTHER, "invalid regex"},
    {"dns", CURLE_COULDNT_RESOLVE_HOST, 0, "", CLASSIFY_RX_NONE, CHECK_ERR_DNS, "resolve"},
    {"dns timeout", CURLE_OPERATION_TIMEDOUT, 0, "", CLASSIFY_RX_NONE, CHECK_ERR_DNS,
     "not resolved in time"},
    {"refused", CURLE_COULDNT_CONNECT, 0, "s", CLASSIFY_RX_NONE, CHECK_ERR_CONNECT, "connect"},
    {"connect timeout", CURLE_OPERATION_TIMEDOUT, 0, "s", CLASSIFY_RX_NONE, CHECK_ERR_CONNECT,
     "Timeout"},
    {"read timeout", CURLE_OPERATION_TIMEDOUT, 0, "sc", CLASSIFY_RX_NONE, CHECK_ERR_TIMEOUT,
     "Timeout"},
    {"drip timeout", CURLE_OPERATION_TIMEDOUT, 200, "sc", CLASSIFY_RX_NONE, CHECK_ERR_TIMEOUT,
     "Timeout"},
    {"tls handshake stall", CURLE_OPERATION_TIMEDOUT, 0, "sc", CLASSIFY_RX_NONE, CHECK_ERR_TIMEOUT,
     "TLS"},
    {"tls connect", CURLE_SSL_CONNECT_ERROR, 0, "sc", CLASSIFY_RX_NONE, CHECK_ERR_TLS, ""},
    {"tls verify", CURLE_PEER_FAILED_VERIFICATION, 0, "sc", CLASSIFY_RX_NONE, CHECK_ERR_TLS, ""},
    {"tls cert", CURLE_SSL_CERTPROBLEM, 0, "sc", CLASSIFY_RX_NONE, CHECK_ERR_TLS, ""},
    {"tls cacert", CURLE_SSL_CACERT_BADFILE, 0, "sc", CLASSIFY_RX_NONE, CHECK_ERR_TLS, ""},
    {"blocked", CURLE_COULDNT_CONNECT, 0, "sb", CLASSIFY_RX_NONE, CHECK_ERR_BLOCKED, "SSRF"},
    {"blocked, other error", CURLE_OPERATION_TIMEDOUT, 0, "sb", CLASSIFY_RX_NONE, CHECK_ERR_CONNECT,
     "Timeout"},
    {"body over limit", CURLE_WRITE_ERROR, 200, "scB", CLASSIFY_RX_NONE, CHECK_ERR_TOO_LARGE,
     "larger than 1024"},
    {"content-length over limit", CURLE_FILESIZE_EXCEEDED, 200, "sc", CLASSIFY_RX_NONE,
     CHECK_ERR_TOO_LARGE, "larger than"},
    {"headers over limit", CURLE_WRITE_ERROR, 200, "scH", CLASSIFY_RX_NONE, CHECK_ERR_OTHER,
     "headers"},
    {"curl header limit", CURLE_RECV_ERROR, 200, "sc", CLASSIFY_RX_NONE, CHECK_ERR_OTHER, ""},
    {"redirect loop", CURLE_TOO_MANY_REDIRECTS, 302, "sc", CLASSIFY_RX_NONE, CHECK_ERR_OTHER,
     "redirect loop (more than 5 redirects)"},
    {"garbage", CURLE_WEIRD_SERVER_REPLY, 0, "sc", CLASSIFY_RX_NONE, CHECK_ERR_OTHER, ""},
    {"empty reply", CURLE_GOT_NOTHING, 0, "sc", CLASSIFY_RX_NONE, CHECK_ERR_OTHER, ""},
    {"reset", CURLE_RECV_ERROR, 0, "sc", CLASSIFY_RX_NONE, CHECK_ERR_OTHER, ""},
    {"bad scheme", CURLE_UNSUPPORTED_PROTOCOL, 0, "", CLASSIFY_RX_NONE, CHECK_ERR_OTHER, ""},
    {"malformed", CURLE_URL_MALFORMAT, 0, "", CLASSIFY_RX_NONE, CHECK_ERR_OTHER, ""},
    {"partial", CURLE_PARTIAL_FILE, 200, "sc", CLASSIFY_RX_NONE, CHECK_ERR_OTHER, ""},
};

static void test_table(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct classify_in in;
        char msg[CHECK_MESSAGE_MAX];
        enum check_error got;
        const char *f = cases[i].flags;

        memset(&in, 0, sizeof(in));
        in.curl_code = cases[i].code;
        in.http_status = cases[i].status;
        in.socket_opened = strchr(f, 's') != NULL;
        in.tcp_connected = strchr(f, 'c') != NULL;
        in.blocked = strchr(f, 'b') != NULL;
        in.body_too_large = strchr(f, 'B') != NULL;
        in.headers_too_large = strchr(f, 'H') != NULL;
        in.regex = cases[i].regex;
        in.regex_error = cases[i].regex == CLASSIFY_RX_ERROR ? "match limit exceeded" : "oops";
        in.curl_error = strcmp(cases[i].name, "tls handshake stall") == 0
                            ? "Connection timed out after 1000 milliseconds"
                            : "";
        in.blocked_addr = "127.0.0.1";
        in.max_redirects = 5;
        in.max_body_bytes = 1024;
        in.timeout_ms = 1000;
        memset(msg, 'x', sizeof(msg));
        got = classify_check(&in, msg, sizeof(msg));
        if (got != cases[i].want)
            fail_msg("%s: class %s, want %s (%s)", cases[i].name,
                     check_error_name(got) ? check_error_name(got) : "ok",
                     check_error_name(cases[i].want) ? check_error_name(cases[i].want) : "ok", msg);
        if (cases[i].msg_has[0] == '\0' && cases[i].want == CHECK_OK && msg[0] != '\0')
            fail_msg("%s: message '%s' on success", cases[i].name, msg);
        if (cases[i].want != CHECK_OK && msg[0] == '\0')
            fail_msg("%s: no message", cases[i].name);
        if (cases[i].msg_has[0] && !strstr(msg, cases[i].msg_has))
            fail_msg("%s: message '%s' lacks '%s'", cases[i].name, msg, cases[i].msg_has);
        assert_true(utf8_valid(msg, strlen(msg), NULL));
    }
}

static void test_message_bounded_utf8(void **state)
{
    struct classify_in in;
    char curl_err[CURL_ERROR_SIZE + 64];
    char msg[CHECK_MESSAGE_MAX];
    size_t i;

    /* a long curl message cut in the middle of a 3-byte character */
    for (i = 0; i + 3 <= sizeof(curl_err) - 1; i += 3)
        memcpy(curl_err + i, "\xe2\x82\xac", 3); /* U+20AC */
    curl_err[i] = '\0';
    memset(&in, 0, sizeof(in));
    in.curl_code = CURLE_RECV_ERROR;
    in.curl_error = curl_err;
    assert_int_equal(classify_check(&in, msg, sizeof(msg)), CHECK_ERR_OTHER);
    assert_true(strlen(msg) < CHECK_MESSAGE_MAX);
    assert_true(strlen(msg) >= CHECK_MESSAGE_MAX - 4);
    assert_true(utf8_valid(msg, strlen(msg), NULL));
    /* invalid bytes from a server-controlled string are cut, not passed on */
    in.curl_error = "bad \xff\xfe reply";
    assert_int_equal(classify_check(&in, msg, sizeof(msg)), CHECK_ERR_OTHER);
    assert_string_equal(msg, "bad ");
    /* no curl text: libcurl's generic one */
    in.curl_error = NULL;
    assert_int_equal(classify_check(&in, msg, sizeof(msg)), CHECK_ERR_OTHER);
    assert_string_equal(msg, curl_easy_strerror(CURLE_RECV_ERROR));
}

static void test_times(void **state)
{
    struct check_result r;

    /* https: dns 2 ms, tcp 3 ms, tls 10 ms, server 50 ms, total 70 ms */
    classify_times(2000, 5000, 15000, 65000, 70000, &r);
    assert_int_equal(r.dns_ms, 2);
    assert_int_equal(r.connect_ms, 3);
    assert_int_equal(r.tls_ms, 10);
    assert_int_equal(r.ttfb_ms, 50);
    assert_int_equal(r.response_ms, 70);
    /* http: no TLS */
    classify_times(100, 1100, 0, 201100, 201500, &r);
    assert_int_equal(r.dns_ms, 0);
    assert_int_equal(r.connect_ms, 1);
    assert_int_equal(r.tls_ms, CHECK_MS_UNKNOWN);
    assert_int_equal(r.ttfb_ms, 200);
    assert_int_equal(r.response_ms, 201);
    /* name never resolved */
    classify_times(0, 0, 0, 0, 1000000, &r);
    assert_int_equal(r.dns_ms, CHECK_MS_UNKNOWN);
    assert_int_equal(r.connect_ms, CHECK_MS_UNKNOWN);
    assert_int_equal(r.tls_ms, CHECK_MS_UNKNOWN);
    assert_int_equal(r.ttfb_ms, CHECK_MS_UNKNOWN);
    assert_int_equal(r.response_ms, 1000);
}

static void test_error_names(void **state)
{
    static const char *const want[] = {NULL,      "dns",         "connect",        "tls",
                                       "timeout", "http_status", "regex_mismatch", "too_large",
                                       "blocked", "other"};
    int e;

    for (e = CHECK_OK; e <= CHECK_ERR_OTHER; e++) {
        if (!want[e])
            assert_null(check_error_name((enum check_error)e));
        else
            assert_string_equal(check_error_name((enum check_error)e), want[e]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_message_bounded_utf8),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_error_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
