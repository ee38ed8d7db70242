/* compute/writer.c: see writer.h. */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batchwrite.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "spool.h"
#include "sqlbuf.h"
#include "stats.h"

struct writer {
    const struct config *cfg;
    struct alert_rules rules;
    uint64_t run_id;
    char install_id[SPOOL_ID_LEN + 1]; /* stamped on spool files */
    atomic_int *stop;
    pthread_t thread;
    bool started;
    /* the queue, under lock */
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    struct check_result *q;
    size_t qcap, qhead, qlen;
    bool closing;
    uint64_t received;
    /* writer thread only */
    MYSQL *conn;
    struct sqlbuf *buf;
    struct check_result *batch;
    size_t batch_cap;
    uint32_t next_batch;
    bool db_down;
    int64_t next_probe; /* clock_mono_ms */
    bool spool_pending;
    struct stats_hist *hist;
    struct writer_totals tot;
};

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void writer_sink(void *arg, const struct check_result *r)
{
    struct writer *w = arg;

    if (log_enabled(LOG_LEVEL_DEBUG)) {
        log_context_url(r->url_id);
        log_msg(LOG_LEVEL_DEBUG, "check %s: status %d in %u ms%s%s",
                r->success ? "ok" : check_error_name(r->error), r->http_status, r->response_ms,
                r->message[0] ? ": " : "", r->message);
        log_context_url(0);
    }
    pthread_mutex_lock(&w->lock);
    while (w->qlen == w->qcap)
        pthread_cond_wait(&w->not_full, &w->lock);
    w->q[(w->qhead + w->qlen) % w->qcap] = *r;
    w->qlen++;
    w->received++;
    /* the writer waits for a full batch or its one-second deadline: waking it for
     * every result only to wait again costs a context switch per check */
    if (w->qlen >= w->batch_cap)
        pthread_cond_signal(&w->not_empty);
    pthread_mutex_unlock(&w->lock);
}

uint64_t writer_received(struct writer *w)
{
    uint64_t n;
    pthread_mutex_lock(&w->lock);
    n = w->received;
    pthread_mutex_unlock(&w->lock);
    return n;
}

/* Up to batch_cap results: waits for a full batch, at most a second, or the close. */
static size_t take_batch(struct writer *w, bool *closed)
{
    struct timespec deadline;
    size_t n, i;

    clock_deadline_ts(&deadline, 1000);
    pthread_mutex_lock(&w->lock);
    while (w->qlen < w->batch_cap && !w->closing)
        if (pthread_cond_timedwait(&w->not_empty, &w->lock, &deadline) == ETIMEDOUT)
            break;
    n = w->qlen < w->batch_cap ? w->qlen : w->batch_cap;
    for (i = 0; i < n; i++)
        w->batch[i] = w->q[(w->qhead + i) % w->qcap];
    w->qhead = (w->qhead + n) % w->qcap;
    w->qlen -= n;
    *closed = w->closing && w->qlen == 0;
    pthread_cond_broadcast(&w->not_full);
    pthread_mutex_unlock(&w->lock);
    return n;
}

static void account(struct writer *w, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const struct check_result *r = &w->batch[i];
        if (r->success)
            w->tot.successes++;
        else
            w->tot.failures++;
        stats_hist_add(w->hist, r->response_ms == CHECK_MS_UNKNOWN ? 0 : r->response_ms);
    }
    w->tot.results += n;
}

static void replay(struct writer *w)
{
    struct replay_stats st;
    char err[URLMON_ERRLEN];

    if (batchwrite_replay(w->conn, w->buf, &w->rules, w->cfg->spool_dir, &st, err, sizeof(err)) !=
        0) {
        log_warn("spool replay stopped: %s", err);
        db_close(&w->conn);
    } else
        w->spool_pending = false; /* damaged or refused files stay, but need a human */
    w->tot.replayed += st.rows;
}

/* A connection, or false while MySQL is known to be away and the next probe is due
 * later. A fresh connection first replays the spool. */
