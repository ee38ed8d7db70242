/* test_target_parse.c: table-driven cmocka tests of urlmon-target's pure parsers
 * (reqhead.c: request heads, behave.c: query -> behaviour). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "behave.h"
#include "reqhead.h"

struct find_case {
    const char *in;
    size_t want;
};

static void test_find_end(void **state)
{
    static const struct find_case cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", 18},
        {"\r\nGET / HTTP/1.1\r\n\r\n", 20},
        {"GET / HTTP/1.1\n\n", 16},
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next", 27},
        {"GET / HTTP/1.1\r\nHost: x\r\n", 0},
        {"GET / HTTP/1.1\r\n\r", 0},
        {"\r\n\r\n", 0},
        {"", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(reqhead_find_end(cases[i].in, strlen(cases[i].in)), cases[i].want);
}

struct head_case {
    const char *in;
    int rc;
    const char *method, *target;
    int minor;
    bool keepalive, is_head, chunked;
    uint64_t content_length;
};

static void test_parse_head(void **state)
{
    static const struct head_case cases[] = {
        {"GET /a?b HTTP/1.1\r\nHost: x\r\n\r\n", 0, "GET", "/a?b", 1, true, false, false, 0},
        {"\r\nGET / HTTP/1.1\r\n\r\n", 0, "GET", "/", 1, true, false, false, 0},
        {"GET / HTTP/1.0\r\n\r\n", 0, "GET", "/", 0, false, false, false, 0},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, "GET", "/", 0, true, false, false,
         0},
        {"GET / HTTP/1.1\r\nconnection: foo, close\r\n\r\n", 0, "GET", "/", 1, false, false, false,
         0},
        {"POST /p HTTP/1.1\r\nContent-Length:  42 \r\n\r\n", 0, "POST", "/p", 1, true, false, false,
         42},
        {"HEAD /h HTTP/1.1\n\n", 0, "HEAD", "/h", 1, true, true, false, 0},
        {"GET http://h:1/p?q HTTP/1.1\r\n\r\n", 0, "GET", "/p?q", 1, true, false, false, 0},
        {"OPTIONS * HTTP/1.1\r\n\r\n", 0, "OPTIONS", "*", 1, true, false, false, 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "POST", "/", 1, true, false,
         true, 0},
        {"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 0, "GET", "/", 1, true, false, false, 0},
        {"POST /p HTTP/1.1\r\nContent-Length: x\r\n\r\n", -1, NULL, NULL, 0, 0, 0, 0, 0},
        {"GET http://h HTTP/1.1\r\n\r\n", -1, NULL, NULL, 0, 0, 0, 0, 0},
        {"GET http://h?q HTTP/1.1\r\n\r\n", -1, NULL, NULL, 0, 0, 0, 0, 0},
        {"GET / HTTP/2.0\r\n\r\n", -1, NULL, NULL, 0, 0, 0, 0, 0},
        {"get / HTTP/1.1\r\n\r\n", -1, NULL, NULL, 0, 0, 0, 0, 0},
        {"GET /\r\n\r\n", -1, NULL, NULL, 0, 0, 0, 0, 0},
        {"GET  / HTTP/1.1\r\n\r\n", -1, NULL, NULL, 0, 0, 0, 0, 0},
        {"GET x HTTP/1.1\r\n\r\n", -1, NULL, NULL, 0, 0, 0, 0, 0},
        {"GET / HTTP/1.1\r\nNoColonHere\r\n\r\n", -1, NULL, NULL, 0, 0, 0, 0, 0},
    };
    struct reqhead h;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct head_case *c = &cases[i];
        int rc = reqhead_parse(c->in, strlen(c->in), &h);

        print_message("case %zu: %s", i, c->in);
        assert_int_equal(rc, c->rc);
        if (rc != 0)
            continue;
        assert_int_equal(h.method_len, strlen(c->method));
        assert_memory_equal(h.method, c->method, h.method_len);
        assert_int_equal(h.target_len, strlen(c->target));
        assert_memory_equal(h.target, c->target, h.target_len);
        assert_int_equal(h.minor, c->minor);
        assert_int_equal(h.keepalive, c->keepalive);
        assert_int_equal(h.is_head, c->is_head);
        assert_int_equal(h.chunked, c->chunked);
        assert_int_equal(h.content_length, c->content_length);
    }
}

struct behave_case {
    const char *target;
    int rc;
    const char *err_has; /* part of the error message when rc == -1 */
    enum behave_kind kind;
    uint64_t status, delay_ms, size, redirect, headers_kb, drip;
    bool endless;
};

