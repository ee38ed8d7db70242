/* conn.c: per-connection state machine of urlmon-target. See conn.h. */
#include "conn.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h> /* struct event is embedded in struct tconn */

#include "behave.h"
#include "reqhead.h"
#include "worker.h"

#define BLOCK_SIZE (64 * 1024)         /* filler and padding blocks */
#define PAD_LINE 1024                  /* one "X-Pad: ppp...\r\n" line */
#define GARBAGE_SIZE 4096              /* bytes sent by garbage=1 and --garbage */
#define PUMP_HIGH (256 * 1024)         /* queue a full-speed body up to this much */
#define ENDLESS_CHUNK (64 * 1024)      /* endless without drip: this much per drain... */
#define ENDLESS_PAUSE_USEC 4000        /* ...at most every 4 ms (about 16 MiB/s) */
#define DRIP_MAX_QUEUED (1024 * 1024)  /* a dripping body stops queueing past this */
#define LINGER_SEC 2                   /* wait for the client's FIN after shutdown() */
#define READ_HIGH (REQHEAD_MAX + 4096) /* stop reading with this much unprocessed */
#define COPY_MAX 4096                  /* copy filler up to this, reference it beyond */

/* Shared, read-only once tconn_global_init has run. */
static char fill_block[BLOCK_SIZE];
static char pad_block[BLOCK_SIZE];
static char garbage_block[GARBAGE_SIZE];

enum cstate {
    CS_HEAD,      /* reading a request head */
    CS_DELAY,     /* answer decided (and queued with writing off), delay timer running */
    CS_SEND,      /* answer being written, body streamed by pump/tick */
    CS_HANG,      /* never answers; input is thrown away */
    CS_LINGER,    /* write side shut down, waiting for the client's EOF */
    CS_BLACKHOLE, /* raw fd, never read nor written */
};

/* What follows a completely written answer. */
enum after {
    AFTER_NEXT,   /* keep-alive: read the next request */
    AFTER_CLOSE,  /* close the socket */
    AFTER_LINGER, /* shutdown(SHUT_WR), drain input, close on EOF or after LINGER_SEC */
};

struct tconn {
    struct tconn *prev, *next; /* worker's list of live connections */
    struct worker *w;
    struct bufferevent *bev; /* NULL for CS_BLACKHOLE */
    evutil_socket_t fd;      /* CS_BLACKHOLE only */
    struct event ev;         /* timer (delay, drip/endless pacing, linger) or blackhole watch */
    bool ev_assigned;
    struct evbuffer *held; /* literal body waiting to be dripped, usually NULL */
    enum cstate state;
    enum after after;
    bool dead;             /* free once the current callback unwinds */
    bool close_now;        /* close=1: close when the delay is over instead of answering */
    bool answered;         /* start_send wrote the whole answer; complete() is due */
    bool endless;          /* body never ends */
    uint64_t body_left;    /* body bytes not yet queued (filler, or from held) */
    uint64_t discard_left; /* request body bytes still to read and drop */
    uint64_t drip;         /* body bytes per second, 0: full speed */
    uint64_t ticks;        /* drip ticks done */
    size_t fill_off;       /* where in fill_block the body continues */
};

void tconn_global_init(void)
{
    static const char pattern[] = "urlmon-target filler 0123456789 abcdefghijklmnopqrstuvwxyz.\n";
    uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
    size_t i;

    for (i = 0; i < BLOCK_SIZE; i++)
        fill_block[i] = pattern[i % (sizeof(pattern) - 1)];
    for (i = 0; i < BLOCK_SIZE; i += PAD_LINE) {
        memset(pad_block + i, 'p', PAD_LINE);
        memcpy(pad_block + i, "X-Pad: ", 7);
        memcpy(pad_block + i + PAD_LINE - 2, "\r\n", 2);
    }
    for (i = 0; i < GARBAGE_SIZE; i++) {
        x ^= x << 13; /* xorshift64 */
        x ^= x >> 7;
        x ^= x << 17;
        garbage_block[i] = (char)(x >> 24);
    }
    garbage_block[0] = '\x7f'; /* never looks like "HTTP/" */
}

