/* compute/loop.c: one libevent loop driving a curl multi handle. See loop.h. */
#include "loop.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transfer.h"

#define SOCK_CHUNK 256 /* socket contexts allocated at a time; never freed before the end */
/* New checks started per loop pass. Starting a whole share at once (at start, or when a
 * wave of equally slow answers completes together) makes every check of the wave wait
 * for all the wave's connect() calls before its request goes out; starting them in
 * slices lets requests leave while the next slice connects. */
#ifndef LOOP_REFILL_SLICE
#define LOOP_REFILL_SLICE 32
#endif

/* The event of one socket libcurl asked us to watch (curl_multi_assign'd to it). */
struct sock_ctx {
    struct sock_ctx *next; /* free list */
    short kind;            /* EV_READ|EV_WRITE armed now */
    struct event ev;
};

struct sock_chunk {
    struct sock_chunk *next;
    struct sock_ctx ctx[SOCK_CHUNK];
};

struct loop {
    const struct checker_opts *o;
    unsigned share;
    struct event_base *base;
    CURLM *multi;
    CURLSH *curlsh;
    struct event timer;
    struct event kick; /* a 0 s timer: continue refilling on the next loop pass */
    struct event poll; /* the source had nothing due: ask again a little later */
    bool timer_ready, kick_ready, poll_ready;
    /* the source said LATER and the poll timer is armed: it is not asked again before
     * then. Asking it at every socket event between (several per check) cost a lock
     * and a clock read each, and started checks off the wake-up grid */
    bool waiting;
    unsigned budget; /* checks refill may still start before the next kick */
    /* TLS warm-up before the first check (see transfer_tls_warmup_new) */
    CURL *warm;
    int warm_fd;  /* the local listener it connects to */
    bool warming; /* running: no check is started meanwhile */
    bool warm_done;
    struct transfer_conf conf;
    struct transfer **slots; /* share of them */
    struct transfer **idle;  /* stack of free slots */
    unsigned nslots, nidle, inflight;
    bool source_done;
    struct sock_ctx *sock_free;
    struct sock_chunk *chunks;
    struct checker_stats stats;
    struct check_result result; /* scratch for the sink */
    char err[URLMON_ERRLEN];
};

static struct sock_ctx *sock_get(struct loop *lp)
{
    struct sock_ctx *sc;

    if (!lp->sock_free) {
        struct sock_chunk *ch = calloc(1, sizeof(*ch));
        size_t i;
        if (!ch)
            return NULL;
        ch->next = lp->chunks;
        lp->chunks = ch;
        for (i = 0; i < SOCK_CHUNK; i++) {
            ch->ctx[i].next = lp->sock_free;
            lp->sock_free = &ch->ctx[i];
        }
    }
    sc = lp->sock_free;
    lp->sock_free = sc->next;
    sc->kind = 0;
    return sc;
}

static void sock_put(struct loop *lp, struct sock_ctx *sc)
{
    sc->next = lp->sock_free;
    lp->sock_free = sc;
}

static void deliver(struct loop *lp, const struct check_result *r)
{
    lp->o->sink(lp->o->sink_arg, r);
    lp->stats.finished++;
    if (r->success)
        lp->stats.succeeded++;
    else
        lp->stats.failed++;
}

/* Starts the TLS warm-up against a listener on a free loopback port. Returns 0, or -1
 * when it could not start (the loop then simply goes without). */
static int warm_start(struct loop *lp)
{
    int rc = -1;
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        goto out;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        goto out;
    if (!(lp->warm = transfer_tls_warmup_new(&lp->conf, ntohs(a.sin_port))))
        goto out;
    if (curl_multi_add_handle(lp->multi, lp->warm) != CURLM_OK)
        goto out;
    lp->warm_fd = fd;
    fd = -1;
    lp->warming = true;
    lp->warm_done = false;
    rc = 0;
out:
    if (fd >= 0) {
        close(fd);
        if (lp->warm)
            curl_easy_cleanup(lp->warm);
        lp->warm = NULL;
    }
    return rc;
}

static void warm_end(struct loop *lp)
{
    if (!lp->warm)
        return;
    (void)curl_multi_remove_handle(lp->multi, lp->warm);
    curl_easy_cleanup(lp->warm);
    lp->warm = NULL;
    close(lp->warm_fd);
    lp->warming = false;
}

