/* api/conn.c: connection accounting (conn.h). */
#include "conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "api_int.h"
#include "chunkline.h"
#include "jsonx.h"
#include "log.h"
#include "ptrmap.h"

#define SWEEP_MS 250
/* After answering a request libevent refused (conn_closed), the rest of what the client
 * sends is read and dropped for a while before the socket closes, so the answer reaches
 * it instead of a reset: until the client closes, LINGER_IDLE_MS pass without data, or
 * LINGER_MAX_BYTES or the request timeout are reached. */
#define LINGER_IDLE_MS 2000
#define LINGER_MAX_BYTES (64 * 1024 * 1024)
/* Answers longer than this pause reading while they are written (conn_reply). */
#define PAUSE_READ_BODY (16 * 1024)

struct conn {
    struct conns *cs;
    struct evhttp_connection *evcon;
    struct bufferevent *bev;
    struct evbuffer_cb_entry *watch; /* on the output buffer: libevent's own answers */
    struct evbuffer_cb_entry *input; /* on the input buffer: what the parser consumes */
    struct chunkline *lines;         /* ... and the last line it read (a chunk size?) */
    int64_t idle_since_ms;
    bool busy;
    bool pipelined;           /* a request was waiting behind one being answered */
    bool refused;             /* libevent refused a request; our JSON answer replaced its page */
    bool rewriting;           /* inside refuse(): our own changes to the output buffer */
    struct conn *prev, *next; /* idle list */
};

/* A connection closing after a refused request: its input is drained until linger_cb
 * lets go (see LINGER_*). */
struct lingerer {
    evutil_socket_t fd;
    struct event *ev;
    size_t bytes;
    int64_t until_ms;
};

struct conns {
    struct evconnlistener *listener;
    struct metrics *metrics;
    size_t max;
    int64_t timeout_ms;
    struct ptrmap *map;                 /* evhttp_connection -> struct conn */
    struct conn *idle_head, *idle_tail; /* not in a handler, oldest first */
    struct conn **adopt;                /* accepted, not yet tracked (max + 1 slots) */
    size_t nadopt;
    struct event *adopt_ev, *sweep_ev;
    struct event_base *base;
    long n;
    bool listening, stopped;
    bool own_write; /* conn_reply is writing: the output is ours */
};

static void idle_unlink(struct conns *cs, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (cs->idle_head == c)
        cs->idle_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else if (cs->idle_tail == c)
        cs->idle_tail = c->prev;
    c->prev = c->next = NULL;
}

static void idle_append(struct conns *cs, struct conn *c)
{
    c->idle_since_ms = api_mono_ms();
    c->prev = cs->idle_tail;
    c->next = NULL;
    if (cs->idle_tail)
        cs->idle_tail->next = c;
    else
        cs->idle_head = c;
    cs->idle_tail = c;
}

static void listener_update(struct conns *cs)
{
    bool want = !cs->stopped && cs->n < (long)cs->max;

    if (want == cs->listening || !cs->listener)
        return;
    if (want) {
        evconnlistener_enable(cs->listener);
    } else {
        evconnlistener_disable(cs->listener);
        if (!cs->stopped) {
            metrics_rejected(cs->metrics, "connections");
            log_warn("%ld connections open (API_MAX_CONNECTIONS): not accepting for now", cs->n);
        }
    }
    cs->listening = want;
}

void conn_busy(struct conns *cs, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct conn *c = evcon ? ptrmap_get(cs->map, evcon) : NULL;

    if (c && !c->busy) {
        idle_unlink(cs, c);
        c->busy = true;
    }
}

/* ---- answers libevent writes on its own --------------------------------------------
 *
 * libevent 2.1 refuses some requests before any handler runs (a request line or headers
 * over the limits or malformed, a body over the limit, a bad chunk, Expect other than
 * 100-continue, an unknown method) and writes an HTML error page for them, with no hook
 * to change it. Every answer urlmon writes goes through conn_reply; anything else that
 * appears in a connection's output buffer is libevent's. A "100 Continue" passes; an
 * error status line switches the connection to refused: the bytes libevent writes are
 * dropped, and a JSON answer with the same status takes their place (libevent closes the
 * connection after it). */

static const char *refusal_message(int code)
{
    switch (code) {
    case 400:
        return "request: cannot be parsed (a malformed request line, header or chunk, or a "
               "request line and headers over 16 KiB)";
    case 413:
        return "body: over 64 KiB (Content-Length or chunks)";
    case 417:
        return "expect: only 100-continue is supported";
    case 501:
        return "method: not implemented";
    default:
        return "request: refused";
    }
}