static bool ensure_conn(struct writer *w)
{
    char err[URLMON_ERRLEN];

    if (w->conn)
        return true;
    if (w->db_down && clock_mono_ms() < w->next_probe)
        return false;
    if (!(w->conn = db_connect(w->cfg, err, sizeof(err)))) {
        if (!w->db_down)
            log_warn("writer: %s", err);
        w->db_down = true;
        w->next_probe = clock_mono_ms() + WRITER_PROBE_SECONDS * 1000;
        return false;
    }
    if (w->db_down)
        log_info("writer: MySQL is back");
    w->db_down = false;
    if (w->spool_pending)
        replay(w);
    return w->conn != NULL;
}

/* Commits the batch with retries; true when it is in MySQL. */
static bool commit_retry(struct writer *w, uint32_t batch_no, size_t n, bool *refused)
{
    int64_t deadline = clock_mono_ms() + WRITER_RETRY_SECONDS * 1000;
    unsigned backoff = 200;
    char err[URLMON_ERRLEN] = "";
    int res;

    *refused = false;
    while (ensure_conn(w)) {
        res = batchwrite_commit(w->conn, w->buf, &w->rules, w->run_id, batch_no, w->batch, n, err,
                                sizeof(err));
        if (res == BATCHWRITE_OK || res == BATCHWRITE_DUPLICATE) {
            if (res == BATCHWRITE_OK)
                w->tot.written += n;
            return true;
        }
        if (res == BATCHWRITE_FAILED) {
            log_error("batch %u refused by MySQL: %s", batch_no, err);
            *refused = true;
            return false;
        }
        log_warn("batch %u: %s; retrying", batch_no, err);
        if (db_error_is_connection(w->conn) || mysql_errno(w->conn) >= 2000)
            db_close(&w->conn);
        if (clock_mono_ms() >= deadline) {
            w->db_down = true;
            w->next_probe = clock_mono_ms() + WRITER_PROBE_SECONDS * 1000;
            db_close(&w->conn);
            return false;
        }
        sleep_ms(backoff);
        backoff = backoff < 2000 ? backoff * 2 : 2000;
    }
    return false;
}

/* Stores the batch in MySQL or the spool. When neither accepts it (MySQL away and the
 * spool's disk full or failing) the writer keeps the batch and tries both again every
 * second: meanwhile its bounded queue fills and writer_sink blocks the check loops, so
 * checking pauses instead of throwing results away. Only a stop request (the results
 * cannot be kept past the process) or a batch MySQL refuses that cannot be spooled
 * loses results. */
static void write_batch(struct writer *w, size_t n)
{
    uint32_t batch_no = w->next_batch++;
    char err[URLMON_ERRLEN];
    bool refused, paused = false;

    w->tot.batches++;
    for (;;) {
        if (commit_retry(w, batch_no, n, &refused))
            goto stored;
        if (spool_write(w->cfg->spool_dir, w->install_id, w->run_id, batch_no, w->batch, n, err,
                        sizeof(err)) == 0)
            break;
        if (refused || (w->stop && *w->stop)) {
            log_error("batch %u: %zu results lost: %s", batch_no, n, err);
            w->tot.lost += n;
            return;
        }
        if (!paused)
            log_error("batch %u: neither MySQL nor the spool takes it (%s): checking paused "
                      "until one does",
                      batch_no, err);
        paused = true;
        w->tot.pauses++;
        w->next_probe = 0; /* try MySQL again at once */
        sleep_ms(1000);
    }
    if (paused)
        log_info("batch %u spooled: checking resumes", batch_no);
    w->tot.spooled += n;
    if (refused)
        return; /* kept on disk for a human; replaying now would fail again */
    log_warn("batch %u (%zu results) spooled to %s: MySQL unavailable", batch_no, n,
             w->cfg->spool_dir);
    w->spool_pending = true;
    return;
stored:
    if (paused)
        log_info("batch %u written: checking resumes", batch_no);
}

/* At the end: give MySQL WRITER_FINISH_SECONDS to take what was spooled (one try when
 * stopping: the spool is safe on disk and the next start replays it). */