/* Starts the check of t, which the source has filled; t is no longer on the idle stack. */
static void start_check(struct loop *lp, struct transfer *t)
{
    CURLMcode mc;

    if (transfer_begin(t, &lp->result) != 0) {
        deliver(lp, &lp->result);
        lp->idle[lp->nidle++] = t;
    } else if ((mc = curl_multi_add_handle(lp->multi, transfer_easy(t))) != CURLM_OK) {
        transfer_abort(t, curl_multi_strerror(mc), &lp->result);
        deliver(lp, &lp->result);
        lp->idle[lp->nidle++] = t;
    } else {
        lp->inflight++;
    }
}

/* The source has nothing due: ask again when it expects work (at most
 * CHECKER_IDLE_POLL_MS from now, so work that appears meanwhile is seen). Never called
 * while the poll timer is armed: refill does not ask the source while it waits. */
static void poll_later(struct loop *lp)
{
    long ms = lp->o->source_wait ? lp->o->source_wait(lp->o->source_arg) : CHECKER_IDLE_POLL_MS;
    struct timeval tv;

    ms = ms < 1 ? 1 : ms > CHECKER_IDLE_POLL_MS ? CHECKER_IDLE_POLL_MS : ms;
    tv.tv_sec = 0;
    tv.tv_usec = ms * 1000;
    lp->waiting = evtimer_add(&lp->poll, &tv) == 0;
}

/* Starts checks until the share is in flight or the source has no more (or this pass'
 * budget is spent: then the kick continues on the next pass). Nothing starts while the
 * TLS warm-up runs. */
static void refill(struct loop *lp)
{
    while (!lp->warming && lp->inflight < lp->share && !lp->source_done) {
        bool stopping = lp->o->stop && *lp->o->stop;
        struct transfer *t;
        int got;

        if (lp->waiting && !stopping)
            break;
        if (lp->budget == 0) {
            static const struct timeval now = {0, 0};
            if (!evtimer_pending(&lp->kick, NULL))
                (void)evtimer_add(&lp->kick, &now);
            break;
        }
        lp->budget--;
        t = lp->idle[lp->nidle - 1];
        got = stopping ? CHECKER_SOURCE_END : lp->o->source(lp->o->source_arg, transfer_target(t));
        if (got == CHECKER_SOURCE_LATER) {
            poll_later(lp);
            break;
        }
        if (got != CHECKER_SOURCE_GOT) {
            lp->source_done = true;
            break;
        }
        lp->nidle--;
        lp->stats.started++;
        start_check(lp, t);
    }
}

/* Hands every finished transfer to the sink and frees its slot. */
static void read_done(struct loop *lp)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(lp->multi, &left))) {
        CURL *e = m->easy_handle;
        CURLcode code = m->data.result;
        void *priv = NULL;

        if (m->msg != CURLMSG_DONE)
            continue;
        if (e == lp->warm) {
            lp->warm_done = true;
            continue;
        }
        (void)curl_multi_remove_handle(lp->multi, e); /* m is invalid from here */
        if (curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv) != CURLE_OK || !priv)
            continue; /* cannot happen: every handle carries its slot */
        transfer_finish(priv, code, &lp->result);
        deliver(lp, &lp->result);
        lp->idle[lp->nidle++] = priv;
        lp->inflight--;
    }
}

/* Every started check was handed to the sink and nothing more will start. */
static bool drained(const struct loop *lp)
{
    return lp->inflight == 0 && lp->source_done && !lp->warming;
}

static void after_action(struct loop *lp)
{
    read_done(lp);
    if (lp->warming && lp->warm_done)
        warm_end(lp);
    refill(lp);
    if (drained(lp))
        event_base_loopbreak(lp->base);
}

