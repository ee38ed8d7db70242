/* compute/service.c: see service.h. */
#include "service.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agenda.h"
#include "batchwrite.h"
#include "checker.h"
#include "clock.h"
#include "db.h"
#include "delivery.h"
#include "drain.h"
#include "log.h"
#include "rconn.h"
#include "retention.h"
#include "run.h"
#include "runlock.h"
#include "runrec.h"
#include "sqlbuf.h"
#include "stats.h"
#include "urlset.h"
#include "writer.h"

/* One period's run: its runs row, the writer its results go to, their lateness. */
struct period {
    uint64_t id;
    int64_t minute; /* runs.slot: floor(start / 60 s) */
    struct writer *w;
    struct stats_hist *late;
    double t0;
};

struct service {
    const struct service_params *p;
    char shard_key[32];
    char owner[RUNLOCK_TOKEN_LEN + 1];
    MYSQL *conn; /* the service thread's: lease, runs, reload, drain */
    redisContext *redis;
    int64_t redis_retry; /* clock_mono_ms */
    struct agenda *ag;
    pthread_mutex_t ag_lock;
    pthread_mutex_t w_lock; /* cur */
    struct period *cur;
    /* the engine thread */
    pthread_t engine;
    bool engine_started;
    atomic_int engine_stop, engine_ended;
    int engine_rc;
    char engine_err[URLMON_ERRLEN];
    struct urlset_sig sig; /* of the list at the last full reload */
    int64_t next_full;     /* clock_mono_ms */
    /* retention (shard 0), in a thread of its own */
    pthread_t retention;
    bool retention_started;
    atomic_int retention_done;
    /* the lease */
    int64_t next_renew, last_renewed;
    /* for the last line */
    uint64_t checks, runs, lost;
    bool end_unrecorded; /* the last period's end: the spool holds what MySQL did not get */
    struct stats_hist *late_all;
};

static void nap_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the engine's callbacks (loop threads) ---- */

static int svc_source(void *arg, struct check_target *t)
{
    struct service *s = arg;
    int64_t sched;
    bool got;

    pthread_mutex_lock(&s->ag_lock);
    got = agenda_take(s->ag, clock_wall_ms(), t, &sched);
    pthread_mutex_unlock(&s->ag_lock);
    return got ? CHECKER_SOURCE_GOT : CHECKER_SOURCE_LATER;
}

static long svc_wait(void *arg)
{
    struct service *s = arg;
    int64_t next, now;

    pthread_mutex_lock(&s->ag_lock);
    next = agenda_next_due(s->ag);
    pthread_mutex_unlock(&s->ag_lock);
    now = clock_wall_ms();
    /* a wake-up costs more CPU than a check (a context switch out of epoll_wait): the
     * loops wake only on a grid of SERVICE_WAKE_MS on the clock, the same for every
     * loop, so the checks due within one step start together and the loops' wake-ups
     * coincide instead of interleaving (+1 ms: a timer may fire a little early) */
    if (next <= now)
        next = now + 1;
    if (next - now >= CHECKER_IDLE_POLL_MS)
        return CHECKER_IDLE_POLL_MS;
    return (long)((next + SERVICE_WAKE_MS - 1) / SERVICE_WAKE_MS * SERVICE_WAKE_MS + 1 - now);
}

static void svc_sink(void *arg, const struct check_result *r)
{
    struct service *s = arg;
    int64_t served, late;

    pthread_mutex_lock(&s->ag_lock);
    served = agenda_done(s->ag, r->url_id, r->checked_at_ms, clock_wall_ms());
    pthread_mutex_unlock(&s->ag_lock);
    late = served >= 0 && r->checked_at_ms > served ? r->checked_at_ms - served : 0;
    if (late > UINT32_MAX)
        late = UINT32_MAX;
    pthread_mutex_lock(&s->w_lock);
    stats_hist_add(s->cur->late, (uint32_t)late);
    stats_hist_add(s->late_all, (uint32_t)late);
    writer_sink(s->cur->w, r); /* may wait: backpressure from the writer */
    pthread_mutex_unlock(&s->w_lock);
}

