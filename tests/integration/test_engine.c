/* Integration tests of the check engine (compute/checker.h) against urlmon-target:
 * every behaviour of a monitored URL, the SSRF guard end to end, stop, and 10,000 URLs
 * each coming back exactly once. Needs no database: the target is started here. */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "test_engine_util.h"
#include "utf8.h"

#define TIMEOUT_MS 1000u
#define MAX_BODY 65536u
#define SLACK_MS 1000 /* a hostile case must end within TIMEOUT + this */

static struct etest_target target;
static char refused[64];

static int setup(void **state)
{
    static const char *const args[] = {"--listen",    "127.0.0.1:0", "--blackhole",
                                       "127.0.0.1:0", "--garbage",   "127.0.0.1:0",
                                       "--threads",   "2",           NULL};
    etest_target_start(&target, args);
    assert_true(target.nhttp >= 1 && target.blackhole[0] && target.garbage[0]);
    etest_unused_addr(refused, sizeof(refused));
    assert_int_equal(checker_global_init(), 0);
    return 0;
}

static int teardown(void **state)
{
    checker_global_cleanup();
    etest_target_stop(&target);
    return 0;
}

static void base_opts(struct checker_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = 2;
    o->concurrency = 64;
    o->timeout_ms = TIMEOUT_MS;
    o->connect_timeout_ms = TIMEOUT_MS;
    o->max_redirects = 5;
    o->max_body_bytes = MAX_BODY;
    o->allow_private_targets = true;
}

/* Where a case's URL points: H = the HTTP listener, B = blackhole, G = garbage,
 * R = a port nothing listens on, N = the URL as written. */
struct ecase {
    const char *name;
    char where;
    const char *fmt; /* one %s for ADDR:PORT unless where == 'N' */
    const char *regex;
    enum check_error err;
    int status;       /* -1 = any */
    const char *text; /* in the message ("" = any) */
    int regex_matched;
    const char *match; /* NULL = not checked */
};

static const struct ecase cases[] = {
    {"200", 'H', "http://%s/ok", NULL, CHECK_OK, 200, "", -1, NULL},
    {"301 to 200", 'H', "http://%s/x?status=301&location=/ok", NULL, CHECK_OK, 200, "", -1, NULL},
    {"302 chain", 'H', "http://%s/r?redirect=3", NULL, CHECK_OK, 200, "", -1, NULL},
    {"404", 'H', "http://%s/x?status=404", NULL, CHECK_ERR_HTTP_STATUS, 404, "404", -1, NULL},
    {"500", 'H', "http://%s/x?status=500", NULL, CHECK_ERR_HTTP_STATUS, 500, "500", -1, NULL},
    {"timeout", 'H', "http://%s/x?delay=3000", NULL, CHECK_ERR_TIMEOUT, 0, "", -1, NULL},
    {"refused", 'R', "http://%s/", NULL, CHECK_ERR_CONNECT, 0, "", -1, NULL},
    {"dns", 'N', "http://nonexistent.invalid/", NULL, CHECK_ERR_DNS, 0, "", -1, NULL},
    {"regex hit", 'H', "http://%s/x?body=hello+world", "wor.d", CHECK_OK, 200, "", 1, "world"},
    /* an empty body has no buffer: a regex matching "" must not read it (UBSan) */
    {"empty 200 body, regex ^", 'H', "http://%s/x?size=0", "^", CHECK_OK, 200, "", 1, ""},
    {"regex miss", 'H', "http://%s/x?body=hello+world", "planet", CHECK_ERR_REGEX_MISMATCH, 200,
     "regex", 0, ""},
    {"regex, 404", 'H', "http://%s/x?status=404&body=hello", "hel+o", CHECK_ERR_HTTP_STATUS, 404,
     "", 1, "hello"},
    {"invalid regex", 'H', "http://%s/ok", "(", CHECK_ERR_OTHER, 0, "invalid regex", 0, NULL},
    {"body at the limit", 'H', "http://%s/x?size=65536", NULL, CHECK_OK, 200, "", -1, NULL},
    {"body over the limit", 'H', "http://%s/x?size=200000", NULL, CHECK_ERR_TOO_LARGE, 200, "65536",
     -1, NULL},
    {"endless body", 'H', "http://%s/x?endless=1", NULL, CHECK_ERR_TOO_LARGE, 200, "", -1, NULL},
    {"endless body, regex", 'H', "http://%s/x?endless=1", "zzz", CHECK_ERR_TOO_LARGE, 200, "", 0,
     NULL},
    {"slow drip", 'H', "http://%s/x?drip=1000&size=60000", NULL, CHECK_ERR_TIMEOUT, 200, "", -1,
     NULL},
    {"redirect loop", 'H', "http://%s/x?loop=1", NULL, CHECK_ERR_OTHER, 302,
     "redirect loop (more than 5 redirects)", -1, NULL},
    {"garbage answer", 'H', "http://%s/x?garbage=1", NULL, CHECK_ERR_OTHER, 0, "", -1, NULL},
    {"close without answer", 'H', "http://%s/x?close=1", NULL, CHECK_ERR_OTHER, 0, "", -1, NULL},
    {"hang", 'H', "http://%s/x?hang=1", NULL, CHECK_ERR_TIMEOUT, 0, "", -1, NULL},
    {"1 MiB of headers", 'H', "http://%s/x?headers_kb=1024", NULL, CHECK_ERR_OTHER, -1, "headers",
     -1, NULL},
    {"tls, handshake never answered", 'B', "https://%s/", NULL, CHECK_ERR_TIMEOUT, 0, "TLS", -1,
     NULL},
    {"tls against a garbage listener", 'G', "https://%s/", NULL, CHECK_ERR_TLS, 0, "", -1, NULL},
    {"http against a garbage listener", 'G', "http://%s/", NULL, CHECK_ERR_OTHER, 0, "", -1, NULL},
    {"not http", 'N', "ftp://127.0.0.1/", NULL, CHECK_ERR_OTHER, 0, "", -1, NULL},
};