/* A socket error that only means "not now". */
static bool retriable(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static struct timeval tv_usec(uint64_t usec)
{
    struct timeval tv;

    tv.tv_sec = (time_t)(usec / 1000000);
    tv.tv_usec = (suseconds_t)(usec % 1000000);
    return tv;
}

static void arm(struct tconn *c, uint64_t usec)
{
    struct timeval tv = tv_usec(usec);

    /* a timer runs from the loop's cached time, taken when it woke: after a busy pass
     * that is milliseconds ago, and a delay=150 answer came in 148 ms. From now. */
    if (event_base_update_cache_time(event_get_base(&c->ev)) != 0 || evtimer_add(&c->ev, &tv) != 0)
        c->dead = true;
}

static void conn_free(struct tconn *c)
{
    struct tconn **head = worker_conns(c->w);

    if (c->prev)
        c->prev->next = c->next;
    else
        *head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->ev_assigned)
        event_del(&c->ev);
    if (c->held)
        evbuffer_free(c->held);
    if (c->bev)
        bufferevent_free(c->bev); /* closes the socket */
    else if (c->fd >= 0)
        evutil_closesocket(c->fd);
    free(c);
}

void tconn_free_all(struct tconn **head)
{
    while (*head)
        conn_free(*head);
}

/* Add n bytes of filler continuing the pattern at *off: small amounts by copy, big ones by
 * reference to the static block. */
static int add_filler(struct evbuffer *out, uint64_t n, size_t *off)
{
    int rc = 0;

    while (rc == 0 && n > 0) {
        size_t room = BLOCK_SIZE - *off;
        size_t k = n > room ? room : (size_t)n;
        if (k <= COPY_MAX)
            rc = evbuffer_add(out, fill_block + *off, k);
        else
            rc = evbuffer_add_reference(out, fill_block + *off, k, NULL, NULL);
        *off = (*off + k) % BLOCK_SIZE;
        n -= k;
    }
    return rc;
}

static int add_padding(struct evbuffer *out, uint64_t kib)
{
    int rc = 0;
    uint64_t n = kib * 1024;

    while (rc == 0 && n > 0) {
        size_t k = n > BLOCK_SIZE ? BLOCK_SIZE : (size_t)n;
        rc = evbuffer_add_reference(out, pad_block, k, NULL, NULL);
        n -= k;
    }
    return rc;
}

/* Percent-decoded s appended to out (header: CR/LF/NUL made harmless). */
static int add_decoded(struct evbuffer *out, struct behave_str s, bool header)
{
    int rc = 0;
    struct evbuffer_iovec v;

    if (s.len > 0) {
        rc = -1;
        if (evbuffer_reserve_space(out, (ev_ssize_t)s.len, &v, 1) == 1) {
            v.iov_len = behave_decode(s, v.iov_base, header);
            rc = evbuffer_commit_space(out, &v, 1);
        }
    }
    return rc;
}

static const char *reason(uint64_t status)
{
    const char *r;

    switch (status) {
    case 200:
        r = "OK";
        break;
    case 201:
        r = "Created";
        break;
    case 204:
        r = "No Content";
        break;
    case 301:
        r = "Moved Permanently";
        break;
    case 302:
        r = "Found";
        break;
    case 303:
        r = "See Other";
        break;
    case 304:
        r = "Not Modified";
        break;
    case 307:
        r = "Temporary Redirect";
        break;
    case 308:
        r = "Permanent Redirect";
        break;
    case 400:
        r = "Bad Request";
        break;
    case 401:
        r = "Unauthorized";
        break;
    case 403:
        r = "Forbidden";
        break;
    case 404:
        r = "Not Found";
        break;
    case 429:
        r = "Too Many Requests";
        break;
    case 431:
        r = "Request Header Fields Too Large";
        break;
    case 500:
        r = "Internal Server Error";
        break;
    case 501:
        r = "Not Implemented";
        break;
    case 502:
        r = "Bad Gateway";
        break;
    case 503:
        r = "Service Unavailable";
        break;
    case 504:
        r = "Gateway Timeout";
        break;
    default:
        r = status < 200   ? "Informational"
            : status < 300 ? "Success"
            : status < 400 ? "Redirection"
            : status < 500 ? "Client Error"
                           : "Server Error";
    }
    return r;
}

