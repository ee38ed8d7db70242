/* Integration tests of the check engine over TLS: a CA and a server certificate made
 * here with the openssl tool, `openssl s_server` on a free loopback port, plain URLs on
 * urlmon-target.
 *
 * - a check's recorded time covers only its own transfer: loading the CA store for the
 *   first https check of a loop must not inflate the plain checks in flight (issue 12
 *   item 1: plain checks recorded 27-34 ms on a server that answers in under 1 ms);
 * - CA_BUNDLE / CA_PATH make a private CA trusted (item 3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checker.h"
#include "test_engine_util.h"

#define TIMEOUT_MS 3000u

static struct etest_target target;
static char dir[] = "/tmp/urlmon-tls-XXXXXX";
static char tls_addr[64];
static pid_t server = -1;

static void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(cmd));
    if (system(cmd) != 0)
        fail_msg("command failed: %s", cmd);
}

/* A CA, a server certificate for 127.0.0.1 signed by it, and a CA_PATH directory. */
static void make_pki(void)
{
    sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
       "-keyout ca.key -out ca.pem -days 2 -subj /CN=urlmon-test-ca 2>/dev/null",
       dir);
    sh("cd %s && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
       "-keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null && "
       "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf && "
       "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
       "-out srv.pem -days 2 -extfile ext.cnf 2>/dev/null",
       dir);
    sh("mkdir -p %s/capath && cp %s/ca.pem %s/capath/ && openssl rehash %s/capath", dir, dir, dir,
       dir);
}

static void start_server(void)
{
    char port[16], cert[512], key[512];
    const char *colon;
    int tries;

    etest_unused_addr(tls_addr, sizeof(tls_addr));
    colon = strrchr(tls_addr, ':');
    assert_non_null(colon);
    snprintf(port, sizeof(port), "%s", colon + 1);
    snprintf(cert, sizeof(cert), "%s/srv.pem", dir);
    snprintf(key, sizeof(key), "%s/srv.key", dir);
    server = fork();
    assert_true(server >= 0);
    if (server == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execlp("openssl", "openssl", "s_server", "-quiet", "-accept", port, "-4", "-www", "-cert",
               cert, "-key", key, (char *)NULL);
        _exit(127);
    }
    for (tries = 0; tries < 100; tries++) { /* wait until it accepts */
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int ok;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return;
        usleep(50000);
    }
    fail_msg("openssl s_server did not start on %s", tls_addr);
}

static int setup(void **state)
{
    static const char *const args[] = {"--listen", "127.0.0.1:0", "--threads", "2", NULL};

    assert_non_null(mkdtemp(dir));
    make_pki();
    start_server();
    etest_target_start(&target, args);
    assert_true(target.nhttp >= 1);
    assert_int_equal(checker_global_init(), 0);
    return 0;
}

static int teardown(void **state)
{
    checker_global_cleanup();
    etest_target_stop(&target);
    if (server > 0) {
        kill(server, SIGTERM);
        (void)waitpid(server, NULL, 0);
    }
    sh("rm -rf %s", dir);
    return 0;
}

