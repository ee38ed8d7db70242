/* worker.c: a worker thread with its own event_base and listeners. See worker.h. */
#include "worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "conn.h"
#include "reqlog.h"

#define LISTEN_BACKLOG 65535 /* the kernel caps it at net.core.somaxconn */
#define ACCEPT_PAUSE_USEC 100000

struct wlistener {
    struct worker *w;
    enum tgt_mode mode;
    struct evconnlistener *lev;
};

struct worker {
    int id;
    pthread_t thread;
    bool started;
    struct event_base *base;
    struct wlistener *lis;
    size_t nlis;
    struct event *stop_ev;   /* activated by worker_stop from any thread */
    struct event *flush_ev;  /* flushes the log buffer once a second */
    struct event *resume_ev; /* re-enables the listeners after running out of fds */
    bool paused;
    uint64_t npauses;          /* accept pauses so far */
    time_t next_warning;       /* no pause message before this */
    struct reqlog_buf *logbuf; /* NULL without --log */
    struct tconn *conns;       /* live connections */
    uint64_t nconns, nreqs;
};

struct event_base *worker_base(struct worker *w)
{
    return w->base;
}

struct tconn **worker_conns(struct worker *w)
{
    return &w->conns;
}

void worker_count_conn(struct worker *w)
{
    w->nconns++;
}

void worker_log_request(struct worker *w, const char *method, size_t mlen, const char *target,
                        size_t tlen)
{
    w->nreqs++;
    reqlog_buf_add(w->logbuf, method, mlen, target, tlen);
}

void worker_stats(const struct worker *w, uint64_t *conns, uint64_t *requests)
{
    *conns = w->nconns;
    *requests = w->nreqs;
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    struct wlistener *wl = arg;

    (void)lev;
    (void)sa;
    (void)salen;
    tconn_accept(wl->w, fd, wl->mode);
}

/* accept() failed for a reason other than a retriable one: usually out of descriptors.
 * Stop accepting for a moment instead of spinning on a readable listener. */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    struct wlistener *wl = arg;
    struct worker *w = wl->w;
    struct timeval tv = {0, ACCEPT_PAUSE_USEC};
    int err = EVUTIL_SOCKET_ERROR();
    size_t i;

    (void)lev;
    if (w->paused)
        return;
    w->npauses++;
    if (time(NULL) >= w->next_warning) { /* at most one line per 5 s */
        fprintf(stderr,
                "urlmon-target: worker %d: accept: %s; pausing accepts for 100 ms (%llu so far)\n",
                w->id, evutil_socket_error_to_string(err), (unsigned long long)w->npauses);
        w->next_warning = time(NULL) + 5;
    }
    for (i = 0; i < w->nlis; i++)
        evconnlistener_disable(w->lis[i].lev);
    w->paused = true;
    evtimer_add(w->resume_ev, &tv);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    size_t i;

    (void)fd;
    (void)what;
    for (i = 0; i < w->nlis; i++)
        evconnlistener_enable(w->lis[i].lev);
    w->paused = false;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    (void)fd;
    (void)what;
    event_base_loopbreak(w->base);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    (void)fd;
    (void)what;
    reqlog_buf_flush(w->logbuf);
}

static int bind_one(struct worker *w, const struct tlisten *tl, struct wlistener *wl, char *err,
                    size_t errlen)
{
    int rc = -1;
    int one = 1;
    char name[80];
    unsigned flags =
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT;

    wl->w = w;
    wl->mode = tl->mode;
    wl->lev = evconnlistener_new_bind(w->base, on_accept, wl, flags, LISTEN_BACKLOG,
                                      (const struct sockaddr *)&tl->addr, tl->addrlen);
    if (!wl->lev) {
        topts_format_addr(&tl->addr, name, sizeof(name));
        snprintf(err, errlen, "cannot listen on %s: %s", name,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        goto out;
    }
    evconnlistener_set_error_cb(wl->lev, on_accept_error);
    /* accepted sockets inherit TCP_NODELAY on Linux: answers go out at once */
    (void)setsockopt(evconnlistener_get_fd(wl->lev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    rc = 0;
out:
    return rc;
}

/* A base whose timers read CLOCK_MONOTONIC. By default libevent reads
 * CLOCK_MONOTONIC_COARSE, one tick (4 ms here) behind: a timer armed from a stale
 * reading, then waited for from a fresh one, fired up to a tick early, and a
 * delay=150 answer came in 149 ms while other connections kept the loop waking. */
static struct event_base *new_base(void)
{
    struct event_config *cfg = event_config_new();
    struct event_base *base = NULL;

    if (cfg && event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER) == 0)
        base = event_base_new_with_config(cfg);
    if (cfg)
        event_config_free(cfg);
    return base;
}

int worker_new(int id, const struct tlisten *listens, size_t nlistens, struct reqlog *log,
               struct worker **out, char *err, size_t errlen)
{
    int rc = -1;
    struct worker *w = NULL;
    struct timeval sec = {1, 0};
    size_t i;

    if (!(w = calloc(1, sizeof(*w))) || !(w->lis = calloc(nlistens, sizeof(*w->lis)))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    w->id = id;
    if (!(w->base = new_base())) {
        snprintf(err, errlen, "event_base_new failed");
        goto out;
    }
    w->stop_ev = event_new(w->base, -1, 0, on_stop, w);
    w->resume_ev = evtimer_new(w->base, on_resume, w);
    if (!w->stop_ev || !w->resume_ev) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (log) {
        w->logbuf = reqlog_buf_new(log);
        w->flush_ev = event_new(w->base, -1, EV_PERSIST, on_flush, w);
        if (!w->logbuf || !w->flush_ev || event_add(w->flush_ev, &sec) != 0) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    for (i = 0; i < nlistens; i++) {
        if (bind_one(w, &listens[i], &w->lis[i], err, errlen) != 0)
            goto out;
        w->nlis++;
    }
    *out = w;
    w = NULL;
    rc = 0;
out:
    worker_free(&w);
    return rc;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    event_base_dispatch(w->base);
    reqlog_buf_flush(w->logbuf);
    return NULL;
}

int worker_start(struct worker *w, char *err, size_t errlen)
{
    int rc = pthread_create(&w->thread, NULL, worker_main, w);

    if (rc != 0)
        snprintf(err, errlen, "pthread_create: %s", strerror(rc));
    w->started = rc == 0;
    return rc == 0 ? 0 : -1;
}

void worker_stop(struct worker *w)
{
    /* an active event survives until the loop runs, unlike a loopbreak before dispatch */
    event_active(w->stop_ev, EV_READ, 0);
}

void worker_join(struct worker *w)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = false;
}

void worker_free(struct worker **wp)
{
    struct worker *w = wp ? *wp : NULL;
    size_t i;

    if (!w)
        return;
    tconn_free_all(&w->conns);
    for (i = 0; i < w->nlis; i++)
        evconnlistener_free(w->lis[i].lev);
    free(w->lis);
    if (w->stop_ev)
        event_free(w->stop_ev);
    if (w->resume_ev)
        event_free(w->resume_ev);
    if (w->flush_ev)
        event_free(w->flush_ev);
    reqlog_buf_free(&w->logbuf);
    if (w->base)
        event_base_free(w->base);
    free(w);
    *wp = NULL;
}
