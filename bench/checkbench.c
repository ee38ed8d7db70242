/* bench/checkbench.c: drives the check engine (compute/checker.h) alone.
 *
 * Reads a file of URLs (one per line), hands them out from an array (source), counts
 * the results (sink), and prints one JSON line: checks/s, CPU and peak RSS of this
 * process, and the results by error class. No MySQL, no writer, no URL rules: only
 * what checker_run costs.
 *
 *   bench_checkbench --urls FILE [--concurrency N] [--threads N] [--timeout-ms MS]
 *                    [--connect-timeout-ms MS] [--max-body-bytes N] [--label TEXT]
 *
 * Checks target loopback, so the SSRF guard is lifted (allow_private_targets). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "clock.h"
#include "checker.h"

#define ERROR_CLASSES (CHECK_ERR_OTHER + 1)

struct urls {
    char *buf;    /* the whole file, lines NUL-terminated in place */
    char **lines; /* pointers into buf */
    size_t n;
    atomic_size_t next; /* the source's cursor */
};

struct tally {
    atomic_uint_fast64_t results, succeeded, failed;
    atomic_uint_fast64_t by_error[ERROR_CLASSES];
    atomic_uint_fast64_t status_2xx, status_other;
    atomic_uint_fast64_t response_ms_sum;
};

static int source(void *arg, struct check_target *t)
{
    struct urls *u = arg;
    size_t i = atomic_fetch_add_explicit(&u->next, 1, memory_order_relaxed);
    size_t len;

    if (i >= u->n)
        return 0;
    len = strlen(u->lines[i]);
    if (len >= sizeof(t->url))
        len = sizeof(t->url) - 1;
    memcpy(t->url, u->lines[i], len);
    t->url[len] = '\0';
    t->regex[0] = '\0';
    t->url_id = (uint64_t)i + 1;
    return 1;
}