static void final_replay(struct writer *w)
{
    int64_t deadline = clock_mono_ms() + WRITER_FINISH_SECONDS * 1000;

    for (;;) {
        w->next_probe = 0; /* probe now */
        if (ensure_conn(w) && w->spool_pending)
            replay(w);
        if (!w->spool_pending || clock_mono_ms() >= deadline || (w->stop && *w->stop))
            break;
        sleep_ms(1000);
    }
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    bool closed = false;
    size_t n;

    log_context_run(w->run_id, NULL, "writer");
    while (!closed) {
        n = take_batch(w, &closed);
        if (n == 0)
            continue;
        account(w, n);
        write_batch(w, n);
    }
    if (w->spool_pending)
        final_replay(w);
    db_close(&w->conn);
    log_context_clear();
    return NULL;
}

int writer_start(const struct config *cfg, uint64_t run_id, atomic_int *stop, struct writer **out,
                 char *err, size_t errlen)
{
    struct writer *w = calloc(1, sizeof(*w));
    int rc = -1;

    *out = NULL;
    if (!w)
        goto oom;
    w->cfg = cfg;
    alertwrite_rules_from_config(&w->rules, cfg);
    w->run_id = run_id;
    w->stop = stop;
    w->batch_cap = cfg->batch_size;
    w->qcap = 2 * (size_t)cfg->batch_size;
    w->qcap = w->qcap < 4096 ? 4096 : w->qcap > 65536 ? 65536 : w->qcap;
    pthread_mutex_init(&w->lock, NULL);
    if (clock_cond_init(&w->not_empty) != 0 || clock_cond_init(&w->not_full) != 0 ||
        !(w->q = calloc(w->qcap, sizeof(*w->q))) ||
        !(w->batch = calloc(w->batch_cap, sizeof(*w->batch))) || sqlbuf_new(&w->buf) != 0 ||
        stats_hist_new(&w->hist) != 0)
        goto oom;
    /* Connect now so a dead database is noticed before checking starts. */
    if (!(w->conn = db_connect(cfg, err, errlen)) ||
        batchwrite_install_id(w->conn, w->install_id, sizeof(w->install_id), err, errlen) != 0)
        goto out;
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        snprintf(err, errlen, "cannot start the writer thread");
        goto out;
    }
    pthread_setname_np(w->thread, "writer");
    w->started = true;
    *out = w;
    w = NULL;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    writer_free(&w);
    return rc;
}

int writer_finish(struct writer *w, struct writer_totals *t)
{
    int rc;

    pthread_mutex_lock(&w->lock);
    w->closing = true;
    pthread_cond_broadcast(&w->not_empty);
    pthread_mutex_unlock(&w->lock);
    if (w->started) {
        pthread_join(w->thread, NULL);
        w->started = false;
    }
    w->tot.spool_pending = w->tot.spooled > w->tot.replayed ? w->tot.spooled - w->tot.replayed : 0;
    if (stats_hist_count(w->hist) > 0 && stats_hist_percentile(w->hist, 50, &w->tot.p50) == 0 &&
        stats_hist_percentile(w->hist, 95, &w->tot.p95) == 0 &&
        stats_hist_percentile(w->hist, 99, &w->tot.p99) == 0)
        w->tot.have_percentiles = true;
    *t = w->tot;
    rc = w->tot.lost > 0 ? -1 : w->spool_pending ? 1 : 0;
    return rc;
}

void writer_free(struct writer **wp)
{
    struct writer *w;
    struct writer_totals t;

    if (!wp || !*wp)
        return;
    w = *wp;
    if (w->started && writer_finish(w, &t) < 0)
        log_error("writer: %llu results lost", (unsigned long long)t.lost);
    db_close(&w->conn);
    sqlbuf_free(&w->buf);
    stats_hist_free(&w->hist);
    free(w->q);
    free(w->batch);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->not_empty);
    pthread_cond_destroy(&w->not_full);
    free(w);
    *wp = NULL;
}