/* Queue full-speed filler until PUMP_HIGH bytes wait in the output. */
static void pump(struct tconn *c)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);

    while (!c->dead && c->body_left > 0 && evbuffer_get_length(out) < PUMP_HIGH) {
        uint64_t k = c->body_left > BLOCK_SIZE ? BLOCK_SIZE : c->body_left;
        if (add_filler(out, k, &c->fill_off) != 0)
            c->dead = true;
        c->body_left -= k;
    }
}

/* Microseconds between drip ticks. */
static uint64_t drip_interval(uint64_t rate)
{
    return rate >= 10 ? 100000 : 1000000 / rate;
}

/* A pacing tick: the next drip slice, or the next endless chunk. */
static void tick(struct tconn *c)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    uint64_t k;

    if (!c->drip) { /* endless at full speed, paced by drains; re-armed by on_write */
        if (evbuffer_get_length(out) < ENDLESS_CHUNK &&
            add_filler(out, ENDLESS_CHUNK, &c->fill_off) != 0)
            c->dead = true;
    } else {
        k = c->drip >= 10 ? c->drip * (c->ticks + 1) / 10 - c->drip * c->ticks / 10 : 1;
        c->ticks++;
        if (k > c->body_left)
            k = c->body_left;
        if (evbuffer_get_length(out) < DRIP_MAX_QUEUED) {
            int rc = c->held ? evbuffer_remove_buffer(c->held, out, (size_t)k) == (int)k ? 0 : -1
                             : add_filler(out, k, &c->fill_off);
            if (rc != 0)
                c->dead = true;
            if (!c->endless)
                c->body_left -= k;
        }
        if (c->body_left > 0)
            arm(c, drip_interval(c->drip));
    }
}

/*
 * Start writing the queued answer. A completely queued answer is written straight away
 * (no write event, no extra loop turn); if it all fits, c->answered is set and the caller
 * runs complete(). Anything else is left to the write event and on_write.
 */
static void start_send(struct tconn *c)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    int n;

    c->state = CS_SEND;
    if (c->drip && c->body_left > 0)
        arm(c, drip_interval(c->drip));
    else if (c->endless)
        tick(c);
    else
        pump(c);
    if (!c->dead && c->body_left == 0) {
        /* bufferevent_socket keeps the output's start frozen; its own write callback thaws
         * it around the write, and so do we */
        evbuffer_unfreeze(out, 1);
        n = evbuffer_write(out, bufferevent_getfd(c->bev));
        evbuffer_freeze(out, 1);
        if (n < 0 && !retriable(errno))
            c->dead = true;
        else if (evbuffer_get_length(out) == 0)
            c->answered = true;
    }
    if (!c->dead && !c->answered && bufferevent_enable(c->bev, EV_WRITE) != 0)
        c->dead = true;
}

/* The delay (if any) is over: close for close=1, otherwise start sending. */
static void go(struct tconn *c)
{
    if (c->close_now)
        c->dead = true;
    else
        start_send(c);
}

static void linger(struct tconn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);

    shutdown(bufferevent_getfd(c->bev), SHUT_WR);
    evbuffer_drain(in, evbuffer_get_length(in));
    c->state = CS_LINGER;
    arm(c, (uint64_t)LINGER_SEC * 1000000);
}

/* The answer has been written completely: close, linger, or get ready for the next
 * request (then returns true; the caller processes the input). */
static bool complete(struct tconn *c)
{
    bool next = false;

    c->answered = false;
    if (c->held) {
        evbuffer_free(c->held);
        c->held = NULL;
    }
    if (c->after == AFTER_CLOSE) {
        c->dead = true;
    } else if (c->after == AFTER_LINGER) {
        linger(c);
    } else {
        /* writing goes back to direct, so the next answer needs no write event */
        c->dead = bufferevent_disable(c->bev, EV_WRITE) != 0;
        c->state = CS_HEAD;
        next = !c->dead;
    }
    return next;
}

static void process_input(struct tconn *c);

/* complete(), then on to the next request. Not for use inside process_input. */
static void finish(struct tconn *c)
{
    if (complete(c))
        process_input(c);
}