static void *engine_main(void *arg)
{
    struct service *s = arg;
    struct checker_opts o;
    struct checker_stats cs;

    log_context_run(0, s->shard_key, "engine");
    checker_opts_from_config(&o, s->p->cfg);
    o.source = svc_source;
    o.source_wait = svc_wait;
    o.source_arg = s;
    o.sink = svc_sink;
    o.sink_arg = s;
    o.stop = &s->engine_stop;
    s->engine_rc = checker_run(&o, &cs, s->engine_err, sizeof(s->engine_err));
    s->engine_ended = 1;
    log_context_clear();
    return NULL;
}

/* ---- MySQL and Redis of the service thread ---- */

static bool have_conn(struct service *s)
{
    char err[URLMON_ERRLEN];

    if (!s->conn && !(s->conn = db_connect(s->p->cfg, err, sizeof(err))))
        log_debug("MySQL: %s", err);
    return s->conn != NULL;
}

/* A statement of the service thread failed: drop the connection when it is broken (a
 * prepared statement keeps its error to itself: ask the server). */
static void conn_failed(struct service *s)
{
    if (s->conn && (db_error_is_connection(s->conn) || mysql_ping(s->conn) != 0))
        db_close(&s->conn);
}

static void replay_spool(struct service *s)
{
    struct sqlbuf *buf = NULL;
    struct replay_stats st;
    struct alert_rules rules;
    char err[URLMON_ERRLEN];

    if (!have_conn(s) || sqlbuf_new(&buf) != 0)
        return;
    alertwrite_rules_from_config(&rules, s->p->cfg);
    if (batchwrite_replay(s->conn, buf, &rules, s->p->cfg->spool_dir, &st, err, sizeof(err)) != 0) {
        log_warn("spool replay: %s", err);
        conn_failed(s);
    }
    sqlbuf_free(&buf);
}

static redisContext *redis(struct service *s)
{
    char err[URLMON_ERRLEN];

    if (!s->redis && clock_mono_ms() >= s->redis_retry) {
        if (!(s->redis = run_redis_connect(s->p->cfg, err, sizeof(err)))) {
            log_warn("Redis: %s (queue and cache wait; retrying in 10 s)", err);
            s->redis_retry = clock_mono_ms() + 10000;
        }
    }
    return s->redis;
}

static void redis_failed(struct service *s, const char *what, const char *err)
{
    log_warn("%s: %s", what, err);
    if (s->redis)
        redisFree(s->redis); /* the context may be in an error state */
    s->redis = NULL;
    s->redis_retry = clock_mono_ms() + 2000;
}

/* ---- periods (runs) ---- */

static void period_free(struct period **pp)
{
    if (!pp || !*pp)
        return;
    writer_free(&(*pp)->w);
    stats_hist_free(&(*pp)->late);
    free(*pp);
    *pp = NULL;
}

/* A runs row and a writer for the minute. 0, or -1 (MySQL away: the caller keeps the
 * current period). */
static int period_open(struct service *s, int64_t minute, struct period **out)
{
    const struct service_params *p = s->p;
    struct period *pd = calloc(1, sizeof(*pd));
    char err[URLMON_ERRLEN] = "out of memory";
    int rc = -1;

    *out = NULL;
    if (!pd || stats_hist_new(&pd->late) != 0)
        goto out;
    pd->minute = minute;
    pd->t0 = clock_mono_s();
    if (!have_conn(s)) {
        snprintf(err, sizeof(err), "no MySQL connection");
        goto out;
    }
    if (runrec_begin(s->conn, p->shard_index, p->shard_count, minute, p->cfg->instance, &pd->id,
                     err, sizeof(err)) != 0) {
        conn_failed(s);
        goto out;
    }
    if (writer_start(p->cfg, pd->id, p->stop, &pd->w, err, sizeof(err)) != 0) {
        struct runrec_end e = {"failed", 0, false, 0, 0, 0};
        char e2[URLMON_ERRLEN];
        if (runrec_finish(s->conn, pd->id, &e, e2, sizeof(e2)) != 0)
            log_warn("%s", e2);
        goto out;
    }
    *out = pd;
    pd = NULL;
    rc = 0;
out:
    if (rc != 0)
        log_warn("no new run for minute %lld: %s (the current one goes on)", (long long)minute,
                 err);
    period_free(&pd);
    return rc;
}