/* Drops what was added to buf after its first keep bytes. */
static void truncate_to(struct evbuffer *buf, size_t keep)
{
    struct evbuffer *front = evbuffer_new();

    if (front && evbuffer_remove_buffer(buf, front, keep) == (int)keep) {
        evbuffer_drain(buf, evbuffer_get_length(buf));
        evbuffer_add_buffer(buf, front);
    } else {
        evbuffer_drain(buf, evbuffer_get_length(buf)); /* out of memory: no answer */
    }
    if (front)
        evbuffer_free(front);
}

static const char *reason_phrase(int code)
{
    switch (code) {
    case 400:
        return "Bad Request";
    case 413:
        return "Content Too Large";
    case 417:
        return "Expectation Failed";
    case 501:
        return "Not Implemented";
    default:
        return "Error";
    }
}

static void refuse(struct conn *c, struct evbuffer *buf, size_t keep, int code, const char *msg)
{
    char *body = jsonx_error("%s", msg);
    const char *b = body ? body : "{\"error\":\"out of memory\"}";

    c->rewriting = true;
    truncate_to(buf, keep);
    if (!c->refused) {
        evbuffer_add_printf(buf,
                            "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                            "Cache-Control: no-store\r\nConnection: close\r\n"
                            "Content-Length: %zu\r\n\r\n%s",
                            code, reason_phrase(code), strlen(b), b);
    }
    c->refused = true;
    c->rewriting = false;
    cJSON_free(body);
}

static void output_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct conn *c = arg;
    char line[16];
    struct evbuffer_ptr pos;
    int code;

    if (info->n_added == 0 || c->cs->own_write || c->rewriting)
        return;
    if (c->refused) {
        refuse(c, buf, info->orig_size, 0, "");
        return;
    }
    memset(line, 0, sizeof(line));
    if (evbuffer_ptr_set(buf, &pos, info->orig_size, EVBUFFER_PTR_SET) != 0 ||
        evbuffer_copyout_from(buf, &pos, line, sizeof(line) - 1) < 12)
        return;
    if (strncmp(line, "HTTP/1.", 7) != 0 || sscanf(line + 9, "%3d", &code) != 1 || code < 400)
        return; /* 100 Continue */
    /* libevent's 413 also stands for a chunk size it could not read (chunkline.h) */
    if (code == 413 && chunkline_refusal(c->lines) == 400)
        refuse(c, buf, info->orig_size, 400,
               "body: a chunk size that cannot be read (chunked transfer coding: hexadecimal "
               "digits, then CRLF)");
    else
        refuse(c, buf, info->orig_size, code, refusal_message(code));
}

/* The input buffer changed: bytes arrived (before libevent parses them) or the parser
 * consumed some from the front. chunkline keeps the front's first bytes to know what
 * each consumed piece was. */
static void input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct conn *c = arg;
    char front[CHUNKLINE_PEEK];
    ev_ssize_t n;

    if (info->n_deleted > 0)
        chunkline_consumed(c->lines, info->n_deleted);
    if (info->n_deleted > 0 || (info->n_added > 0 && chunkline_wants_front(c->lines))) {
        n = evbuffer_copyout(buf, front, sizeof(front));
        chunkline_front(c->lines, front, n > 0 ? (size_t)n : 0);
    }
}

/* ---- replies ----------------------------------------------------------------------- */

/* libevent never closes a connection after answering CONNECT (it expects a tunnel): once
 * the answer is written, the connection goes to the head of the idle list as expired,
 * and the next sweep closes it. */
static void connect_answered(struct evhttp_request *req, void *arg)
{
    struct conn *c = arg;
    struct conns *cs = c->cs;

    (void)req;
    if (c->busy)
        return;
    idle_unlink(cs, c);
    c->idle_since_ms = INT64_MIN / 2;
    c->next = cs->idle_head;
    if (cs->idle_head)
        cs->idle_head->prev = c;
    else
        cs->idle_tail = c;
    cs->idle_head = c;
}

