/* compute/run.c: see run.h. */
#include "run.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batchwrite.h"
#include "checker.h"
#include "clock.h"
#include "db.h"
#include "delivery.h"
#include "drain.h"
#include "log.h"
#include "rconn.h"
#include "retention.h"
#include "runlock.h"
#include "runrec.h"
#include "source.h"
#include "spool.h"
#include "sqlbuf.h"
#include "watch.h"
#include "writer.h"

struct run {
    const struct run_params *p;
    char shard_key[32];
    char owner[RUNLOCK_TOKEN_LEN + 1];
    MYSQL *conn;
    redisContext *redis;
    uint64_t run_id, total, delivered;
    struct drain_stats drain;
    bool drained, engine_failed, source_failed, lease_lost, exhausted;
    int writer_rc;
    struct writer_totals tot;
    atomic_int run_stop;
    double t0, secs;
    long cache_deleted;
    struct retention_stats ret;
    bool retained;
    struct delivery *delivery;
    struct delivery_stats dst;
};

static void sleep_s(unsigned s, atomic_int *stop)
{
    unsigned i;
    for (i = 0; i < s * 10 && !(stop && *stop); i++) {
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
}

MYSQL *run_connect(const struct config *cfg, atomic_int *stop, char *err, size_t errlen)
{
    MYSQL *conn = NULL;
    unsigned i, backoff = 1;

    for (i = 0; i < RUN_CONNECT_ATTEMPTS && !(stop && *stop); i++) {
        if ((conn = db_connect(cfg, err, errlen)))
            break;
        if (i + 1 < RUN_CONNECT_ATTEMPTS) {
            log_warn("%s; retrying in %u s", err, backoff);
            sleep_s(backoff, stop);
            backoff *= 2;
        }
    }
    return conn;
}

/* Spool files of earlier runs (or processes) go in before anything else. */
static void replay_spool(struct run *r)
{
    struct sqlbuf *buf = NULL;
    struct replay_stats st;
    struct alert_rules rules;
    char err[URLMON_ERRLEN];

    if (sqlbuf_new(&buf) != 0)
        return;
    alertwrite_rules_from_config(&rules, r->p->cfg);
    if (batchwrite_replay(r->conn, buf, &rules, r->p->cfg->spool_dir, &st, err, sizeof(err)) != 0)
        log_warn("spool replay: %s", err);
    sqlbuf_free(&buf);
}

/* Connects, takes the lease, records the run. 0 = go on; else *out says why not. */
static int start(struct run *r, enum run_outcome *out)
{
    const struct run_params *p = r->p;
    enum runlock_state st;
    char err[URLMON_ERRLEN];
    uint64_t stale = 0;

    *out = RUN_FAILED;
    if (!(r->conn = run_connect(p->cfg, p->stop, err, sizeof(err)))) {
        log_error("run not started: %s", err);
        return -1;
    }
    replay_spool(r);
    if (runlock_token(r->owner, sizeof(r->owner)) != 0 ||
        runlock_acquire(r->conn, r->shard_key, r->owner, p->slot, p->interval_s, &st, err,
                        sizeof(err)) != 0) {
        log_error("run not started: %s", err[0] ? err : "no random token");
        return -1;
    }
    if (st != RUNLOCK_ACQUIRED) {
        log_info("shard %s, slot %lld: %s; nothing to do", r->shard_key, (long long)p->slot,
                 st == RUNLOCK_BUSY ? "run already in progress" : "slot already done");
        *out = RUN_SKIPPED;
        return -1;
    }
    if (runrec_fail_stale(r->conn, p->shard_index, p->shard_count, &stale, err, sizeof(err)) != 0 ||
        runrec_begin(r->conn, p->shard_index, p->shard_count, p->slot, p->cfg->instance, &r->run_id,
                     err, sizeof(err)) != 0) {
        log_error("run not started: %s", err);
        if (runlock_release(r->conn, r->shard_key, r->owner, -1, p->interval_s, err, sizeof(err)) !=
            0)
            log_warn("%s", err);
        return -1;
    }
    if (stale > 0)
        log_warn("%llu earlier run(s) of shard %s never finished: marked failed",
                 (unsigned long long)stale, r->shard_key);
    log_context_run(r->run_id, r->shard_key, NULL);
    return 0;
}

/* Alert events go out while the run checks; a firing alert lasts three intervals in
 * Alertmanager unless the next run re-posts it. */
static void delivery_step(struct run *r)
{
    char err[URLMON_ERRLEN];

    if (r->p->no_delivery)
        return;
    if (delivery_start(r->p->cfg, 3 * r->p->interval_s, &r->delivery, err, sizeof(err)) != 0)
        log_error("alerts not delivered in this run (they wait in the outbox): %s", err);
}

redisContext *run_redis_connect(const struct config *cfg, char *err, size_t errlen)
{
    redisContext *c = rconn_connect(cfg, 2000, err, errlen);
    char policy[64];

    if (!c)
        return NULL;
    /* read at each (re)connection */
    switch (rconn_policy_read(c, policy, sizeof(policy))) {
    case RCONN_POLICY_EVICTS:
        log_error("Redis maxmemory-policy is %s: when memory is full Redis evicts queued URLs "
                  "(%s); set maxmemory-policy noeviction",
                  policy, RKEY_QUEUE);
        break;
    case RCONN_POLICY_UNKNOWN:
        log_warn("Redis maxmemory-policy cannot be read: make sure it is noeviction or "
                 "volatile-*, or queued URLs may be evicted");
        break;
    case RCONN_POLICY_SAFE:
        break;
    }
    return c;
}

static void drain_step(struct run *r)
{
    char err[URLMON_ERRLEN];

    if (!(r->redis = run_redis_connect(r->p->cfg, err, sizeof(err)))) {
        log_warn("queue not drained: %s", err);
        return;
    }
    if (drain_queue(r->redis, r->conn, r->p->stop, &r->drain, err, sizeof(err)) != 0) {
        log_warn("queue drain stopped: %s", err);
        redisFree(r->redis); /* the context may be in an error state */
        r->redis = NULL;
        return;
    }
    r->drained = true;
}

/* Source, writer and watch around checker_run. */
static void check_step(struct run *r)
{
    const struct run_params *p = r->p;
    struct checker_opts o;
    struct checker_stats cs;
    struct source *src = NULL;
    struct writer *w = NULL;
    struct watch *wt = NULL;
    struct watch_params wp;
    struct source_slot slot = {p->slot * (int64_t)p->interval_s, p->interval_s,
                               p->cfg->max_interval};
    char err[URLMON_ERRLEN];

    r->writer_rc = -1;
    r->engine_failed = true;
    if (runrec_count_urls(r->conn, p->shard_index, p->shard_count, &slot, &r->total, err,
                          sizeof(err)) != 0 ||
        writer_start(p->cfg, r->run_id, p->stop, &w, err, sizeof(err)) != 0 ||
        source_start(p->cfg, p->shard_index, p->shard_count, &slot, &r->run_stop, &src, err,
                     sizeof(err)) != 0) {
        log_error("cannot start checking: %s", err);
        goto out;
    }
    wp = (struct watch_params){p->cfg,       r->run_id, r->shard_key, r->owner, p->stop,
                               &r->run_stop, w,         r->total};
    if (watch_start(&wp, &wt, err, sizeof(err)) != 0) {
        log_error("cannot start checking: %s", err);
        goto out;
    }
    log_info("checking %llu URLs (those due in the slot)", (unsigned long long)r->total);
    checker_opts_from_config(&o, p->cfg);
    o.source = source_next;
    o.source_arg = src;
    o.sink = writer_sink;
    o.sink_arg = w;
    o.stop = &r->run_stop;
    if (*p->stop)
        r->run_stop = 1;
    memset(&cs, 0, sizeof(cs));
    if (checker_run(&o, &cs, err, sizeof(err)) != 0)
        log_error("check engine: %s", err);
    else
        r->engine_failed = false;
    r->lease_lost = watch_stop(&wt);
    r->delivered = source_delivered(src);
    r->exhausted = source_exhausted(src);
    if (source_status(src, err, sizeof(err)) != 0) {
        log_error("URL source failed: %s", err);
        r->source_failed = true;
    }
out:
    watch_stop(&wt);
    source_free(&src);
    if (w) {
        r->writer_rc = writer_finish(w, &r->tot);
        writer_free(&w);
    }
}

static enum run_outcome decide(const struct run *r)
{
    if (r->engine_failed || r->source_failed || r->lease_lost || r->writer_rc < 0)
        return RUN_FAILED;
    if (!r->exhausted)
        return RUN_INTERRUPTED; /* stopped by a signal before the end of the list */
    return RUN_DONE;
}

const char *run_outcome_name(enum run_outcome o)
{
    switch (o) {
    case RUN_DONE:
        return "done";
    case RUN_SKIPPED:
        return "skipped";
    case RUN_INTERRUPTED:
        return "interrupted";
    case RUN_FAILED:
        break;
    }
    return "failed";
}

/* The runs row and the lease, retried while MySQL is away. */
static int finish_step(struct run *r, enum run_outcome out)
{
    struct runrec_end e = {run_outcome_name(out),
                           r->total,
                           r->tot.have_percentiles,
                           r->tot.p50,
                           r->tot.p95,
                           r->tot.p99};
    /* a run that lost results never marks its slot done: its URLs are checked again */
    int64_t slot_done = r->tot.lost == 0 && (out == RUN_DONE || r->delivered > 0) ? r->p->slot : -1;
    /* Stopping: one more try only; the lease expires by itself. */
    int64_t deadline = clock_mono_ms() + (*r->p->stop ? 2 : RUN_FINISH_SECONDS) * 1000;
    char err[URLMON_ERRLEN];

    for (;;) {
        if (r->conn && runrec_finish(r->conn, r->run_id, &e, err, sizeof(err)) == 0 &&
            runlock_release(r->conn, r->shard_key, r->owner, slot_done, r->p->interval_s, err,
                            sizeof(err)) == 0)
            return 0;
        if (!r->conn)
            snprintf(err, sizeof(err), "no MySQL connection");
        if (clock_mono_ms() >= deadline)
            break;
        log_warn("recording the end of the run: %s; retrying", err);
        db_close(&r->conn);
        sleep_s(2, NULL);
        r->conn = db_connect(r->p->cfg, err, sizeof(err));
    }
    log_error("the end of the run could not be recorded: %s", err);
    return -1;
}

static void after_step(struct run *r)
{
    char err[URLMON_ERRLEN];
    struct retention_days keep;

    r->cache_deleted = -1;
    if (!r->redis && !(r->redis = rconn_connect(r->p->cfg, 2000, err, sizeof(err))))
        log_warn("API cache not invalidated: %s", err);
    else if ((r->cache_deleted =
                  rconn_delete_matching(r->redis, RKEY_CACHE_PREFIX "*", err, sizeof(err))) < 0)
        log_warn("API cache not invalidated: %s", err);
    if (r->p->shard_index != 0 || !r->conn || *r->p->stop)
        return; /* one shard cleans up for all */
    retention_days_of(r->p->cfg, &keep);
    if (retention_run(r->conn, clock_wall_ms() / 1000, &keep, r->p->stop, &r->ret, err,
                      sizeof(err)) != 0)
        log_warn("retention: %s", err);
    else
        r->retained = true;
}

/* Results still in the spool after the run are results MySQL does not have. A run that
 * leaves them behind fails (exit status 1): on a scheduler with a throwaway disk they
 * would otherwise vanish with the task while it reports success. Damaged or foreign
 * files count too: an operator has to look at them. */
static bool spool_left(const struct run *r)
{
    char **paths = NULL;
    size_t n = 0;
    char err[URLMON_ERRLEN];
    bool left;

    if (spool_list(r->p->cfg->spool_dir, &paths, &n, err, sizeof(err)) != 0) {
        log_error("spool: %s", err);
        return true;
    }
    left = n > 0;
    if (left)
        log_error("spool: %zu batch file(s) in %s could not be replayed into MySQL (first: %s); "
                  "failing the run so that it is seen",
                  n, r->p->cfg->spool_dir, paths[0]);
    spool_list_free(&paths, n);
    return left;
}

static void summary(const struct run *r, enum run_outcome out)
{
    char pct[64] = "n/a";
    double rate = r->secs > 0 ? (double)r->tot.results / r->secs : 0.0;

    if (r->tot.have_percentiles)
        snprintf(pct, sizeof(pct), "%u/%u/%u ms", r->tot.p50, r->tot.p95, r->tot.p99);
    log_info("run %llu %s: slot %lld, %llu/%llu URLs checked (%llu ok, %llu failed), "
             "p50/p95/p99 %s, %.1f s (%.0f checks/s), %llu written, %llu spooled, %llu lost, "
             "queue %llu stored %llu dead, %ld cache keys deleted, retention %llu checks %llu "
             "rollups, alert events %llu sent %llu failed %llu to retry",
             (unsigned long long)r->run_id, run_outcome_name(out), (long long)r->p->slot,
             (unsigned long long)r->tot.results, (unsigned long long)r->total,
             (unsigned long long)r->tot.successes, (unsigned long long)r->tot.failures, pct,
             r->secs, rate, (unsigned long long)(r->tot.written + r->tot.replayed),
             (unsigned long long)r->tot.spooled, (unsigned long long)r->tot.lost,
             (unsigned long long)r->drain.stored, (unsigned long long)r->drain.dead,
             r->cache_deleted, (unsigned long long)r->ret.checks,
             (unsigned long long)r->ret.rollups, (unsigned long long)r->dst.sent,
             (unsigned long long)r->dst.failed, (unsigned long long)r->dst.retried);
}

enum run_outcome run_once(const struct run_params *p)
{
    struct run *r = calloc(1, sizeof(*r));
    enum run_outcome out = RUN_FAILED;

    if (!r) {
        log_error("out of memory");
        return RUN_FAILED;
    }
    r->p = p;
    r->t0 = clock_mono_s();
    snprintf(r->shard_key, sizeof(r->shard_key), "%u/%u", p->shard_index, p->shard_count);
    if (start(r, &out) != 0)
        goto done;
    delivery_step(r);
    drain_step(r);
    check_step(r);
    r->secs = clock_mono_s() - r->t0;
    out = decide(r);
    if (finish_step(r, out) != 0)
        out = RUN_FAILED;
    else if (r->writer_rc > 0)
        replay_spool(r); /* MySQL came back after the writer gave up waiting */
    after_step(r);
    delivery_stop(&r->delivery, *p->stop ? 2 : DELIVERY_FINISH_SECONDS, &r->dst);
    summary(r, decide(r));
done:
    delivery_stop(&r->delivery, 0, NULL);
    if (out != RUN_FAILED && spool_left(r))
        out = RUN_FAILED;
    if (r->redis)
        redisFree(r->redis);
    db_close(&r->conn);
    log_context_clear();
    free(r);
    return out;
}