/* A short plain-text answer (400, 431, 501). */
static void send_simple(struct tconn *c, int status, const char *text, bool keep)
{
    char head[256];
    size_t tlen = strlen(text);
    int n =
        snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n",
                 status, reason((uint64_t)status), tlen + 1, keep ? "" : "Connection: close\r\n");
    struct evbuffer *out = bufferevent_get_output(c->bev);

    c->after = keep ? AFTER_NEXT : AFTER_LINGER;
    c->body_left = 0;
    c->endless = false;
    c->drip = 0;
    if (n < 0 || (size_t)n >= sizeof(head) || evbuffer_add(out, head, (size_t)n) != 0 ||
        evbuffer_add(out, text, tlen) != 0 || evbuffer_add(out, "\n", 1) != 0)
        c->dead = true;
    else
        start_send(c);
}

/* The garbage answer: random bytes, then a lingering close. */
static int queue_garbage(struct tconn *c)
{
    c->after = AFTER_LINGER;
    c->body_left = 0;
    c->endless = false;
    c->drip = 0;
    return evbuffer_add_reference(bufferevent_get_output(c->bev), garbage_block, GARBAGE_SIZE, NULL,
                                  NULL);
}

/* Status line, headers and (unless streamed later) body of an HTTP answer. */
static int build_answer(struct tconn *c, const struct reqhead *h, const struct behave *b)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    struct evbuffer *body = out;
    uint64_t status = b->status != BEHAVE_UNSET ? b->status : 200;
    uint64_t blen;
    bool bodyless, send_body;
    char line[128];
    int n, rc = 0, ret = -1;

    if (b->kind == BEHAVE_LOOP || b->kind == BEHAVE_REDIRECT)
        status = (b->kind == BEHAVE_LOOP && status >= 300 && status < 400) ? status : 302;
    else if (b->kind == BEHAVE_LOCATION && b->status == BEHAVE_UNSET)
        status = 302;
    bodyless = status < 200 || status == 204 || status == 304;
    send_body = !bodyless && !h->is_head;
    c->endless = b->endless && !bodyless;
    if (b->body.p)
        blen = behave_decoded_len(b->body);
    else if (b->size != BEHAVE_UNSET)
        blen = b->size;
    else
        blen = 3 + b->path.len + 1; /* "ok <path>\n" */
    if (c->endless || status < 200)
        c->after = AFTER_CLOSE;

    n = snprintf(line, sizeof(line), "HTTP/1.1 %u %s\r\nContent-Type: ", (unsigned)status,
                 reason(status));
    rc |= evbuffer_add(out, line, (size_t)n);
    if (b->ctype.p)
        rc |= add_decoded(out, b->ctype, true);
    else
        rc |= evbuffer_add(out, "text/plain", 10);
    rc |= evbuffer_add(out, "\r\n", 2);
    if (b->kind == BEHAVE_LOOP || b->kind == BEHAVE_REDIRECT || b->kind == BEHAVE_LOCATION) {
        rc |= evbuffer_add(out, "Location: ", 10);
        if (b->kind == BEHAVE_LOOP) {
            rc |= evbuffer_add(out, h->target, h->target_len);
        } else if (b->kind == BEHAVE_REDIRECT) {
            rc |= behave_add_redirect_location(b, out);
        } else {
            rc |= add_decoded(out, b->location, true);
        }
        rc |= evbuffer_add(out, "\r\n", 2);
    }
    if (!bodyless && !c->endless) {
        n = snprintf(line, sizeof(line), "Content-Length: %llu\r\n", (unsigned long long)blen);
        rc |= evbuffer_add(out, line, (size_t)n);
    }
    if (c->after != AFTER_NEXT)
        rc |= evbuffer_add(out, "Connection: close\r\n", 19);
    else if (h->minor == 0)
        rc |= evbuffer_add(out, "Connection: keep-alive\r\n", 24);
    rc |= add_padding(out, b->headers_kb);
    rc |= evbuffer_add(out, "\r\n", 2);

    c->drip = send_body ? b->drip : 0;
    c->body_left = 0;
    if (!send_body) {
        c->endless = false;
    } else if (c->endless) {
        c->body_left = UINT64_MAX;
    } else if (!b->body.p && b->size != BEHAVE_UNSET) {
        c->body_left = blen; /* filler, streamed by pump/tick */
    } else {
        if (c->drip) { /* literal body to be dripped: hold it aside */
            if (!(body = c->held = evbuffer_new()))
                goto out;
            c->body_left = blen;
        }
        if (b->body.p) {
            rc |= add_decoded(body, b->body, false);
        } else {
            rc |= evbuffer_add(body, "ok ", 3);
            rc |= evbuffer_add(body, b->path.p, b->path.len);
            rc |= evbuffer_add(body, "\n", 1);
        }
    }
    ret = rc;