static void invalidate_cache(struct service *s, long *deleted)
{
    char err[URLMON_ERRLEN];

    *deleted = -1;
    if (redis(s) &&
        (*deleted = rconn_delete_matching(s->redis, RKEY_CACHE_PREFIX "*", err, sizeof(err))) < 0)
        redis_failed(s, "API cache not invalidated", err);
}

/* Writes what is left of the period, records its end, invalidates the API cache. */
static void period_close(struct service *s, struct period **pp, enum run_outcome out)
{
    struct period *pd = *pp;
    struct writer_totals tot;
    uint32_t l50 = 0, l99 = 0, lmax = 0;
    char err[URLMON_ERRLEN], pct[64] = "n/a";
    long deleted;
    int wrc;

    if (!pd)
        return;
    wrc = writer_finish(pd->w, &tot);
    if (wrc < 0)
        out = RUN_FAILED;
    s->checks += tot.results;
    s->lost += tot.lost;
    s->runs++;
    if (stats_hist_count(pd->late) > 0 && (stats_hist_percentile(pd->late, 50, &l50) != 0 ||
                                           stats_hist_percentile(pd->late, 99, &l99) != 0 ||
                                           stats_hist_percentile(pd->late, 100, &lmax) != 0))
        l50 = l99 = lmax = 0;
    {
        struct runrec_end e = {
            run_outcome_name(out), tot.results, tot.have_percentiles, tot.p50, tot.p95, tot.p99};
        s->end_unrecorded =
            !have_conn(s) || runrec_finish(s->conn, pd->id, &e, err, sizeof(err)) != 0;
        if (s->end_unrecorded) {
            log_error("run %llu: its end could not be recorded (%s); the next start marks it "
                      "failed",
                      (unsigned long long)pd->id, s->conn ? err : "no MySQL connection");
            conn_failed(s);
        }
    }
    invalidate_cache(s, &deleted);
    if (tot.have_percentiles)
        snprintf(pct, sizeof(pct), "%u/%u/%u ms", tot.p50, tot.p95, tot.p99);
    log_context_run(pd->id, s->shard_key, NULL);
    log_info("run %llu %s: minute %lld, %llu checks (%llu ok, %llu failed) in %.1f s, "
             "p50/p95/p99 %s, lateness p50/p99/max %u/%u/%u ms, %llu written, %llu spooled, "
             "%llu lost, %ld cache keys deleted",
             (unsigned long long)pd->id, run_outcome_name(out), (long long)pd->minute,
             (unsigned long long)tot.results, (unsigned long long)tot.successes,
             (unsigned long long)tot.failures, clock_mono_s() - pd->t0, pct, l50, l99, lmax,
             (unsigned long long)(tot.written + tot.replayed), (unsigned long long)tot.spooled,
             (unsigned long long)tot.lost, deleted);
    log_context_clear();
    period_free(pp);
}

/* At a minute boundary: the next period takes the results from now on. */
static void rotate(struct service *s, int64_t minute)
{
    struct period *next = NULL, *old;

    if (period_open(s, minute, &next) != 0)
        return;
    pthread_mutex_lock(&s->w_lock);
    old = s->cur;
    s->cur = next;
    pthread_mutex_unlock(&s->w_lock);
    period_close(s, &old, RUN_DONE);
}

/* ---- the lease ---- */