static void on_socket_event(evutil_socket_t fd, short kind, void *arg)
{
    struct loop *lp = arg;
    int action =
        ((kind & EV_READ) ? CURL_CSELECT_IN : 0) | ((kind & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running = 0;

    (void)curl_multi_socket_action(lp->multi, fd, action, &running);
    after_action(lp);
}

static void on_kick(evutil_socket_t fd, short kind, void *arg)
{
    struct loop *lp = arg;

    lp->budget = LOOP_REFILL_SLICE;
    refill(lp);
    if (drained(lp))
        event_base_loopbreak(lp->base);
}

/* The poll timer: the time the source named after LATER has come. */
static void on_poll(evutil_socket_t fd, short kind, void *arg)
{
    struct loop *lp = arg;

    lp->waiting = false;
    on_kick(fd, kind, arg);
}

static void on_timer(evutil_socket_t fd, short kind, void *arg)
{
    struct loop *lp = arg;
    int running = 0;

    (void)curl_multi_socket_action(lp->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    after_action(lp);
}

/* What libcurl asks for tells the checks' progress (see transfer_note_poll). */
static void note_poll(struct loop *lp, CURL *e, curl_socket_t s, int what)
{
    void *priv = NULL;

    if (!e || !(what & CURL_POLL_IN))
        return;
    if (e == lp->warm)
        lp->warm_done = true; /* waiting for the ServerHello: the CA store is loaded */
    else if (curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv) == CURLE_OK && priv)
        transfer_note_poll(priv, s, what);
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what, or stop watching it. */
static int on_curl_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct loop *lp = userp;
    struct sock_ctx *sc = socketp;
    short kind;
    int rc = -1;

    if (what == CURL_POLL_REMOVE) {
        if (sc) {
            event_del(&sc->ev);
            sock_put(lp, sc);
        }
        rc = 0;
        goto out;
    }
    note_poll(lp, e, s, what);
    kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
    if (sc && sc->kind == kind) {
        rc = 0;
        goto out;
    }
    if (sc) {
        event_del(&sc->ev);
    } else {
        if (!(sc = sock_get(lp)))
            goto out;
        if (curl_multi_assign(lp->multi, s, sc) != CURLM_OK) {
            sock_put(lp, sc);
            goto out;
        }
    }
    sc->kind = kind;
    if (event_assign(&sc->ev, lp->base, s, kind | EV_PERSIST, on_socket_event, lp) != 0 ||
        event_add(&sc->ev, NULL) != 0)
        goto out;
    rc = 0;
out:
    return rc;
}

/* CURLMOPT_TIMERFUNCTION: (re)arm or drop the one timer; never calls curl. */
static int on_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
    struct loop *lp = userp;
    struct timeval tv;

    if (timeout_ms < 0)
        return event_del(&lp->timer) == 0 ? 0 : -1;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    return evtimer_add(&lp->timer, &tv) == 0 ? 0 : -1;
}

static int make_base(struct loop *lp)
{
    struct event_config *cfg = event_config_new();
    int rc = -1;

    if (!cfg)
        goto out;
    /* one thread per base: no locking */
    if (event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK) != 0)
        goto out;
    /* libcurl often asks to stop watching a socket and to watch it again (or for
     * something else) within one callback round; with a changelist epoll_ctl runs once
     * per socket per loop pass with the net change, not once per request. Safe here:
     * a socket is never dup()ed and libcurl tells us before it closes one. */
    if (event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) != 0)
        goto out;
    if (!(lp->base = event_base_new_with_config(cfg)))
        goto out;
    rc = 0;
out:
    if (cfg)
        event_config_free(cfg);
    return rc;
}