static const char *where_addr(char where)
{
    switch (where) {
    case 'H':
        return target.http[0];
    case 'B':
        return target.blackhole;
    case 'G':
        return target.garbage;
    case 'R':
        return refused;
    default:
        return "";
    }
}

static const char *name_of(enum check_error e)
{
    return check_error_name(e) ? check_error_name(e) : "ok";
}

static void check_common(const char *name, const struct check_result *r, int64_t t0,
                         int64_t done_ms)
{
    size_t len = strnlen(r->message, sizeof(r->message));

    if (len >= sizeof(r->message) || !utf8_valid(r->message, len, NULL))
        fail_msg("%s: message not a valid bounded string", name);
    len = strnlen(r->regex_match, sizeof(r->regex_match));
    if (len >= sizeof(r->regex_match) || !utf8_valid(r->regex_match, len, NULL))
        fail_msg("%s: regex match not a valid bounded string", name);
    if (r->success != (r->error == CHECK_OK))
        fail_msg("%s: success flag disagrees with the class", name);
    if (r->success && r->message[0])
        fail_msg("%s: message '%s' on success", name, r->message);
    if (!r->success && !r->message[0])
        fail_msg("%s: failure without a message", name);
    if (r->checked_at_ms < t0 - 5 || r->checked_at_ms > done_ms)
        fail_msg("%s: checked_at_ms %lld outside the run", name, (long long)r->checked_at_ms);
    if (r->response_ms > TIMEOUT_MS + SLACK_MS)
        fail_msg("%s: response_ms %u > TIMEOUT + %d", name, r->response_ms, SLACK_MS);
    if (done_ms - r->checked_at_ms > (int64_t)TIMEOUT_MS + SLACK_MS)
        fail_msg("%s: took %lld ms from start to sink", name,
                 (long long)(done_ms - r->checked_at_ms));
}

