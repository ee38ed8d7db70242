/* tests/integration/test_engine_util.c: see test_engine_util.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_engine_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

int64_t etest_now_ms(void)
{
    return clock_wall_ms();
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void read_ready(struct etest_target *t, const char *path)
{
    char line[256];
    FILE *f = fopen(path, "r");

    if (!f)
        fail_msg("cannot open %s", path);
    while (fgets(line, sizeof(line), f)) {
        char kind[32], addr[64];
        if (sscanf(line, "%31s %63s", kind, addr) != 2)
            continue;
        if (strcmp(kind, "listen") == 0 && t->nhttp < ETEST_MAX_LISTEN)
            snprintf(t->http[t->nhttp++], sizeof(t->http[0]), "%s", addr);
        else if (strcmp(kind, "blackhole") == 0)
            snprintf(t->blackhole, sizeof(t->blackhole), "%s", addr);
        else if (strcmp(kind, "garbage") == 0)
            snprintf(t->garbage, sizeof(t->garbage), "%s", addr);
    }
    fclose(f);
}

void etest_target_start(struct etest_target *t, const char *const *args)
{
    const char *bin = getenv("URLMON_TARGET_BIN");
    char ready[300], logpath[300];
    const char *argv[80];
    size_t n = 0, i;
    int waited;

    memset(t, 0, sizeof(*t));
    if (!bin || access(bin, X_OK) != 0)
        fail_msg("URLMON_TARGET_BIN (%s) is not an executable", bin ? bin : "unset");
    snprintf(t->dir, sizeof(t->dir), "%s/urlmon-engine-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(t->dir))
        fail_msg("mkdtemp: %s", strerror(errno));
    snprintf(ready, sizeof(ready), "%s/ready", t->dir);
    snprintf(logpath, sizeof(logpath), "%s/target.log", t->dir);
    argv[n++] = bin;
    for (i = 0; args[i] && n < ARRAY_LEN(argv) - 4; i++)
        argv[n++] = args[i];
    argv[n++] = "--ready-file";
    argv[n++] = ready;
    argv[n] = NULL;
    t->pid = fork();
    if (t->pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (t->pid == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        /* a failed assertion longjmps past etest_target_stop: die with the test */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (waited = 0; waited < 10000; waited += 20) {
        int status;
        if (access(ready, R_OK) == 0)
            break;
        if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
            t->pid = 0;
            fail_msg("urlmon-target exited at start; see %s", logpath);
        }
        sleep_ms(20);
    }
    if (waited >= 10000)
        fail_msg("urlmon-target not ready after 10 s");
    read_ready(t, ready);
}

void etest_target_stop(struct etest_target *t)
{
    char path[300];
    int i, status;

    if (t->pid > 0) {
        kill(t->pid, SIGTERM);
        for (i = 0; i < 150; i++) {
            if (waitpid(t->pid, &status, WNOHANG) == t->pid)
                break;
            sleep_ms(20);
        }
        if (i == 150) {
            kill(t->pid, SIGKILL);
            waitpid(t->pid, &status, 0);
        }
        t->pid = 0;
    }
    if (t->dir[0]) {
        snprintf(path, sizeof(path), "%s/ready", t->dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/target.log", t->dir);
        unlink(path);
        if (rmdir(t->dir) != 0)
            fprintf(stderr, "could not remove %s: %s\n", t->dir, strerror(errno));
        t->dir[0] = '\0';
    }
}

void etest_unused_addr(char *out, size_t outlen)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd); /* nothing listens there now */
    snprintf(out, outlen, "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
}

struct run_ctx {
    const struct etest_url *urls;
    size_t n, stop_after;
    atomic_size_t next;
    pthread_mutex_t mu;
    size_t got;
    atomic_int stop;
    struct etest_results *res;
};

static int run_source(void *arg, struct check_target *t)
{
    struct run_ctx *c = arg;
    size_t i = atomic_fetch_add(&c->next, 1);

    if (i >= c->n)
        return 0;
    t->url_id = i;
    snprintf(t->url, sizeof(t->url), "%s", c->urls[i].url);
    snprintf(t->regex, sizeof(t->regex), "%s", c->urls[i].regex ? c->urls[i].regex : "");
    return 1;
}

static void run_sink(void *arg, const struct check_result *r)
{
    struct run_ctx *c = arg;
    int64_t now = etest_now_ms();

    pthread_mutex_lock(&c->mu);
    if (r->url_id < c->n) {
        c->res->result[r->url_id] = *r;
        c->res->seen[r->url_id]++;
        c->res->done_ms[r->url_id] = now;
    }
    c->got++;
    if (c->stop_after > 0 && c->got >= c->stop_after)
        c->stop = 1;
    pthread_mutex_unlock(&c->mu);
}

int etest_run(struct checker_opts *o, const struct etest_url *urls, size_t n, size_t stop_after,
              struct etest_results *res)
{
    struct run_ctx *c = calloc(1, sizeof(*c));
    char err[URLMON_ERRLEN] = "";
    int64_t t0;
    int rc;

    assert_non_null(c);
    memset(res, 0, sizeof(*res));
    res->n = n;
    res->result = calloc(n ? n : 1, sizeof(*res->result));
    res->seen = calloc(n ? n : 1, sizeof(*res->seen));
    res->done_ms = calloc(n ? n : 1, sizeof(*res->done_ms));
    assert_true(res->result && res->seen && res->done_ms);
    c->urls = urls;
    c->n = n;
    c->stop_after = stop_after;
    c->res = res;
    pthread_mutex_init(&c->mu, NULL);
    o->source = run_source;
    o->source_arg = c;
    o->sink = run_sink;
    o->sink_arg = c;
    o->stop = &c->stop;
    t0 = etest_now_ms();
    rc = checker_run(o, &res->stats, err, sizeof(err));
    res->wall_ms = etest_now_ms() - t0;
    if (rc != 0)
        fprintf(stderr, "checker_run: %s\n", err);
    pthread_mutex_destroy(&c->mu);
    free(c);
    o->stop = NULL;
    return rc;
}

void etest_results_free(struct etest_results *res)
{
    free(res->result);
    free(res->seen);
    free(res->done_ms);
    memset(res, 0, sizeof(*res));
}
