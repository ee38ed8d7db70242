/* Integration test: a name whose lookup hangs fails as dns within TIMEOUT and does not
 * stall the other checks of its loop. This executable defines getaddrinfo() itself, which
 * the dynamic linker then binds libcurl's resolver thread to: names ending in
 * ".hang.test" take HANG_MS to fail, as with an unreachable name server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "checker.h"
#include "test_engine_util.h"

#define TIMEOUT_MS 1000u
#define HANG_MS 2500
#define N 61

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    static const char suffix[] = ".hang.test";
    int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    size_t n = node ? strlen(node) : 0;

    if (n >= sizeof(suffix) && strcmp(node + n - (sizeof(suffix) - 1), suffix) == 0) {
        struct timespec ts = {HANG_MS / 1000, (HANG_MS % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        return EAI_AGAIN;
    }
    *(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
    return real ? real(node, service, hints, res) : EAI_FAIL;
}

static void test_hung_lookup(void **state)
{
    static const char *const args[] = {"--listen", "127.0.0.1:0", NULL};
    static char buf[N][96];
    struct etest_url urls[N];
    struct etest_target t;
    struct etest_results res;
    struct checker_opts o;
    struct timespec settle = {HANG_MS / 1000 + 1, 0};
    size_t i;

    etest_target_start(&t, args);
    assert_int_equal(checker_global_init(), 0);
    snprintf(buf[0], sizeof(buf[0]), "http://a.hang.test/");
    for (i = 1; i < N; i++)
        snprintf(buf[i], sizeof(buf[i]), "http://%s/d/%zu?delay=100", t.http[0], i);
    for (i = 0; i < N; i++) {
        urls[i].url = buf[i];
        urls[i].regex = NULL;
    }
    memset(&o, 0, sizeof(o));
    o.threads = 1; /* the hung lookup and the other checks share one loop */
    o.concurrency = 5;
    o.timeout_ms = TIMEOUT_MS;
    o.connect_timeout_ms = TIMEOUT_MS;
    o.max_redirects = 5;
    o.max_body_bytes = 65536;
    o.allow_private_targets = true;
    assert_int_equal(etest_run(&o, urls, N, 0, &res), 0);
    printf("  hung lookup: %s after %u ms: %s\n", check_error_name(res.result[0].error),
           res.result[0].response_ms, res.result[0].message);
    assert_int_equal(res.result[0].error, CHECK_ERR_DNS);
    assert_true(res.result[0].response_ms <= TIMEOUT_MS + 500);
    assert_true(res.done_ms[0] - res.result[0].checked_at_ms <= TIMEOUT_MS + 500);
    for (i = 1; i < N; i++) {
        if (!res.result[i].success || res.result[i].response_ms > 600)
            fail_msg("check %zu: %s after %u ms (the loop stalled?)", i,
                     check_error_name(res.result[i].error) ? check_error_name(res.result[i].error)
                                                           : "ok",
                     res.result[i].response_ms);
    }
    etest_results_free(&res);
    nanosleep(&settle, NULL); /* let the detached resolver thread finish */
    checker_global_cleanup();
    etest_target_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hung_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