static void sink(void *arg, const struct check_result *r)
{
    struct tally *t = arg;
    unsigned e = (unsigned)r->error < ERROR_CLASSES ? (unsigned)r->error : CHECK_ERR_OTHER;

    atomic_fetch_add_explicit(&t->results, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(r->success ? &t->succeeded : &t->failed, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->by_error[e], 1, memory_order_relaxed);
    if (r->http_status >= 200 && r->http_status < 300)
        atomic_fetch_add_explicit(&t->status_2xx, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&t->status_other, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->response_ms_sum, r->response_ms, memory_order_relaxed);
}

static int load_urls(const char *path, struct urls *u)
{
    int rc = -1;
    FILE *f = NULL;
    long size;
    size_t i, n = 0, cap = 0;
    char *p;

    if (!(f = fopen(path, "rb")) || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        goto out;
    if (!(u->buf = malloc((size_t)size + 1)))
        goto out;
    if (fread(u->buf, 1, (size_t)size, f) != (size_t)size)
        goto out;
    u->buf[size] = '\0';
    for (i = 0; i < (size_t)size; i++)
        if (u->buf[i] == '\n')
            cap++;
    if (!(u->lines = malloc((cap + 1) * sizeof(*u->lines))))
        goto out;
    for (p = u->buf; *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        if (*p && n <= cap)
            u->lines[n++] = p;
        if (!nl)
            break;
        p = nl + 1;
    }
    u->n = n;
    atomic_init(&u->next, 0);
    rc = 0;
out:
    if (f)
        fclose(f);
    return rc;
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* VmRSS of this process in KiB, 0 if unknown. */
static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

static int parse_uint(const char *opt, const char *val, unsigned long max, unsigned *out)
{
    char *end = NULL;
    unsigned long n;

    errno = 0;
    n = strtoul(val, &end, 10);
    if (errno || !*val || *end || n > max) {
        fprintf(stderr, "bench_checkbench: %s %s: want 0-%lu\n", opt, val, max);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

static void print_json(const char *label, const struct urls *u, const struct tally *t,
                       const struct checker_stats *st, double wall, double user, double sys,
                       long maxrss, long rss_before, const struct checker_opts *o)
{
    static const char *const names[ERROR_CLASSES] = {
        "ok",        "dns",     "connect", "tls", "timeout", "http_status", "regex_mismatch",
        "too_large", "blocked", "other",
    };
    uint64_t results = atomic_load(&t->results);
    unsigned e;

    printf("{\"tool\":\"engine\",\"label\":\"%s\",\"n\":%zu,\"concurrency\":%u,\"threads\":%u,"
           "\"wall_s\":%.4f,\"checks_per_s\":%.1f,\"user_s\":%.3f,\"sys_s\":%.3f,"
           "\"cpu_ms_per_check\":%.5f,\"max_rss_kb\":%ld,\"rss_before_kb\":%ld,"
           "\"results\":%llu,\"succeeded\":%llu,\"failed\":%llu,\"status_2xx\":%llu,"
           "\"started\":%llu,\"finished\":%llu,\"mean_response_ms\":%.2f,\"errors\":{",
           label, u->n, o->concurrency, o->threads, wall, wall > 0 ? (double)results / wall : 0.0,
           user, sys, results ? (user + sys) * 1000.0 / (double)results : 0.0, maxrss, rss_before,
           (unsigned long long)results, (unsigned long long)atomic_load(&t->succeeded),
           (unsigned long long)atomic_load(&t->failed),
           (unsigned long long)atomic_load(&t->status_2xx), (unsigned long long)st->started,
           (unsigned long long)st->finished,
           results ? (double)atomic_load(&t->response_ms_sum) / (double)results : 0.0);
    for (e = 0; e < ERROR_CLASSES; e++)
        printf("%s\"%s\":%llu", e ? "," : "", names[e],
               (unsigned long long)atomic_load(&t->by_error[e]));
    printf("}}\n");
}

int main(int argc, char **argv)
{
    static struct tally tally;
    struct urls urls;
    struct checker_opts o;
    struct checker_stats st;
    struct rusage ru0, ru1;
    const char *path = NULL, *label = "";
    char err[URLMON_ERRLEN] = "";
    double t0, t1;
    long rss_before;
    int i, rc = 1, inited = 0;

    memset(&urls, 0, sizeof(urls));
    memset(&o, 0, sizeof(o));
    memset(&st, 0, sizeof(st));
    o.threads = 0;
    o.concurrency = 300;
    o.timeout_ms = 10000;
    o.connect_timeout_ms = 5000;
    o.max_redirects = 5;
    o.max_body_bytes = 1048576;
    o.allow_private_targets = true;
    for (i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;

        if (!val) {
            fprintf(stderr, "bench_checkbench: %s needs a value\n", opt);
            goto out;
        }
        i++;
        if (strcmp(opt, "--urls") == 0)
            path = val;
        else if (strcmp(opt, "--label") == 0)
            label = val;
        else if (strcmp(opt, "--concurrency") == 0)
            bad = parse_uint(opt, val, 100000, &o.concurrency);
        else if (strcmp(opt, "--threads") == 0)
            bad = parse_uint(opt, val, 64, &o.threads);
        else if (strcmp(opt, "--timeout-ms") == 0)
            bad = parse_uint(opt, val, 3600000, &o.timeout_ms);
        else if (strcmp(opt, "--connect-timeout-ms") == 0)
            bad = parse_uint(opt, val, 3600000, &o.connect_timeout_ms);
        else if (strcmp(opt, "--max-body-bytes") == 0)
            bad = parse_uint(opt, val, 1073741824, &o.max_body_bytes);
        else {
            fprintf(stderr, "bench_checkbench: unknown option %s\n", opt);
            goto out;
        }
        if (bad)
            goto out;
    }
    if (!path || o.concurrency == 0) {
        fprintf(stderr, "usage: bench_checkbench --urls FILE [--concurrency N] [--threads N] "
                        "[--timeout-ms MS] [--connect-timeout-ms MS] [--max-body-bytes N] "
                        "[--label TEXT]\n");
        goto out;
    }
    if (load_urls(path, &urls) != 0) {
        fprintf(stderr, "bench_checkbench: cannot read %s: %s\n", path, strerror(errno));
        goto out;
    }
    if (checker_global_init() != 0) {
        fprintf(stderr, "bench_checkbench: checker_global_init failed\n");
        goto out;
    }
    inited = 1;
    o.source = source;
    o.source_arg = &urls;
    o.sink = sink;
    o.sink_arg = &tally;

    rss_before = rss_kb();
    getrusage(RUSAGE_SELF, &ru0);
    t0 = clock_mono_s();
    if (checker_run(&o, &st, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_checkbench: %s\n", err);
        goto out;
    }
    t1 = clock_mono_s();
    getrusage(RUSAGE_SELF, &ru1);
    print_json(label, &urls, &tally, &st, t1 - t0, tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime),
               tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime), ru1.ru_maxrss, rss_before, &o);
    rc = atomic_load(&tally.results) == urls.n ? 0 : 3;
out:
    if (inited)
        checker_global_cleanup();
    free(urls.lines);
    free(urls.buf);
    return rc;
}
