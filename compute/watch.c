/* compute/watch.c: see watch.h. */
#include "watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "runlock.h"

struct watch {
    struct watch_params p;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool quit;
    bool lease_lost;
    MYSQL *conn;
};

/* Renews the lease: 1 renewed, 0 MySQL unreachable (try again soon), -1 not ours. */
static int renew(struct watch *w)
{
    char err[URLMON_ERRLEN];
    bool held = true;

    if (!w->conn && !(w->conn = db_connect(w->p.cfg, err, sizeof(err)))) {
        log_warn("lease renewal: %s", err);
        return 0;
    }
    if (runlock_renew(w->conn, w->p.shard_key, w->p.owner, &held, err, sizeof(err)) != 0) {
        log_warn("lease renewal: %s", err);
        db_close(&w->conn);
        return 0;
    }
    return held ? 1 : -1;
}

static void progress(struct watch *w, double start, double *last_t, uint64_t *last_n)
{
    double now = clock_mono_s();
    uint64_t done = writer_received(w->p.writer);
    double rate = now > *last_t ? (double)(done - *last_n) / (now - *last_t) : 0.0;

    log_info("progress: %llu/%llu checked (%.1f%%), %.0f checks/s, %.0f s elapsed",
             (unsigned long long)done, (unsigned long long)w->p.total,
             w->p.total ? 100.0 * (double)done / (double)w->p.total : 100.0, rate, now - start);
    *last_t = now;
    *last_n = done;
}

static void lose_lease(struct watch *w, const char *why)
{
    log_error("lease on shard %s lost (%s): stopping the run", w->p.shard_key, why);
    pthread_mutex_lock(&w->lock);
    w->lease_lost = true;
    pthread_mutex_unlock(&w->lock);
    *w->p.run_stop = 1;
}

static void *watch_main(void *arg)
{
    struct watch *w = arg;
    double start = clock_mono_s(), next_progress = start + WATCH_PROGRESS_SECONDS;
    double next_renew = start + RUNLOCK_RENEW_SECONDS, last_ok = start, last_t = start;
    uint64_t last_n = 0;
    struct timespec ts;
    bool quit = false, lost = false;

    log_context_run(w->p.run_id, w->p.shard_key, "watch");
    while (!quit) {
        double now = clock_mono_s();
        if (*w->p.signal_stop && !*w->p.run_stop) {
            log_info("stop requested: finishing the checks in flight");
            *w->p.run_stop = 1;
        }
        if (now >= next_progress) {
            progress(w, start, &last_t, &last_n);
            next_progress = now + WATCH_PROGRESS_SECONDS;
        }
        if (now >= next_renew && !lost) {
            int r = renew(w);
            if (r > 0)
                last_ok = now;
            if (r < 0 || now - last_ok > RUNLOCK_LEASE_SECONDS - 15) {
                /* taken over, or it may expire before we get through: stop now */
                lose_lease(w, r < 0 ? "taken over" : "not renewed in time");
                lost = true;
            }
            next_renew = now + (r > 0 ? RUNLOCK_RENEW_SECONDS : 5);
        }
        clock_deadline_ts(&ts, 100);
        pthread_mutex_lock(&w->lock);
        if (!w->quit)
            pthread_cond_timedwait(&w->cond, &w->lock, &ts);
        quit = w->quit;
        pthread_mutex_unlock(&w->lock);
    }
    db_close(&w->conn);
    log_context_clear();
    return NULL;
}

int watch_start(const struct watch_params *p, struct watch **out, char *err, size_t errlen)
{
    struct watch *w = calloc(1, sizeof(*w));

    *out = NULL;
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->p = *p;
    pthread_mutex_init(&w->lock, NULL);
    if (clock_cond_init(&w->cond) != 0) {
        snprintf(err, errlen, "cannot create a condition variable");
        pthread_mutex_destroy(&w->lock);
        free(w);
        return -1;
    }
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        snprintf(err, errlen, "cannot start the watch thread");
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        return -1;
    }
    pthread_setname_np(w->thread, "watch");
    *out = w;
    return 0;
}

bool watch_stop(struct watch **wp)
{
    struct watch *w;
    bool lost;

    if (!wp || !*wp)
        return false;
    w = *wp;
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    lost = w->lease_lost;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
    *wp = NULL;
    return lost;
}