static void test_behaviours(void **state)
{
    enum { N = sizeof(cases) / sizeof(cases[0]) };
    static char urls_buf[N][256];
    struct etest_url urls[N];
    struct etest_results res;
    struct checker_opts o;
    int64_t t0 = etest_now_ms();
    size_t i;

    for (i = 0; i < N; i++) {
        if (cases[i].where == 'N')
            snprintf(urls_buf[i], sizeof(urls_buf[i]), "%s", cases[i].fmt);
        else
            snprintf(urls_buf[i], sizeof(urls_buf[i]), cases[i].fmt, where_addr(cases[i].where));
        urls[i].url = urls_buf[i];
        urls[i].regex = cases[i].regex;
    }
    base_opts(&o);
    assert_int_equal(etest_run(&o, urls, N, 0, &res), 0);
    assert_int_equal(res.stats.started, N);
    assert_int_equal(res.stats.finished, N);
    for (i = 0; i < N; i++) {
        const struct ecase *c = &cases[i];
        const struct check_result *r = &res.result[i];

        if (res.seen[i] != 1)
            fail_msg("%s: came back %u times", c->name, res.seen[i]);
        printf("  %-32s %-14s status %3d %5u ms  %s\n", c->name, name_of(r->error), r->http_status,
               r->response_ms, r->message);
        if (r->error != c->err)
            fail_msg("%s (%s): class %s, want %s: %s", c->name, urls[i].url, name_of(r->error),
                     name_of(c->err), r->message);
        if (c->status >= 0 && r->http_status != c->status)
            fail_msg("%s: status %d, want %d", c->name, r->http_status, c->status);
        if (c->text[0] && !strstr(r->message, c->text))
            fail_msg("%s: message '%s' lacks '%s'", c->name, r->message, c->text);
        if (r->regex_matched != c->regex_matched)
            fail_msg("%s: regex_matched %d, want %d", c->name, r->regex_matched, c->regex_matched);
        if (c->match && strcmp(r->regex_match, c->match) != 0)
            fail_msg("%s: match '%s', want '%s'", c->name, r->regex_match, c->match);
        assert_int_equal(r->url_id, i);
        check_common(c->name, r, t0, res.done_ms[i]);
    }
    /* phase times of a plain http success */
    assert_int_not_equal(res.result[0].dns_ms, CHECK_MS_UNKNOWN);
    assert_int_not_equal(res.result[0].connect_ms, CHECK_MS_UNKNOWN);
    assert_int_equal(res.result[0].tls_ms, CHECK_MS_UNKNOWN);
    assert_int_not_equal(res.result[0].ttfb_ms, CHECK_MS_UNKNOWN);
    assert_true(res.result[0].response_ms < TIMEOUT_MS);
    /* all of it ran concurrently: one TIMEOUT, not one per hostile case */
    assert_true(res.wall_ms < (int64_t)TIMEOUT_MS + 2 * SLACK_MS);
    etest_results_free(&res);
}

/* https:// against the plain HTTP port: the target waits for a request head that a TLS
 * ClientHello never completes, so the handshake stalls (timeout, "TLS handshake ...");
 * a server that answers the ClientHello with an HTTP error makes it a tls failure. */
static void test_https_to_http_port(void **state)
{
    char url[128];
    struct etest_url u = {url, NULL};
    struct etest_results res;
    struct checker_opts o;
    int64_t t0 = etest_now_ms();
    const struct check_result *r;

    snprintf(url, sizeof(url), "https://%s/", target.http[0]);
    base_opts(&o);
    assert_int_equal(etest_run(&o, &u, 1, 0, &res), 0);
    r = &res.result[0];
    printf("  https to the http port: %s %s\n", name_of(r->error), r->message);
    if (!(r->error == CHECK_ERR_TLS ||
          (r->error == CHECK_ERR_TIMEOUT && strstr(r->message, "TLS handshake"))))
        fail_msg("https to a plain port: %s %s", name_of(r->error), r->message);
    check_common("https to http port", r, t0, res.done_ms[0]);
    etest_results_free(&res);
}

static void test_ssrf_guard(void **state)
{
    char ok_url[128], localhost[128], v6[128];
    const char *port = strrchr(target.http[0], ':') + 1;
    struct etest_url urls[] = {
        {ok_url, NULL},
        {localhost, NULL},
        {v6, NULL},
        {"http://169.254.169.254/latest/meta-data/", NULL},
        {"http://10.0.0.1/", NULL},
        {"http://[fe80::1]/", NULL},
        {"http://nonexistent.invalid/", NULL},
    };
    static const enum check_error want[] = {CHECK_ERR_BLOCKED, CHECK_ERR_BLOCKED, CHECK_ERR_BLOCKED,
                                            CHECK_ERR_BLOCKED, CHECK_ERR_BLOCKED, CHECK_ERR_BLOCKED,
                                            CHECK_ERR_DNS};
    struct etest_results res;
    struct checker_opts o;
    int64_t t0 = etest_now_ms();
    size_t i;

    snprintf(ok_url, sizeof(ok_url), "http://%s/ok", target.http[0]);
    snprintf(localhost, sizeof(localhost), "http://localhost:%s/ok", port);
    snprintf(v6, sizeof(v6), "http://[::1]:%s/ok", port);
    base_opts(&o);
    o.allow_private_targets = false;
    assert_int_equal(etest_run(&o, urls, ARRAY_LEN(urls), 0, &res), 0);
    for (i = 0; i < ARRAY_LEN(urls); i++) {
        const struct check_result *r = &res.result[i];
        printf("  %-44s %-8s %s\n", urls[i].url, name_of(r->error), r->message);
        if (r->error != want[i])
            fail_msg("%s: %s, want %s (%s)", urls[i].url, name_of(r->error), name_of(want[i]),
                     r->message);
        check_common(urls[i].url, r, t0, res.done_ms[i]);
    }
    assert_non_null(strstr(res.result[0].message, "127.0.0.1"));
    assert_non_null(strstr(res.result[3].message, "169.254.169.254"));
    assert_int_equal(res.result[0].http_status, 0);
    etest_results_free(&res);
}