void conn_reply(struct conns *cs, struct evhttp_request *req, int code)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct conn *c = evcon ? ptrmap_get(cs->map, evcon) : NULL;

    if (c && c->busy) {
        c->busy = false;
        idle_append(cs, c);
    }
    size_t body = evbuffer_get_length(evhttp_request_get_output_buffer(req));

    if (c && evhttp_request_get_command(req) == EVHTTP_REQ_CONNECT)
        evhttp_request_set_on_complete_cb(req, connect_answered, c);
    cs->own_write = true;
    evhttp_send_reply(req, code, NULL, NULL);
    cs->own_write = false;
    /* While libevent writes an answer it reads too, only to notice a close; a client
     * that sent several requests and then shut its side down (half-close) would lose
     * the answers to the ones still waiting. On a connection that has had requests
     * waiting, reading pauses while writing; libevent resumes it for the next request,
     * and parses what is waiting before it can see the end of the stream. So it does for
     * an answer that takes several writes (a small one is written before the end of the
     * stream is read: the socket's write event comes first). */
    if (c && (c->pipelined || evbuffer_get_length(bufferevent_get_input(c->bev)) > 0 ||
              body > PAUSE_READ_BODY)) {
        c->pipelined = c->pipelined || body <= PAUSE_READ_BODY;
        bufferevent_disable(c->bev, EV_READ);
    }
}

/* ---- lingering close ----------------------------------------------------------------- */

static void linger_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lingerer *l = arg;
    char buf[16384];
    ssize_t n = 0;

    if (what & EV_READ)
        n = read(fd, buf, sizeof(buf));
    if (n > 0)
        l->bytes += (size_t)n;
    if (n <= 0 || l->bytes > LINGER_MAX_BYTES || api_mono_ms() > l->until_ms) {
        event_free(l->ev);
        close(l->fd);
        free(l);
    }
}

/* Keeps reading (and dropping) what the client still sends after a refusal, so it can
 * read the answer instead of meeting a reset. The answer is in the kernel already:
 * libevent closes only after its write completed. */
static void start_linger(struct conns *cs, struct conn *c)
{
    struct lingerer *l = calloc(1, sizeof(*l));
    struct timeval idle = {LINGER_IDLE_MS / 1000, (LINGER_IDLE_MS % 1000) * 1000};
    evutil_socket_t fd = bufferevent_getfd(c->bev);

    if (!l || fd < 0 || (l->fd = dup(fd)) < 0) {
        free(l);
        return;
    }
    l->until_ms = api_mono_ms() + cs->timeout_ms;
    evutil_make_socket_nonblocking(l->fd);
    shutdown(l->fd, SHUT_WR);
    if (!(l->ev = event_new(cs->base, l->fd, EV_READ | EV_PERSIST, linger_cb, l)) ||
        event_add(l->ev, &idle) != 0) {
        if (l->ev)
            event_free(l->ev);
        close(l->fd);
        free(l);
    }
}

/* Frees c; with unwatch, first takes its callbacks off its buffers (not when its
 * bufferevent was already freed: they went with it). */
static void conn_release(struct conn *c, bool unwatch)
{
    if (unwatch && c->watch)
        evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->watch);
    if (unwatch && c->input)
        evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->input);
    chunkline_free(&c->lines);
    free(c);
}

static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
    struct conn *c = arg;
    struct conns *cs = c->cs;

    ptrmap_del(cs->map, evcon);
    if (!c->busy)
        idle_unlink(cs, c);
    if (c->refused && !cs->stopped)
        start_linger(cs, c);
    conn_release(c, true);
    cs->n--;
    listener_update(cs);
}

/* evhttp's hook for each accepted connection: count it before anything else. */
static struct bufferevent *new_bev(struct event_base *base, void *arg)
{
    struct conns *cs = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    struct conn *c;

    /* The listener pauses at the cap, so adopt[] (cap + 1 slots) never overflows. */
    if (!bev || cs->nadopt > cs->max)
        return bev;
    if (!(c = calloc(1, sizeof(*c))) || chunkline_new(&c->lines) != 0 ||
        !(c->watch = evbuffer_add_cb(bufferevent_get_output(bev), output_cb, c)) ||
        !(c->input = evbuffer_add_cb(bufferevent_get_input(bev), input_cb, c))) {
        if (c)
            conn_release(c, false);
        bufferevent_free(bev); /* with its buffers and their callbacks */
        return NULL;           /* evhttp closes the socket */
    }
    c->cs = cs;
    c->bev = bev;
    bufferevent_incref(bev);
    cs->adopt[cs->nadopt++] = c;
    event_active(cs->adopt_ev, EV_READ, 0);
    cs->n++;
    listener_update(cs);
    return bev;
}

