/* Integration test: the check engine's memory stays bounded by its concurrency, not by
 * what hostile servers send: 2,000 checks of endless bodies and 1 MiB header blocks at
 * 200 in flight must keep the peak RSS of this process under 200 MB. Runs alone in its
 * own process so ru_maxrss measures this run only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "checker.h"
#include "test_engine_util.h"

#define N 2000
#define RSS_LIMIT_KB (200L * 1024L)
#ifdef __SANITIZE_ADDRESS__
#define RSS_JUDGED 0 /* ASan's shadow memory and quarantine inflate the RSS */
#else
#define RSS_JUDGED 1
#endif

static void test_hostile_bodies_bounded(void **state)
{
    static const char *const args[] = {"--listen",  "127.0.0.1:0", "--listen", "127.0.0.1:0",
                                       "--threads", "2",           NULL};
    static char buf[N][96];
    static struct etest_url urls[N];
    struct etest_target t;
    struct etest_results res;
    struct checker_opts o;
    struct rusage ru;
    size_t i, too_large = 0, headers = 0;

    etest_target_start(&t, args);
    assert_int_equal(checker_global_init(), 0);
    for (i = 0; i < N; i++) {
        const char *what = (i % 2) ? "headers_kb=1024" : "endless=1";
        snprintf(buf[i], sizeof(buf[i]), "http://%s/m/%zu?%s", t.http[i % t.nhttp], i, what);
        urls[i].url = buf[i];
        /* every fourth endless body is kept for a regex: the buffered path */
        urls[i].regex = (i % 8 == 0) ? "never-there" : NULL;
    }
    memset(&o, 0, sizeof(o));
    o.threads = 2;
    o.concurrency = 200;
    o.timeout_ms = 10000;
    o.connect_timeout_ms = 5000;
    o.max_redirects = 5;
    o.max_body_bytes = 1048576; /* the default MAX_BODY_BYTES */
    o.allow_private_targets = true;
    assert_int_equal(etest_run(&o, urls, N, 0, &res), 0);
    for (i = 0; i < N; i++) {
        const struct check_result *r = &res.result[i];
        if (res.seen[i] != 1)
            fail_msg("%zu came back %u times", i, res.seen[i]);
        if (i % 2 == 0 && r->error == CHECK_ERR_TOO_LARGE)
            too_large++;
        if (i % 2 == 1 && r->error == CHECK_ERR_OTHER && strstr(r->message, "headers"))
            headers++;
    }
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    printf("  %d hostile checks in %lld ms, peak RSS %ld KB\n", N, (long long)res.wall_ms,
           ru.ru_maxrss);
    assert_int_equal(too_large, N / 2);
    assert_int_equal(headers, N / 2);
    if (RSS_JUDGED)
        assert_true(ru.ru_maxrss < RSS_LIMIT_KB);
    etest_results_free(&res);
    checker_global_cleanup();
    etest_target_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_bodies_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