static void test_stop_finishes_inflight(void **state)
{
    enum { N = 3000 };
    static char buf[N][96];
    static struct etest_url urls[N];
    struct etest_results res;
    struct checker_opts o;
    size_t i, got = 0;

    for (i = 0; i < N; i++) {
        snprintf(buf[i], sizeof(buf[i]), "http://%s/s/%zu?delay=100", target.http[0], i);
        urls[i].url = buf[i];
        urls[i].regex = NULL;
    }
    base_opts(&o);
    o.concurrency = 100;
    assert_int_equal(etest_run(&o, urls, N, 150, &res), 0);
    for (i = 0; i < N; i++) {
        assert_true(res.seen[i] <= 1);
        got += res.seen[i];
        if (res.seen[i] && !res.result[i].success)
            fail_msg("%zu failed: %s", i, res.result[i].message);
    }
    /* stop after 150: at most one more share was in flight, all of it was finished */
    assert_true(got >= 150 && got <= 150 + 100 + 64);
    assert_int_equal(res.stats.started, got);
    assert_int_equal(res.stats.finished, got);
    assert_true(res.wall_ms < 3000);
    etest_results_free(&res);
}

static void test_empty_source_and_bad_opts(void **state)
{
    struct etest_results res;
    struct checker_opts o;
    struct checker_stats st;
    char err[URLMON_ERRLEN] = "";

    base_opts(&o);
    assert_int_equal(etest_run(&o, NULL, 0, 0, &res), 0);
    assert_int_equal(res.stats.started, 0);
    assert_int_equal(res.stats.finished, 0);
    etest_results_free(&res);
    base_opts(&o); /* no source, no sink */
    assert_int_equal(checker_run(&o, &st, err, sizeof(err)), -1);
    assert_true(err[0] != '\0');
}

/* 10,000 URLs over 4 addresses x 4 ports: each comes back exactly once, all succeed. */
static void test_ten_thousand(void **state)
{
    enum { N = 10000 };
    static const char *const args[] = {
        "--listen", "127.0.0.1:0", "--listen",  "127.0.0.1:0", "--listen", "127.0.0.1:0",
        "--listen", "127.0.0.1:0", "--listen",  "127.0.0.2:0", "--listen", "127.0.0.2:0",
        "--listen", "127.0.0.2:0", "--listen",  "127.0.0.2:0", "--listen", "127.0.0.3:0",
        "--listen", "127.0.0.3:0", "--listen",  "127.0.0.3:0", "--listen", "127.0.0.3:0",
        "--listen", "127.0.0.4:0", "--listen",  "127.0.0.4:0", "--listen", "127.0.0.4:0",
        "--listen", "127.0.0.4:0", "--threads", "2",           NULL};
    struct etest_target many;
    static char buf[N][96];
    static struct etest_url urls[N];
    struct etest_results res;
    struct checker_opts o;
    size_t i, ok = 0;

    etest_target_start(&many, args);
    assert_int_equal(many.nhttp, 16);
    for (i = 0; i < N; i++) {
        snprintf(buf[i], sizeof(buf[i]), "http://%s/u/%zu", many.http[i % many.nhttp], i);
        urls[i].url = buf[i];
        urls[i].regex = (i % 10 == 0) ? "^ok" : NULL;
    }
    base_opts(&o);
    o.concurrency = 500;
    o.timeout_ms = 10000;
    o.connect_timeout_ms = 5000;
    assert_int_equal(etest_run(&o, urls, N, 0, &res), 0);
    for (i = 0; i < N; i++) {
        if (res.seen[i] != 1)
            fail_msg("url %zu came back %u times", i, res.seen[i]);
        if (res.result[i].success)
            ok++;
        else
            fprintf(stderr, "url %zu: %s %s\n", i, name_of(res.result[i].error),
                    res.result[i].message);
    }
    printf("  10000 URLs in %lld ms (%.0f checks/s)\n", (long long)res.wall_ms,
           N * 1000.0 / (double)(res.wall_ms ? res.wall_ms : 1));
    assert_int_equal(ok, N);
    assert_int_equal(res.stats.started, N);
    assert_int_equal(res.stats.finished, N);
    assert_int_equal(res.stats.succeeded, N);
    etest_results_free(&res);
    etest_target_stop(&many);
}