/* Waits until the shard's lease is ours (true) or a stop (false). */
static bool acquire(struct service *s)
{
    int64_t next_log = 0;
    char err[URLMON_ERRLEN];
    bool got = false;

    while (!*s->p->stop) {
        if (have_conn(s)) {
            replay_spool(s);
            if (s->conn && runlock_acquire_service(s->conn, s->shard_key, s->owner, &got, err,
                                                   sizeof(err)) != 0) {
                log_warn("shard %s: %s", s->shard_key, err);
                conn_failed(s);
            }
            if (got)
                break;
        }
        if (clock_mono_ms() >= next_log) {
            log_info(s->conn ? "shard %s is held by another instance: waiting for its lease"
                             : "shard %s: waiting for MySQL",
                     s->shard_key);
            next_log = clock_mono_ms() + SERVICE_WAIT_LOG_SECONDS * 1000;
        }
        nap_ms(SERVICE_ACQUIRE_SECONDS * 1000);
    }
    if (got) {
        s->last_renewed = clock_mono_ms();
        s->next_renew = s->last_renewed + RUNLOCK_RENEW_SECONDS * 1000;
        log_info("shard %s: lease taken, checking", s->shard_key);
    }
    return got;
}

/* Renews the lease when due. False when it is lost: taken over, or not renewed for so
 * long that it may have expired (then nothing may be checked outside it). */
static bool keep_lease(struct service *s)
{
    int64_t now = clock_mono_ms();
    char err[URLMON_ERRLEN] = "no MySQL connection";
    bool held = true;
    int r = 0;

    if (now < s->next_renew)
        return true;
    if (have_conn(s)) {
        if (runlock_renew(s->conn, s->shard_key, s->owner, &held, err, sizeof(err)) == 0)
            r = held ? 1 : -1;
        else
            conn_failed(s);
    }
    if (r > 0)
        s->last_renewed = now;
    else if (r == 0)
        log_warn("lease renewal: %s", err);
    s->next_renew = now + (r > 0 ? RUNLOCK_RENEW_SECONDS : 5) * 1000;
    if (r < 0 || now - s->last_renewed > (RUNLOCK_LEASE_SECONDS - 15) * 1000) {
        log_error("lease on shard %s lost (%s): checking stops", s->shard_key,
                  r < 0 ? "taken over" : "not renewed in time");
        return false;
    }
    return true;
}

/* ---- the service thread's chores ---- */

/* A full reload when forced, when the list's signature changed, or every
 * URLSET_FULL_SECONDS. */
static int reload(struct service *s, bool force)
{
    struct urlset_stats st;
    struct urlset_sig sig;
    char err[URLMON_ERRLEN];

    if (!have_conn(s))
        return -1;
    if (urlset_signature(s->conn, s->p->shard_index, s->p->shard_count, &sig, err, sizeof(err)) !=
        0) {
        log_warn("URL list not re-read: %s", err);
        conn_failed(s);
        return -1;
    }
    if (!force && clock_mono_ms() < s->next_full && memcmp(&sig, &s->sig, sizeof(sig)) == 0)
        return 0;
    if (urlset_reload(s->conn, s->p->shard_index, s->p->shard_count, s->ag, &s->ag_lock, &st, err,
                      sizeof(err)) != 0) {
        log_warn("URL list not re-read: %s", err);
        conn_failed(s);
        return -1;
    }
    s->sig = sig;
    s->next_full = clock_mono_ms() + URLSET_FULL_SECONDS * 1000;
    if (st.added || st.changed || st.dropped)
        log_info("URL list: %llu URLs, %llu new, %llu changed, %llu dropped",
                 (unsigned long long)st.seen, (unsigned long long)st.added,
                 (unsigned long long)st.changed, (unsigned long long)st.dropped);
    return 0;
}

/* Drains the queue; true when it stored URLs (re-read the list now). */
static bool drain(struct service *s)
{
    struct drain_stats st;
    char err[URLMON_ERRLEN];

    memset(&st, 0, sizeof(st));
    if (!redis(s) || !have_conn(s))
        return false;
    if (drain_queue(s->redis, s->conn, s->p->stop, &st, err, sizeof(err)) != 0) {
        redis_failed(s, "queue drain stopped", err);
        conn_failed(s);
    }
    if (st.stored || st.dead)
        log_info("queue: %lu stored, %lu dead", st.stored, st.dead);
    return st.stored > 0;
}