#define U BEHAVE_UNSET

static void test_behave_parse(void **state)
{
    static const struct behave_case cases[] = {
        {"/x", 0, NULL, BEHAVE_NORMAL, U, 0, U, 0, 0, 0, false},
        {"/x?", 0, NULL, BEHAVE_NORMAL, U, 0, U, 0, 0, 0, false},
        {"/x?status=503&delay=20", 0, NULL, BEHAVE_NORMAL, 503, 20, U, 0, 0, 0, false},
        {"/x?&&status=201&", 0, NULL, BEHAVE_NORMAL, 201, 0, U, 0, 0, 0, false},
        {"/x?size=0&headers_kb=1024&drip=7", 0, NULL, BEHAVE_NORMAL, U, 0, 0, 0, 1024, 7, false},
        {"/x?endless=1", 0, NULL, BEHAVE_NORMAL, U, 0, U, 0, 0, 0, true},
        {"/x?endless", 0, NULL, BEHAVE_NORMAL, U, 0, U, 0, 0, 0, true},
        {"/x?id=5&foo&bar=", 0, NULL, BEHAVE_NORMAL, U, 0, U, 0, 0, 0, false},
        {"/x?hang", 0, NULL, BEHAVE_HANG, U, 0, U, 0, 0, 0, false},
        {"/x?hang=0", 0, NULL, BEHAVE_NORMAL, U, 0, U, 0, 0, 0, false},
        {"/x?close=1&hang=1&delay=5", 0, NULL, BEHAVE_HANG, U, 5, U, 0, 0, 0, false},
        {"/x?close=1&garbage=1", 0, NULL, BEHAVE_CLOSE, U, 0, U, 0, 0, 0, false},
        {"/x?garbage=1&loop=1", 0, NULL, BEHAVE_GARBAGE, U, 0, U, 0, 0, 0, false},
        {"/x?loop=1&redirect=3", 0, NULL, BEHAVE_LOOP, U, 0, U, 3, 0, 0, false},
        {"/x?redirect=2&location=%2Fy", 0, NULL, BEHAVE_REDIRECT, U, 0, U, 2, 0, 0, false},
        {"/x?redirect=0", 0, NULL, BEHAVE_NORMAL, U, 0, U, 0, 0, 0, false},
        {"/x?location=%2Fy", 0, NULL, BEHAVE_LOCATION, U, 0, U, 0, 0, 0, false},
        {"/x?status=99", -1, "'status'", BEHAVE_NORMAL, 0, 0, 0, 0, 0, 0, false},
        {"/x?status=600", -1, "'status'", BEHAVE_NORMAL, 0, 0, 0, 0, 0, 0, false},
        {"/x?status=", -1, "'status'", BEHAVE_NORMAL, 0, 0, 0, 0, 0, 0, false},
        {"/x?status", -1, "'status'", BEHAVE_NORMAL, 0, 0, 0, 0, 0, 0, false},
        {"/x?delay=abc", -1, "'delay'", BEHAVE_NORMAL, 0, 0, 0, 0, 0, 0, false},
        {"/x?delay=-1", -1, "'delay'", BEHAVE_NORMAL, 0, 0, 0, 0, 0, 0, false},
        {"/x?size=99999999999999999999999", -1, "'size'", BEHAVE_NORMAL, 0, 0, 0, 0, 0, 0, false},
        {"/x?headers_kb=1048577", -1, "'headers_kb'", BEHAVE_NORMAL, 0, 0, 0, 0, 0, 0, false},
        {"/x?hang=yes", -1, "'hang'", BEHAVE_NORMAL, 0, 0, 0, 0, 0, 0, false},
    };
    struct behave b;
    char err[160];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct behave_case *c = &cases[i];
        int rc;

        err[0] = '\0';
        rc = behave_parse(c->target, strlen(c->target), &b, err, sizeof(err));
        print_message("case %zu: %s -> %d %s\n", i, c->target, rc, err);
        assert_int_equal(rc, c->rc);
        if (rc != 0) {
            assert_non_null(strstr(err, c->err_has));
            continue;
        }
        assert_int_equal(b.kind, c->kind);
        assert_int_equal(b.status, c->status);
        assert_int_equal(b.delay_ms, c->delay_ms);
        assert_int_equal(b.size, c->size);
        assert_int_equal(b.redirect, c->redirect);
        assert_int_equal(b.headers_kb, c->headers_kb);
        assert_int_equal(b.drip, c->drip);
        assert_int_equal(b.endless, c->endless);
    }
}

