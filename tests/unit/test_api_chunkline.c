/* Unit tests: api/chunkline.c, fed as conn.c feeds it while libevent's parser reads
 * (evbuffer_readln takes a line's text, then its end of line; a chunk's data is taken
 * whole; after each step the input's first bytes are given again). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>

#include "chunkline.h"

/* The input as libevent holds it, and the tracker following it. */
struct input {
    char buf[4096];
    size_t len;
    struct chunkline *cl;
};

static void show_front(struct input *in)
{
    chunkline_front(in->cl, in->buf, in->len < CHUNKLINE_PEEK ? in->len : CHUNKLINE_PEEK);
}

static void arrive(struct input *in, const char *bytes)
{
    size_t n = strlen(bytes);

    assert_true(in->len + n <= sizeof(in->buf));
    memcpy(in->buf + in->len, bytes, n);
    in->len += n;
    if (chunkline_wants_front(in->cl))
        show_front(in);
}

static void take(struct input *in, size_t n)
{
    assert_true(n <= in->len);
    memmove(in->buf, in->buf + n, in->len - n);
    in->len -= n;
    chunkline_consumed(in->cl, n);
    show_front(in);
}

/* evbuffer_readln with EVBUFFER_EOL_CRLF: the text (when not empty), then "\r\n" or "\n". */
static void readln(struct input *in)
{
    char *nl = memchr(in->buf, '\n', in->len);
    size_t text, eol;

    assert_non_null(nl);
    text = (size_t)(nl - in->buf);
    eol = 1;
    if (text > 0 && in->buf[text - 1] == '\r') {
        text--;
        eol = 2;
    }
    if (text > 0)
        take(in, text);
    take(in, eol);
}

static void setup_input(struct input *in)
{
    memset(in, 0, sizeof(*in));
    assert_int_equal(chunkline_new(&in->cl), 0);
}

static const char head[] = "POST /urls HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";

/* The head as libevent reads it: the request line, each header, the empty line. */
static void read_head(struct input *in)
{
    int i;

    for (i = 0; i < 4; i++)
        readln(in);
}

static void test_size_not_readable(void **state)
{
    /* a line libevent's strtoll check refuses: 400 */
    static const char *bad[] = {"zz", "-5", "5;ext=1", "5x", "q1", "0x", "+", NULL};
    struct input in;
    int i;

    (void)state;
    for (i = 0; bad[i]; i++) {
        setup_input(&in);
        arrive(&in, head);
        read_head(&in);
        arrive(&in, bad[i]);
        arrive(&in, "\r\nhello\r\n");
        readln(&in);
        if (chunkline_refusal(in.cl) != 400)
            fail_msg("chunk size \"%s\": want 400", bad[i]);
        chunkline_free(&in.cl);
        assert_null(in.cl);
    }
}

static void test_size_readable(void **state)
{
    /* a number libevent reads (so its 413 is over the limit) */
    static const char *good[] = {
        "11170", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "10000 ", "0x10000", " 10000", NULL};
    struct input in;
    int i;

    (void)state;
    for (i = 0; good[i]; i++) {
        setup_input(&in);
        arrive(&in, head);
        read_head(&in);
        arrive(&in, good[i]);
        arrive(&in, "\r\n");
        readln(&in);
        if (chunkline_refusal(in.cl) != 413)
            fail_msg("chunk size \"%s\": want 413", good[i]);
        chunkline_free(&in.cl);
    }
}

static void test_after_data(void **state)
{
    struct input in;

    (void)state;
    /* data, its CRLF (an empty line to libevent), then a bad size: 400 */
    setup_input(&in);
    arrive(&in, head);
    read_head(&in);
    arrive(&in, "3\r\nabc\r\nq1\r\n");
    readln(&in);
    take(&in, 3);
    readln(&in);
    readln(&in);
    assert_int_equal(chunkline_refusal(in.cl), 400);
    chunkline_free(&in.cl);

    /* data longer than its size: the rest is read as the next size: 400 */
    setup_input(&in);
    arrive(&in, head);
    read_head(&in);
    arrive(&in, "5\r\nhelloXX\r\n");
    readln(&in);
    take(&in, 5);
    readln(&in);
    assert_int_equal(chunkline_refusal(in.cl), 400);
    chunkline_free(&in.cl);

    /* a second size that takes the body over the limit: 413 */
    setup_input(&in);
    arrive(&in, head);
    read_head(&in);
    arrive(&in, "3\r\nabc\r\nFFFFF\r\n");
    readln(&in);
    take(&in, 3);
    readln(&in);
    readln(&in);
    assert_int_equal(chunkline_refusal(in.cl), 413);
    chunkline_free(&in.cl);
}

static void test_end_of_head(void **state)
{
    struct input in;

    (void)state;
    /* Content-Length over the limit: refused right after the empty line: 413 */
    setup_input(&in);
    arrive(&in, "POST /urls HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n");
    read_head(&in);
    assert_int_equal(chunkline_refusal(in.cl), 413);
    chunkline_free(&in.cl);

    /* the same with bare LF line ends */
    setup_input(&in);
    arrive(&in, "POST /urls HTTP/1.1\nHost: t\nContent-Length: 99999999\n\n");
    read_head(&in);
    assert_int_equal(chunkline_refusal(in.cl), 413);
    chunkline_free(&in.cl);

    /* nothing read yet */
    setup_input(&in);
    assert_int_equal(chunkline_refusal(in.cl), 413);
    chunkline_free(&in.cl);
}

static void test_long_lines(void **state)
{
    char line[200];
    struct input in;

    (void)state;
    /* 100 hex digits: a huge number to libevent (over the limit): 413 */
    memset(line, 'f', 100);
    strcpy(line + 100, "\r\n");
    setup_input(&in);
    arrive(&in, head);
    read_head(&in);
    arrive(&in, line);
    readln(&in);
    assert_int_equal(chunkline_refusal(in.cl), 413);
    chunkline_free(&in.cl);

    /* 100 letters: 400 */
    memset(line, 'g', 100);
    setup_input(&in);
    arrive(&in, head);
    read_head(&in);
    arrive(&in, line);
    readln(&in);
    assert_int_equal(chunkline_refusal(in.cl), 400);
    chunkline_free(&in.cl);

    /* the size line arrives a byte at a time (the front is topped up as bytes come) */
    setup_input(&in);
    arrive(&in, head);
    read_head(&in);
    arrive(&in, "z");
    arrive(&in, "z");
    arrive(&in, "\r");
    arrive(&in, "\n");
    readln(&in);
    assert_int_equal(chunkline_refusal(in.cl), 400);
    chunkline_free(&in.cl);
    chunkline_free(&in.cl); /* NULL-safe */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_not_readable), cmocka_unit_test(test_size_readable),
        cmocka_unit_test(test_after_data),        cmocka_unit_test(test_end_of_head),
        cmocka_unit_test(test_long_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