/* Retention runs in a thread of its own with its own connection: on a large database it
 * takes minutes, and the service thread must go on renewing the lease meanwhile. */
static void *retention_main(void *arg)
{
    struct service *s = arg;
    struct retention_stats st;
    char err[URLMON_ERRLEN];
    MYSQL *conn = db_connect(s->p->cfg, err, sizeof(err));
    struct retention_days keep;

    log_context_run(0, s->shard_key, "retention");
    retention_days_of(s->p->cfg, &keep);
    if (!conn ||
        retention_run(conn, clock_wall_ms() / 1000, &keep, s->p->stop, &st, err, sizeof(err)) != 0)
        log_warn("retention: %s", err);
    db_close(&conn);
    log_context_clear();
    s->retention_done = 1;
    return NULL;
}

/* Starts a retention pass unless one still runs (start), or waits for it (!start). */
static void retention(struct service *s, bool start)
{
    if (s->retention_started && (s->retention_done || !start)) {
        pthread_join(s->retention, NULL);
        s->retention_started = false;
    }
    if (!start || s->retention_started)
        return;
    s->retention_done = 0;
    if (pthread_create(&s->retention, NULL, retention_main, s) == 0) {
        pthread_setname_np(s->retention, "retention");
        s->retention_started = true;
    } else
        log_warn("retention: cannot start its thread");
}

static int64_t minute_now(void)
{
    return clock_wall_ms() / (SERVICE_RUN_SECONDS * 1000);
}

/* Starts checking under the lease: a fresh agenda (the last checks come from MySQL, so
 * whatever another holder checked meanwhile is not checked again), the first period,
 * the engine thread. 0, or -1 (nothing started). */
static int hold_start(struct service *s)
{
    char err[URLMON_ERRLEN];
    uint64_t stale = 0;

    agenda_free(&s->ag);
    if (agenda_new(&s->ag) != 0) {
        log_error("out of memory");
        return -1;
    }
    if (!have_conn(s) || runrec_fail_stale(s->conn, s->p->shard_index, s->p->shard_count, &stale,
                                           err, sizeof(err)) != 0) {
        log_warn("runs of shard %s: %s", s->shard_key, s->conn ? err : "no MySQL connection");
        conn_failed(s);
        return -1;
    }
    if (stale > 0)
        log_warn("%llu earlier run(s) of shard %s never finished: marked failed",
                 (unsigned long long)stale, s->shard_key);
    (void)drain(s);
    if (reload(s, true) != 0 || period_open(s, minute_now(), &s->cur) != 0)
        return -1;
    log_info("shard %s: %zu URLs on the agenda", s->shard_key, agenda_count(s->ag));
    s->engine_stop = 0;
    s->engine_ended = 0;
    if (pthread_create(&s->engine, NULL, engine_main, s) != 0) {
        log_error("cannot start the engine thread");
        period_close(s, &s->cur, RUN_FAILED);
        return -1;
    }
    pthread_setname_np(s->engine, "engine");
    s->engine_started = true;
    return 0;
}

/* Stops taking checks, lets the ones in flight finish and writes them. */
static void hold_stop(struct service *s, enum run_outcome out)
{
    s->engine_stop = 1;
    if (s->engine_started) {
        pthread_join(s->engine, NULL);
        s->engine_started = false;
    }
    if (s->engine_rc != 0) {
        log_error("check engine: %s", s->engine_err);
        out = RUN_FAILED;
    }
    period_close(s, &s->cur, out);
}