/* libevent writes an answer in pieces of at most 16 KiB: with Nagle's algorithm the
 * second piece waits for the client to acknowledge the first, and a client delays that
 * acknowledgement (40 ms on Linux) while it waits for the rest: every answer over 16 KiB
 * (a page of /urls) took 40 ms more on a kept-alive connection. Nothing here gains from
 * coalescing: an answer is complete when it is written. */
static void no_delay(evutil_socket_t fd)
{
    int one = 1;

    if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
        log_debug("TCP_NODELAY: %s", strerror(errno)); /* not TCP (a test's socketpair) */
}

/* Same loop pass as new_bev, after evhttp made the connection: track it. evhttp makes
 * the connection its bufferevent's callback argument; a freed bufferevent has no
 * callbacks (our reference keeps the memory valid until bufferevent_decref). */
static void adopt_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conns *cs = arg;
    size_t i;

    for (i = 0; i < cs->nadopt; i++) {
        struct conn *c = cs->adopt[i];
        struct bufferevent *bev = c->bev;
        bufferevent_data_cb readcb = NULL;
        void *cbarg = NULL;
        struct evhttp_connection *evcon;

        bufferevent_getcb(bev, &readcb, NULL, NULL, &cbarg);
        evcon = readcb ? cbarg : NULL;
        if (evcon && evhttp_connection_get_bufferevent(evcon) != bev)
            evcon = NULL;
        if (!evcon) {
            cs->n--; /* closed before we saw it (its buffers went with it) */
            conn_release(c, false);
        } else if (ptrmap_put(cs->map, evcon, c) != 0) {
            cs->n--;
            conn_release(c, true);
            evhttp_connection_free(evcon); /* cannot be tracked: refuse it */
        } else {
            c->evcon = evcon;
            no_delay(bufferevent_getfd(bev));
            idle_append(cs, c);
            evhttp_connection_set_closecb(evcon, conn_closed, c);
        }
        bufferevent_decref(bev);
    }
    cs->nadopt = 0;
    listener_update(cs);
}

/* Closes connections that have not delivered a request within the timeout. */
static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conns *cs = arg;
    int64_t now = api_mono_ms();
    struct evhttp_connection *victims[256];
    size_t n = 0, i;
    struct conn *c;

    for (c = cs->idle_head; c && n < ARRAY_LEN(victims); c = c->next) {
        if (now - c->idle_since_ms <= cs->timeout_ms)
            break;
        victims[n++] = c->evcon;
    }
    for (i = 0; i < n; i++)
        evhttp_connection_free(victims[i]); /* conn_closed unlinks it */
}

int conn_open(struct event_base *base, size_t max_conns, unsigned timeout_s,
              struct metrics *metrics, struct conns **out)
{
    struct conns *cs = calloc(1, sizeof(*cs));
    struct timeval sweep = {0, SWEEP_MS * 1000};

    *out = NULL;
    if (!cs)
        return -1;
    cs->metrics = metrics;
    cs->base = base;
    cs->max = max_conns;
    cs->timeout_ms = (int64_t)timeout_s * 1000;
    if (ptrmap_open(max_conns + 1, &cs->map) != 0 ||
        !(cs->adopt = calloc(max_conns + 1, sizeof(*cs->adopt))) ||
        !(cs->adopt_ev = event_new(base, -1, 0, adopt_cb, cs)) ||
        !(cs->sweep_ev = event_new(base, -1, EV_PERSIST, sweep_cb, cs)) ||
        event_add(cs->sweep_ev, &sweep) != 0) {
        conn_free(&cs);
        return -1;
    }
    *out = cs;
    return 0;
}

int conn_watch(struct conns *cs, struct evhttp *http, struct evconnlistener *listener)
{
    cs->listener = listener;
    cs->listening = true;
    evhttp_set_bevcb(http, new_bev, cs);
    return 0;
}

void conn_stop(struct conns *cs)
{
    cs->stopped = true;
    listener_update(cs);
}

long conn_count(const struct conns *cs)
{
    return cs->n;
}

void conn_free(struct conns **csp)
{
    struct conns *cs;

    if (!csp || !*csp)
        return;
    cs = *csp;
    if (cs->adopt_ev)
        event_free(cs->adopt_ev);
    if (cs->sweep_ev)
        event_free(cs->sweep_ev);
    ptrmap_free(&cs->map);
    free(cs->adopt);
    free(cs);
    *csp = NULL;
}