out:
    return ret;
}

/* Queue the answer behave asks for (writing off while a delay runs), then wait or send. */
static void answer(struct tconn *c, const struct reqhead *h, const struct behave *b)
{
    c->after = h->keepalive ? AFTER_NEXT : AFTER_CLOSE;
    c->close_now = false;
    c->ticks = 0;
    c->fill_off = 0;
    if (b->delay_ms > 0 && bufferevent_disable(c->bev, EV_WRITE) != 0)
        c->dead = true;
    else if (b->kind == BEHAVE_CLOSE)
        c->close_now = true;
    else if (b->kind == BEHAVE_GARBAGE)
        c->dead = queue_garbage(c) != 0;
    else
        c->dead = build_answer(c, h, b) != 0;
    if (!c->dead && b->delay_ms > 0) {
        c->state = CS_DELAY;
        arm(c, b->delay_ms * 1000);
    } else if (!c->dead) {
        go(c);
    }
}

/* One complete request head buf[0..len) has arrived. */
static void handle_request(struct tconn *c, const char *buf, size_t len)
{
    struct reqhead h;
    struct behave b;
    char err[160];
    int parsed = reqhead_parse(buf, len, &h);

    if (parsed == 0) {
        worker_log_request(c->w, h.method, h.method_len, h.target, h.target_len);
        c->discard_left = h.content_length;
    }
    if (parsed != 0)
        send_simple(c, 400, "malformed request head", false);
    else if (h.chunked)
        send_simple(c, 501, "chunked request bodies are not supported", false);
    else if (behave_parse(h.target, h.target_len, &b, err, sizeof(err)) != 0)
        send_simple(c, 400, err, h.keepalive);
    else if (b.kind == BEHAVE_HANG)
        c->state = CS_HANG;
    else
        answer(c, &h, &b);
}

static void discard_body(struct tconn *c, struct evbuffer *in)
{
    size_t len = evbuffer_get_length(in);
    size_t n = c->discard_left < len ? (size_t)c->discard_left : len;

    if (n > 0) {
        evbuffer_drain(in, n);
        c->discard_left -= n;
    }
}

/* Handle every complete request head waiting in the input, one at a time. */
static void process_input(struct tconn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);

    discard_body(c, in);
    while (!c->dead && c->state == CS_HEAD && c->discard_left == 0) {
        size_t len = evbuffer_get_length(in);
        size_t lim = len < REQHEAD_MAX ? len : REQHEAD_MAX;
        const char *buf;
        size_t hl;

        if (len == 0)
            break;
        if (!(buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)lim))) {
            c->dead = true;
            break;
        }
        if ((hl = reqhead_find_end(buf, lim)) == 0) {
            if (len >= REQHEAD_MAX)
                send_simple(c, 431, "request head larger than 64 KiB", false);
            if (c->answered)
                (void)complete(c);
            break;
        }
        handle_request(c, buf, hl);
        evbuffer_drain(in, hl);
        discard_body(c, in);
        if (c->answered)
            (void)complete(c); /* the loop goes on with a pipelined request */
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct tconn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    if (c->state == CS_HEAD)
        process_input(c);
    else if (c->state == CS_HANG || c->state == CS_LINGER)
        evbuffer_drain(in, evbuffer_get_length(in));
    else
        discard_body(c, in); /* pipelined requests wait until the answer is written */
    if (c->dead)
        conn_free(c);
}