/* Checks under the lease until a stop (0), a lost lease (1) or a failure (-1). */
static int hold(struct service *s)
{
    int64_t now, next_reload, next_drain, next_retention = 0, minute;
    char err[URLMON_ERRLEN];
    bool force = false;
    int rc = 0;

    if (hold_start(s) != 0) {
        rc = -1;
        goto release;
    }
    minute = s->cur->minute;
    now = clock_mono_ms();
    next_reload = now + SERVICE_RELOAD_SECONDS * 1000;
    next_drain = now + SERVICE_DRAIN_SECONDS * 1000;
    while (!*s->p->stop) {
        nap_ms(100);
        now = clock_mono_ms();
        if (s->engine_ended) {
            rc = -1;
            break;
        }
        if (!keep_lease(s)) {
            rc = 1;
            break;
        }
        if (minute_now() != minute) {
            minute = minute_now();
            rotate(s, minute);
        }
        if (now >= next_drain) {
            force = drain(s);
            next_drain = now + SERVICE_DRAIN_SECONDS * 1000;
        }
        if (force || now >= next_reload) {
            (void)reload(s, force);
            force = false;
            next_reload = now + SERVICE_RELOAD_SECONDS * 1000;
        }
        if (s->p->shard_index == 0 && now >= next_retention) {
            retention(s, true);
            next_retention = now + SERVICE_RETENTION_SECONDS * 1000;
        }
    }
    if (*s->p->stop)
        log_info("stop requested: finishing the checks in flight");
    hold_stop(s, *s->p->stop ? RUN_INTERRUPTED : RUN_FAILED);
    retention(s, false);
release:
    if (rc != 1 && have_conn(s) &&
        runlock_release(s->conn, s->shard_key, s->owner, -1, 0, err, sizeof(err)) != 0) {
        log_warn("%s", err);
        conn_failed(s);
    }
    return rc;
}

int service_run(const struct service_params *p)
{
    struct service *s = calloc(1, sizeof(*s));
    struct delivery *d = NULL;
    char err[URLMON_ERRLEN];
    uint32_t l50 = 0, l99 = 0;
    int rc = 1, h = 0;

    if (!s || stats_hist_new(&s->late_all) != 0) {
        log_error("out of memory");
        goto out;
    }
    s->p = p;
    pthread_mutex_init(&s->ag_lock, NULL);
    pthread_mutex_init(&s->w_lock, NULL);
    snprintf(s->shard_key, sizeof(s->shard_key), "%u/%u", p->shard_index, p->shard_count);
    if (runlock_token(s->owner, sizeof(s->owner)) != 0) {
        log_error("no random token for the lease");
        goto out;
    }
    if (!(s->conn = run_connect(p->cfg, p->stop, err, sizeof(err)))) {
        log_error("service not started: %s", err);
        goto out;
    }
    log_info("service mode: shard %s, each URL at its own interval", s->shard_key);
    /* alert events go out continuously from their own thread (docs/alerting.md) */
    if (delivery_start(p->cfg, 4 * p->cfg->alertmanager_resend, &d, err, sizeof(err)) != 0)
        log_error("alerts not delivered (they wait in the outbox): %s", err);
    while (!*p->stop && h >= 0 && acquire(s)) {
        if ((h = hold(s)) == 1)
            agenda_free(&s->ag); /* lost: wait for the lease again */
    }
    if (stats_hist_count(s->late_all) > 0 && (stats_hist_percentile(s->late_all, 50, &l50) != 0 ||
                                              stats_hist_percentile(s->late_all, 99, &l99) != 0))
        l50 = l99 = 0;
    log_info("stopped: %llu runs, %llu checks, lateness p50/p99 %u/%u ms, %llu lost",
             (unsigned long long)s->runs, (unsigned long long)s->checks, l50, l99,
             (unsigned long long)s->lost);
    rc = h < 0 || s->lost > 0 || s->end_unrecorded ? 1 : 0;
out:
    delivery_stop(&d, 5, NULL);
    if (s) {
        agenda_free(&s->ag);
        stats_hist_free(&s->late_all);
        if (s->redis)
            redisFree(s->redis);
        db_close(&s->conn);
        pthread_mutex_destroy(&s->ag_lock);
        pthread_mutex_destroy(&s->w_lock);
        free(s);
    }
    return rc;
}