static int make_curl(struct loop *lp)
{
    int bad = 0;

    if (!(lp->multi = curl_multi_init()) || !(lp->curlsh = curl_share_init()))
        return -1;
    bad |= curl_multi_setopt(lp->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK;
    bad |= curl_multi_setopt(lp->multi, CURLMOPT_SOCKETDATA, (void *)lp) != CURLM_OK;
    bad |= curl_multi_setopt(lp->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK;
    bad |= curl_multi_setopt(lp->multi, CURLMOPT_TIMERDATA, (void *)lp) != CURLM_OK;
    bad |= curl_share_setopt(lp->curlsh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK;
    bad |= curl_share_setopt(lp->curlsh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK;
    return bad ? -1 : 0;
}

int loop_new(const struct checker_opts *o, unsigned share, struct loop **out, char *err,
             size_t errlen)
{
    struct loop *lp = NULL;
    const char *what = "out of memory";
    unsigned i;
    int rc = -1;

    *out = NULL;
    if (!(lp = calloc(1, sizeof(*lp))))
        goto out;
    lp->o = o;
    lp->share = share;
    lp->conf.timeout_ms = o->timeout_ms;
    lp->conf.connect_timeout_ms = o->connect_timeout_ms;
    lp->conf.max_redirects = o->max_redirects;
    lp->conf.max_body_bytes = o->max_body_bytes;
    lp->conf.allow_private_targets = o->allow_private_targets;
    lp->conf.ca_bundle = o->ca_bundle;
    lp->conf.ca_path = o->ca_path;
    what = "cannot create an event base";
    if (make_base(lp) != 0)
        goto out;
    if (evtimer_assign(&lp->timer, lp->base, on_timer, lp) != 0)
        goto out;
    lp->timer_ready = true;
    if (evtimer_assign(&lp->kick, lp->base, on_kick, lp) != 0)
        goto out;
    lp->kick_ready = true;
    if (evtimer_assign(&lp->poll, lp->base, on_poll, lp) != 0)
        goto out;
    lp->poll_ready = true;
    lp->budget = LOOP_REFILL_SLICE;
    what = "cannot create a curl multi or share handle";
    if (make_curl(lp) != 0)
        goto out;
    lp->conf.share = lp->curlsh;
    what = "out of memory for the check slots";
    if (!(lp->slots = calloc(share, sizeof(*lp->slots))) ||
        !(lp->idle = calloc(share, sizeof(*lp->idle))))
        goto out;
    for (i = 0; i < share; i++) {
        if (transfer_new(&lp->conf, &lp->slots[i]) != 0)
            goto out;
        lp->nslots++;
        lp->idle[lp->nidle++] = lp->slots[i];
    }
    *out = lp;
    lp = NULL;
    rc = 0;
out:
    if (rc != 0)
        snprintf(err, errlen, "%s", what);
    loop_free(&lp);
    return rc;
}

void loop_free(struct loop **lpp)
{
    struct loop *lp;
    unsigned i;

    if (!lpp || !*lpp)
        return;
    lp = *lpp;
    if (lp->multi)
        warm_end(lp);
    for (i = 0; i < lp->nslots; i++) {
        if (lp->multi)
            (void)curl_multi_remove_handle(lp->multi, transfer_easy(lp->slots[i]));
        transfer_free(&lp->slots[i]);
    }
    free(lp->slots);
    free(lp->idle);
    if (lp->multi)
        curl_multi_cleanup(lp->multi);
    if (lp->curlsh)
        curl_share_cleanup(lp->curlsh);
    if (lp->timer_ready)
        event_del(&lp->timer);
    if (lp->kick_ready)
        event_del(&lp->kick);
    if (lp->poll_ready)
        event_del(&lp->poll);
    while (lp->chunks) {
        struct sock_chunk *next = lp->chunks->next;
        free(lp->chunks);
        lp->chunks = next;
    }
    if (lp->base)
        event_base_free(lp->base);
    free(lp);
    *lpp = NULL;
}

static bool is_idle(const struct loop *lp, const struct transfer *t)
{
    unsigned i;

    for (i = 0; i < lp->nidle; i++)
        if (lp->idle[i] == t)
            return true;
    return false;
}

/* The loop cannot go on: every check in flight ends as `other` with why. */
static void abort_inflight(struct loop *lp, const char *why)
{
    unsigned i;

    lp->source_done = true;
    for (i = 0; i < lp->nslots && lp->inflight > 0; i++) {
        struct transfer *t = lp->slots[i];
        if (is_idle(lp, t))
            continue;
        (void)curl_multi_remove_handle(lp->multi, transfer_easy(t));
        transfer_abort(t, why, &lp->result);
        deliver(lp, &lp->result);
        lp->idle[lp->nidle++] = t;
        lp->inflight--;
    }
}

int loop_run(struct loop *lp, char *err, size_t errlen)
{
    const char *why = NULL;
    int rc = -1;

    /* the CA store is loaded (synchronously, on this thread) by the first TLS connection
     * of the multi handle: do it before any check's clock runs, not while plain checks
     * are in flight (their recorded times would include it). When the warm-up cannot
     * start, the first https check loads it. */
    (void)warm_start(lp);
    refill(lp);
    while (!drained(lp)) {
        int d = event_base_dispatch(lp->base);
        if (d < 0) {
            why = "event loop failed";
            goto out;
        }
        if (d == 1 && !drained(lp)) {
            /* nothing armed (cannot normally happen): let curl look at its timeouts */
            struct timeval tv = {0, 1000};
            if (evtimer_add(&lp->timer, &tv) != 0) {
                why = "cannot arm the loop timer";
                goto out;
            }
        }
    }
    rc = 0;
out:
    if (why) {
        abort_inflight(lp, why);
        snprintf(err, errlen, "%s", why);
    }
    return rc;
}

void loop_stats_add(const struct loop *lp, struct checker_stats *s)
{
    s->started += lp->stats.started;
    s->finished += lp->stats.finished;
    s->succeeded += lp->stats.succeeded;
    s->failed += lp->stats.failed;
}