static void base_opts(struct checker_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = 1; /* one loop: every check shares the thread that sets TLS up */
    o->concurrency = 64;
    o->timeout_ms = TIMEOUT_MS;
    o->connect_timeout_ms = TIMEOUT_MS;
    o->max_redirects = 0;
    o->max_body_bytes = 65536;
    o->allow_private_targets = true;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Ten plain checks against a server that answers at once and one https check among them
 * (after the first plain ones have started, as in a real mixed run), with the system CA
 * store (the large one whose load, ~30 ms of CPU, stalled the loop). The plain checks'
 * recorded total must stay a loopback time: p95 <= 10 ms. Each checker_run makes new
 * loops, so each round loads the CA store again; without the fix every round is
 * inflated. The machine running the suite may be loaded by other work (a descheduled
 * thread inflates a round just as well), so the bound must hold in the best of ROUNDS
 * rounds, not in each. */
static void test_plain_times_not_inflated_by_tls(void **state)
{
    enum { NPLAIN = 10, N = NPLAIN + 1, TLS_AT = 3, ROUNDS = 10 };
    struct etest_url urls[N];
    static char bufs[N][128];
    struct etest_results res;
    struct checker_opts o;
    uint32_t plain[N], best = UINT32_MAX;
    size_t i, np = 0;
    int round;

    for (i = 0; i < N; i++) {
        if (i == TLS_AT)
            snprintf(bufs[i], sizeof(bufs[i]), "https://%s/", tls_addr);
        else
            snprintf(bufs[i], sizeof(bufs[i]), "http://%s/ok?n=%zu", target.http[0], i);
        urls[i].url = bufs[i];
        urls[i].regex = NULL;
    }
    for (round = 0; round < ROUNDS; round++) {
        base_opts(&o);
        assert_int_equal(etest_run(&o, urls, N, 0, &res), 0);
        np = 0;
        for (i = 0; i < N; i++) {
            const struct check_result *r = &res.result[i];
            assert_int_equal(res.seen[i], 1);
            if (i == TLS_AT) {
                /* the test CA is not in the system store */
                assert_int_equal(r->error, CHECK_ERR_TLS);
                continue;
            }
            assert_int_equal(r->error, CHECK_OK);
            plain[np++] = r->response_ms;
        }
        assert_int_equal(np, NPLAIN);
        qsort(plain, np, sizeof(plain[0]), cmp_u32);
        printf("  round %d: plain total_ms median %u p95 %u max %u\n", round, plain[np / 2],
               plain[(np * 95) / 100], plain[np - 1]);
        if (plain[(np * 95) / 100] < best)
            best = plain[(np * 95) / 100];
        etest_results_free(&res);
    }
    printf("  best round: plain total_ms p95 %u\n", best);
    assert_true(best <= 10);
}

static void run_one(struct checker_opts *o, const char *url, struct check_result *out)
{
    struct etest_url u = {url, NULL};
    struct etest_results res;

    assert_int_equal(etest_run(o, &u, 1, 0, &res), 0);
    assert_int_equal(res.seen[0], 1);
    *out = res.result[0];
    etest_results_free(&res);
}

/* A site signed by a private CA fails as tls with the system store, and succeeds when
 * CA_BUNDLE names the CA's file or CA_PATH its hashed directory. */
static void test_private_ca(void **state)
{
    char url[128], bundle[512], capath[512];
    struct checker_opts o;
    struct check_result r;

    snprintf(url, sizeof(url), "https://%s/", tls_addr);
    snprintf(bundle, sizeof(bundle), "%s/ca.pem", dir);
    snprintf(capath, sizeof(capath), "%s/capath", dir);

    base_opts(&o);
    run_one(&o, url, &r);
    printf("  system store: %d %s\n", r.error, r.message);
    assert_int_equal(r.error, CHECK_ERR_TLS);

    base_opts(&o);
    o.ca_bundle = bundle;
    run_one(&o, url, &r);
    printf("  CA_BUNDLE: %d status %d %s\n", r.error, r.http_status, r.message);
    assert_int_equal(r.error, CHECK_OK);
    assert_int_equal(r.http_status, 200);
    assert_int_not_equal(r.tls_ms, CHECK_MS_UNKNOWN);

    base_opts(&o);
    o.ca_path = capath;
    run_one(&o, url, &r);
    printf("  CA_PATH: %d status %d %s\n", r.error, r.http_status, r.message);
    assert_int_equal(r.error, CHECK_OK);

    /* a bundle that does not hold the signer: still refused */
    base_opts(&o);
    o.ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
    run_one(&o, url, &r);
    assert_int_equal(r.error, CHECK_ERR_TLS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_times_not_inflated_by_tls),
        cmocka_unit_test(test_private_ca),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