/* A source whose work comes due over time (the service's agenda): after it answers
 * LATER the loop asks again when source_wait's time has passed, not at each socket
 * event of the checks in flight meanwhile (each such question cost a lock and a clock
 * read); every URL still starts when due, once. */
enum { PACED_N = 15, PACED_STEP_MS = 60 };
struct paced {
    pthread_mutex_t mu;
    int64_t t0;
    unsigned next, later, seen[PACED_N];
    int64_t started[PACED_N];
    bool ok[PACED_N];
};

static int64_t paced_due(const struct paced *p, unsigned k)
{
    return p->t0 + 100 + (int64_t)k * PACED_STEP_MS;
}

static int paced_source(void *arg, struct check_target *t)
{
    struct paced *p = arg;
    int rc = CHECKER_SOURCE_GOT;

    pthread_mutex_lock(&p->mu);
    if (p->next == PACED_N) {
        rc = CHECKER_SOURCE_END;
    } else if (etest_now_ms() < paced_due(p, p->next)) {
        p->later++;
        rc = CHECKER_SOURCE_LATER;
    } else {
        /* each answer drips in for about half a second (10 bytes every 100 ms): its
         * socket events fall while the loop waits for the next URL */
        t->url_id = p->next;
        snprintf(t->url, sizeof(t->url), "http://%s/p/%u?size=50&drip=100", target.http[0],
                 p->next++);
        t->regex[0] = '\0';
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static long paced_wait(void *arg)
{
    struct paced *p = arg;
    int64_t now = etest_now_ms();
    long ms = 1;

    pthread_mutex_lock(&p->mu);
    if (p->next < PACED_N && paced_due(p, p->next) > now)
        ms = (long)(paced_due(p, p->next) - now);
    pthread_mutex_unlock(&p->mu);
    return ms;
}

static void paced_sink(void *arg, const struct check_result *r)
{
    struct paced *p = arg;

    pthread_mutex_lock(&p->mu);
    if (r->url_id < PACED_N) {
        p->seen[r->url_id]++;
        p->started[r->url_id] = r->checked_at_ms;
        p->ok[r->url_id] = r->success;
    }
    pthread_mutex_unlock(&p->mu);
}

static void test_later_waits_for_the_source(void **state)
{
    static struct paced p;
    struct checker_opts o;
    struct checker_stats st;
    char err[URLMON_ERRLEN] = "";
    unsigned k;

    memset(&p, 0, sizeof(p));
    pthread_mutex_init(&p.mu, NULL);
    base_opts(&o);
    o.threads = 1; /* one loop: the LATERs below are all its own */
    o.source = paced_source;
    o.source_wait = paced_wait;
    o.source_arg = &p;
    o.sink = paced_sink;
    o.sink_arg = &p;
    p.t0 = etest_now_ms();
    assert_int_equal(checker_run(&o, &st, err, sizeof(err)), 0);
    for (k = 0; k < PACED_N; k++) {
        assert_int_equal(p.seen[k], 1);
        assert_true(p.ok[k]);
        if (p.started[k] < paced_due(&p, k))
            fail_msg("url %u started %lld ms before it was due", k,
                     (long long)(paced_due(&p, k) - p.started[k]));
    }
    printf("  %u LATER answers\n", p.later);
    /* it waited between the URLs, and asked once per wait (twice when a timer fires a
     * moment early), not at each of the ~75 socket events meanwhile */
    assert_true(p.later >= PACED_N - 1);
    assert_true(p.later <= 2 * PACED_N);
    pthread_mutex_destroy(&p.mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_behaviours),
        cmocka_unit_test(test_https_to_http_port),
        cmocka_unit_test(test_ssrf_guard),
        cmocka_unit_test(test_stop_finishes_inflight),
        cmocka_unit_test(test_empty_source_and_bad_opts),
        cmocka_unit_test(test_ten_thousand),
        cmocka_unit_test(test_later_waits_for_the_source),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