/* The output has drained completely. */
static void on_write(struct bufferevent *bev, void *arg)
{
    struct tconn *c = arg;

    (void)bev;
    if (c->state == CS_SEND) {
        if (c->body_left == 0)
            finish(c);
        else if (c->endless && !c->drip)
            arm(c, ENDLESS_PAUSE_USEC);
        else if (!c->drip)
            pump(c);
        /* dripping: the tick timer adds more */
    }
    if (c->dead)
        conn_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct tconn *c = arg;

    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
        c->dead = true; /* the client went away (a half-close counts as going away) */
    if (c->dead)
        conn_free(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct tconn *c = arg;

    (void)fd;
    (void)what;
    if (c->state == CS_DELAY) {
        go(c);
        if (c->answered)
            finish(c);
    } else if (c->state == CS_SEND) {
        tick(c);
    } else if (c->state == CS_LINGER) {
        c->dead = true;
    }
    if (c->dead)
        conn_free(c);
}

/* Blackhole: only notice the client leaving. EV_CLOSED covers a FIN; a reset (or a FIN
 * behind unread data where EV_CLOSED is unsupported) shows in the TCP state. */
static void on_blackhole(evutil_socket_t fd, short what, void *arg)
{
    struct tconn *c = arg;
    struct tcp_info ti;
    socklen_t len = sizeof(ti);

    if ((what & EV_CLOSED) || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        ti.tcpi_state != TCP_ESTABLISHED)
        c->dead = true;
    if (c->dead)
        conn_free(c);
}

/*
 * Under load the request is usually there by the time the connection is accepted: read
 * and answer it at once, so a fresh-connection request may never touch epoll at all.
 */
static void read_now(struct tconn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    struct evbuffer_iovec v;
    ssize_t n;

    /* bufferevent_socket keeps the input's end frozen; its read callback thaws it around
     * the read, and so do we (as start_send does with the output's start) */
    evbuffer_unfreeze(in, 0);
    if (evbuffer_reserve_space(in, 4096, &v, 1) == 1) {
        n = recv(bufferevent_getfd(c->bev), v.iov_base, v.iov_len, 0);
        v.iov_len = n > 0 ? (size_t)n : 0;
        if (evbuffer_commit_space(in, &v, 1) != 0 || n == 0 || (n < 0 && !retriable(errno)))
            c->dead = true;
    }
    evbuffer_freeze(in, 0);
    if (!c->dead && evbuffer_get_length(in) > 0)
        process_input(c);
}

void tconn_accept(struct worker *w, evutil_socket_t fd, enum tgt_mode mode)
{
    struct event_base *base = worker_base(w);
    struct tconn **head = worker_conns(w);
    struct tconn *c = calloc(1, sizeof(*c));

    if (!c) {
        evutil_closesocket(fd);
        return;
    }
    worker_count_conn(w);
    c->w = w;
    c->fd = fd;
    c->next = *head;
    if (*head)
        (*head)->prev = c;
    *head = c;
    if (mode == TGT_MODE_BLACKHOLE) {
        c->state = CS_BLACKHOLE;
        c->ev_assigned = event_assign(&c->ev, base, fd, EV_READ | EV_CLOSED | EV_ET | EV_PERSIST,
                                      on_blackhole, c) == 0;
        if (!c->ev_assigned || event_add(&c->ev, NULL) != 0)
            c->dead = true;
        goto out;
    }
    c->ev_assigned = evtimer_assign(&c->ev, base, on_timer, c) == 0;
    if (!c->ev_assigned) {
        c->dead = true;
        goto out;
    }
    if (!(c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE))) {
        c->dead = true;
        goto out;
    }
    c->fd = -1; /* owned by the bufferevent now */
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_setwatermark(c->bev, EV_READ, 0, READ_HIGH);
    bufferevent_set_max_single_write(c->bev, PUMP_HIGH);
    /* answers are written directly when they can be; start_send enables EV_WRITE if not */
    if (bufferevent_disable(c->bev, EV_WRITE) != 0) {
        c->dead = true;
        goto out;
    }
    c->state = CS_HEAD;
    if (mode == TGT_MODE_GARBAGE) {
        if (queue_garbage(c) != 0)
            c->dead = true;
        else
            start_send(c);
        if (c->answered)
            finish(c);
    } else {
        read_now(c);
    }
    if (!c->dead && bufferevent_enable(c->bev, EV_READ) != 0)
        c->dead = true;
out:
    if (c->dead)
        conn_free(c);
}