static void test_behave_slices(void **state)
{
    static const char t[] = "/p/q?body=a&ctype=text%2Fhtml";
    struct behave b;
    char err[160];

    (void)state;
    assert_int_equal(behave_parse(t, strlen(t), &b, err, sizeof(err)), 0);
    assert_int_equal(b.path.len, 4);
    assert_memory_equal(b.path.p, "/p/q", 4);
    assert_int_equal(b.query.len, strlen("body=a&ctype=text%2Fhtml"));
    assert_int_equal(b.body.len, 1);
    assert_memory_equal(b.body.p, "a", 1);
    assert_int_equal(b.ctype.len, strlen("text%2Fhtml"));
    assert_null(b.location.p);
}

struct decode_case {
    const char *in;
    bool header;
    const char *want;
};

static void test_decode(void **state)
{
    static const struct decode_case cases[] = {
        {"a%20b+c", false, "a b c"},
        {"%41%62%2f", false, "Ab/"},
        {"%zz%4", false, "%zz%4"},
        {"100%", false, "100%"},
        {"x%0d%0ay", true, "x__y"},
        {"x%0d%0ay", false, "x\r\ny"},
        {"", false, ""},
    };
    char out[64];
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct behave_str s = {cases[i].in, strlen(cases[i].in)};
        n = behave_decode(s, out, cases[i].header);
        assert_int_equal(n, strlen(cases[i].want));
        assert_int_equal(behave_decoded_len(s), n);
        assert_memory_equal(out, cases[i].want, n);
    }
}

struct redirect_case {
    const char *target;
    const char *want;
};

static void test_redirect_location(void **state)
{
    static const struct redirect_case cases[] = {
        {"/a/b?x=1&redirect=3&y=2", "/a/b?x=1&redirect=2&y=2"},
        {"/r?redirect=1", "/r?redirect=0"},
        {"/r?redirect=10&delay=5", "/r?redirect=9&delay=5"},
    };
    struct behave b;
    char err[160];
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct evbuffer *out = evbuffer_new();
        assert_non_null(out);
        assert_int_equal(
            behave_parse(cases[i].target, strlen(cases[i].target), &b, err, sizeof(err)), 0);
        assert_int_equal(b.kind, BEHAVE_REDIRECT);
        assert_int_equal(behave_add_redirect_location(&b, out), 0);
        n = evbuffer_get_length(out);
        assert_int_equal(n, strlen(cases[i].want));
        assert_memory_equal(evbuffer_pullup(out, -1), cases[i].want, n);
        evbuffer_free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_end),     cmocka_unit_test(test_parse_head),
        cmocka_unit_test(test_behave_parse), cmocka_unit_test(test_behave_slices),
        cmocka_unit_test(test_decode),       cmocka_unit_test(test_redirect_location),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
