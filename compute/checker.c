/* compute/checker.c: the check engine's entry points: threads, shares, start/stop.
 * See checker.h for the contract, loop.h for one loop, transfer.h for one check. */
#include "checker.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

#define FD_RESERVE 256  /* descriptors kept for the rest of the process (MySQL, logs, ...) */
#define FDS_PER_CHECK 2 /* happy eyeballs may hold two sockets for one check */

void checker_opts_from_config(struct checker_opts *o, const struct config *cfg)
{
    memset(o, 0, sizeof(*o));
    o->threads = cfg->check_threads;
    o->concurrency = cfg->concurrency;
    o->timeout_ms = cfg->timeout * 1000u;
    o->connect_timeout_ms = cfg->connect_timeout * 1000u;
    o->max_redirects = cfg->max_redirects;
    o->max_body_bytes = cfg->max_body_bytes;
    o->allow_private_targets = cfg->allow_private_targets;
    o->ca_bundle = cfg->ca_bundle;
    o->ca_path = cfg->ca_path;
}

int checker_global_init(void)
{
    const curl_version_info_data *v;
    int rc = -1;

    /* a peer closing mid-write must be an error of that check, not the process' end */
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        goto out;
    v = curl_version_info(CURLVERSION_NOW);
    if (!v || v->version_num < 0x075500) { /* CURLOPT_PROTOCOLS_STR: 7.85.0 */
        curl_global_cleanup();
        goto out;
    }
    rc = 0;
out:
    return rc;
}

void checker_global_cleanup(void)
{
    curl_global_cleanup();
}

/* Raises RLIMIT_NOFILE to the hard limit; returns the soft limit now in force. */
static rlim_t raise_nofile(void)
{
    struct rlimit rl;
    rlim_t now = 1024;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        goto out;
    now = rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            now = rl.rlim_cur;
    }
out:
    return now;
}

/* Start gate: threads wait until every loop thread exists (go = 1) or one could not be
 * created (go = -1, then no check is started). */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int go;
};

struct worker {
    struct loop *lp;
    struct gate *gate;
    pthread_t tid;
    bool started;
    int rc;
    char err[URLMON_ERRLEN];
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int go;

    pthread_mutex_lock(&w->gate->mu);
    while (w->gate->go == 0)
        pthread_cond_wait(&w->gate->cv, &w->gate->mu);
    go = w->gate->go;
    pthread_mutex_unlock(&w->gate->mu);
    if (go > 0)
        w->rc = loop_run(w->lp, w->err, sizeof(w->err));
    return NULL;
}

static void gate_open(struct gate *g, int go)
{
    pthread_mutex_lock(&g->mu);
    g->go = go;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static unsigned plan_threads(const struct checker_opts *o, unsigned concurrency)
{
    unsigned n = o->threads;

    if (n == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (unsigned)cores : 1;
    }
    if (n > 64)
        n = 64;
    if (n > concurrency)
        n = concurrency;
    return n;
}

static unsigned plan_concurrency(const struct checker_opts *o)
{
    rlim_t nofile = raise_nofile();
    unsigned c = o->concurrency;
    rlim_t cap = nofile > FD_RESERVE + FDS_PER_CHECK ? (nofile - FD_RESERVE) / FDS_PER_CHECK : 1;

    if ((rlim_t)c > cap) {
        log_warn("CONCURRENCY %u needs more file descriptors than RLIMIT_NOFILE (%llu) allows; "
                 "running %llu checks at once",
                 c, (unsigned long long)nofile, (unsigned long long)cap);
        c = (unsigned)cap;
    }
    return c;
}

static int check_opts(const struct checker_opts *o, char *err, size_t errlen)
{
    int rc = -1;

    if (!o->source || !o->sink) {
        snprintf(err, errlen, "checker_run: source and sink are required");
        goto out;
    }
    if (o->concurrency == 0 || o->timeout_ms == 0 || o->max_body_bytes == 0) {
        snprintf(err, errlen, "checker_run: concurrency, timeout and max body must be > 0");
        goto out;
    }
    rc = 0;
out:
    return rc;
}

int checker_run(const struct checker_opts *o, struct checker_stats *stats, char *err, size_t errlen)
{
    struct gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    struct worker *w = NULL;
    unsigned conc, nthreads = 0, i;
    char name[16];
    int rc = -1;

    memset(stats, 0, sizeof(*stats));
    if (check_opts(o, err, errlen) != 0)
        goto out;
    conc = plan_concurrency(o);
    nthreads = plan_threads(o, conc);
    if (!(w = calloc(nthreads, sizeof(*w)))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (i = 0; i < nthreads; i++) {
        unsigned share = conc / nthreads + (i < conc % nthreads ? 1u : 0u);
        char why[URLMON_ERRLEN] = "";
        w[i].gate = &gate;
        if (loop_new(o, share, &w[i].lp, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "check loop %u: %s", i, why);
            goto out;
        }
    }
    for (i = 0; i < nthreads; i++) {
        if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
            snprintf(err, errlen, "cannot start check loop thread %u", i);
            goto out;
        }
        snprintf(name, sizeof(name), "loop%u", i);
        pthread_setname_np(w[i].tid, name);
        w[i].started = true;
    }
    log_debug("checking with %u loops, %u in flight, timeout %u ms", nthreads, conc, o->timeout_ms);
    gate_open(&gate, 1);
    rc = 0;
out:
    if (rc != 0)
        gate_open(&gate, -1);
    for (i = 0; w && i < nthreads; i++) {
        if (w[i].started)
            pthread_join(w[i].tid, NULL);
        if (w[i].started && rc == 0 && w[i].rc != 0) {
            snprintf(err, errlen, "check loop %u: %s", i, w[i].err);
            rc = -1;
        }
        if (w[i].lp)
            loop_stats_add(w[i].lp, stats);
        loop_free(&w[i].lp);
    }
    free(w);
    return rc;
}
