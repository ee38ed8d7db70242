/* compute/delivery.c: see delivery.h. */
#include "delivery.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alertmsg.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "outbox.h"
#include "sqlbuf.h"

#define CLAIM_MAX 32
#define IDLE_POLL_MS 1000
#define SWEEP_MS 10000 /* between closings of deactivated URLs' incidents */

struct target {
    char url[1024]; /* Alertmanager: base + /api/v2/alerts */
    char label[96]; /* scheme://host[:port] for logs: a webhook path often is a secret */
    bool am;
};

struct post {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    size_t item;     /* index into the claimed items, SIZE_MAX = a re-post */
    unsigned target; /* index into targets */
    bool done;
    CURLcode code;
    long status;
    char errbuf[CURL_ERROR_SIZE];
};

struct delivery {
    const struct config *cfg;
    unsigned hold_s;
    struct target targets[DELIVERY_MAX_TARGETS];
    unsigned ntargets;
    bool any_am;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    int64_t deadline; /* clock_mono_ms; valid when stopping */
    /* the thread's own */
    MYSQL *conn;
    struct sqlbuf *buf;
    CURLM *multi;
    int64_t next_repost, next_connect, next_sweep;
    unsigned seed;
    struct outbox_item items[CLAIM_MAX];
    struct delivery_stats st;
};

int delivery_parse_targets(const char *list, char (*out)[1024], int max, char *err, size_t errlen)
{
    const char *p = list, *end;
    int n = 0;

    while (*p) {
        size_t len;
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        end = strchr(p, ',');
        len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (n >= max || len >= 1024 - 16) {
            snprintf(err, errlen, "%s", n >= max ? "too many targets" : "a target URL is too long");
            return -1;
        }
        if (strncasecmp(p, "http://", 7) != 0 && strncasecmp(p, "https://", 8) != 0) {
            /* the value is not quoted: a webhook URL may carry a token */
            snprintf(err, errlen, "entry %d is not an http:// or https:// URL", n + 1);
            return -1;
        }
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        n++;
        p += len;
    }
    return n;
}

static bool stopping(struct delivery *d, bool *past_deadline)
{
    bool s;

    pthread_mutex_lock(&d->lock);
    s = d->stopping;
    *past_deadline = s && clock_mono_ms() >= d->deadline;
    pthread_mutex_unlock(&d->lock);
    return s;
}

static void idle(struct delivery *d, int64_t ms)
{
    struct timespec ts;

    clock_deadline_ts(&ts, ms);
    pthread_mutex_lock(&d->lock);
    if (!d->stopping)
        (void)pthread_cond_timedwait(&d->wake, &d->lock, &ts);
    pthread_mutex_unlock(&d->lock);
}

static bool ensure_conn(struct delivery *d)
{
    char err[URLMON_ERRLEN];

    if (d->conn)
        return true;
    if (clock_mono_ms() < d->next_connect)
        return false;
    if (!(d->conn = db_connect(d->cfg, err, sizeof(err)))) {
        log_warn("alert delivery: %s", err);
        d->next_connect = clock_mono_ms() + 5000;
        return false;
    }
    return true;
}

/* ---- posts -------------------------------------------------------------------- */

static void post_clear(struct post *p)
{
    if (p->easy)
        curl_easy_cleanup(p->easy);
    curl_slist_free_all(p->headers);
    cJSON_free(p->body);
    memset(p, 0, sizeof(*p));
}

static int post_prepare(struct delivery *d, struct post *p, const char *event_id)
{
    char sig[96], h[160];
    int bad = 0;

    if (!(p->easy = curl_easy_init()))
        return -1;
    p->headers = curl_slist_append(p->headers, "Content-Type: application/json");
    if (!d->targets[p->target].am) {
        if (d->cfg->webhook_secret[0]) {
            alertmsg_signature(d->cfg->webhook_secret, p->body, strlen(p->body), sig, sizeof(sig));
            snprintf(h, sizeof(h), "X-Urlmon-Signature: %s", sig);
            p->headers = curl_slist_append(p->headers, h);
        }
        snprintf(h, sizeof(h), "X-Urlmon-Event: %s", event_id);
        p->headers = curl_slist_append(p->headers, h);
    }
    p->headers = curl_slist_append(p->headers, "Expect:");
    if (!p->headers)
        return -1;
    bad |= curl_easy_setopt(p->easy, CURLOPT_URL, d->targets[p->target].url) != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_PRIVATE, (void *)p) != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_ERRORBUFFER, p->errbuf) != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_TIMEOUT, (long)DELIVERY_POST_TIMEOUT_S) != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_CONNECTTIMEOUT, 5L) != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_USERAGENT, "urlmon/" URLMON_VERSION) != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_HTTPHEADER, p->headers) != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_POSTFIELDS, p->body) != CURLE_OK;
    bad |= curl_easy_setopt(p->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(p->body)) != CURLE_OK;
    return bad ? -1 : 0;
}

/* Runs the posts, DELIVERY_INFLIGHT at a time. A stop deadline that passes aborts what
 * is still running (those posts count as not delivered). */
static void run_posts(struct delivery *d, struct post *posts, size_t n)
{
    size_t next = 0, running = 0;
    bool past = false;
    CURLMsg *m;
    int left;

    while (next < n || running > 0) {
        while (next < n && running < DELIVERY_INFLIGHT) {
            struct post *p = &posts[next++];
            if (!p->easy || curl_multi_add_handle(d->multi, p->easy) != CURLM_OK) {
                p->done = true;
                p->code = CURLE_FAILED_INIT;
                continue;
            }
            running++;
        }
        (void)curl_multi_perform(d->multi, &left);
        while ((m = curl_multi_info_read(d->multi, &left))) {
            struct post *p = NULL;
            if (m->msg != CURLMSG_DONE)
                continue;
            (void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&p);
            p->code = m->data.result;
            (void)curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &p->status);
            p->done = true;
            curl_multi_remove_handle(d->multi, m->easy_handle);
            running--;
        }
        (void)stopping(d, &past);
        if (past)
            break;
        if (running > 0)
            (void)curl_multi_poll(d->multi, NULL, 0, 100, NULL);
    }
    for (next = 0; next < n; next++)
        if (!posts[next].done && posts[next].easy)
            curl_multi_remove_handle(d->multi, posts[next].easy);
}

enum outcome { OUT_OK, OUT_FINAL, OUT_RETRY };

static enum outcome judge(const struct post *p, char *why, size_t len)
{
    if (!p->done) {
        snprintf(why, len, "not finished before the stop");
        return OUT_RETRY;
    }
    if (p->code != CURLE_OK) {
        snprintf(why, len, "%s", p->errbuf[0] ? p->errbuf : curl_easy_strerror(p->code));
        return OUT_RETRY;
    }
    if (p->status >= 200 && p->status <= 299)
        return OUT_OK;
    snprintf(why, len, "HTTP %ld", p->status);
    if (p->status >= 400 && p->status <= 499 && p->status != 408 && p->status != 429)
        return OUT_FINAL;
    return OUT_RETRY;
}

static unsigned backoff_s(struct delivery *d, unsigned attempts)
{
    unsigned base = DELIVERY_BACKOFF_BASE_S, i;

    for (i = 1; i < attempts && base < DELIVERY_BACKOFF_MAX_S; i++)
        base *= 2;
    if (base > DELIVERY_BACKOFF_MAX_S)
        base = DELIVERY_BACKOFF_MAX_S;
    /* jitter: half to all of it, so senders that failed together do not return together */
    return base / 2 + (unsigned)(rand_r(&d->seed) % (base / 2 + 1));
}

/* ---- one claimed batch of events ------------------------------------------------ */

static char *body_for(struct delivery *d, const struct target *t, const struct alertmsg_event *e)
{
    cJSON *arr;

    if (!t->am)
        return alertmsg_webhook(e);
    if (!(arr = alertmsg_am_begin()))
        return NULL;
    if (alertmsg_am_add(arr, e, clock_wall_ms(), d->hold_s) != 0) {
        cJSON_Delete(arr);
        return NULL;
    }
    return alertmsg_am_end(arr);
}

static void record(struct delivery *d, struct outbox_item *it, struct post *posts, size_t nposts,
                   size_t idx)
{
    uint64_t all = d->ntargets >= 64 ? UINT64_MAX : (((uint64_t)1 << d->ntargets) - 1);
    char why[URLMON_ERRLEN + 256] = "", one[URLMON_ERRLEN], err[URLMON_ERRLEN];
    enum outbox_verdict v;
    bool refused = false;
    unsigned retry = 0;
    size_t i;

    for (i = 0; i < nposts; i++) {
        if (posts[i].item != idx)
            continue;
        switch (judge(&posts[i], one, sizeof(one))) {
        case OUT_OK:
            it->targets_done |= (uint64_t)1 << posts[i].target;
            break;
        case OUT_FINAL:
            it->targets_done |= (uint64_t)1 << posts[i].target;
            refused = true;
            /* fall through */
        case OUT_RETRY:
            snprintf(why, sizeof(why), "%s: %.200s", d->targets[posts[i].target].label, one);
            break;
        }
    }
    if ((it->targets_done & all) == all)
        v = refused ? OUTBOX_FAILED : OUTBOX_SENT;
    else if (clock_wall_ms() - it->ev.created_ms >= (int64_t)d->cfg->webhook_retry_seconds * 1000)
        v = OUTBOX_FAILED;
    else {
        v = OUTBOX_RETRY;
        retry = backoff_s(d, it->attempts + 1);
    }
    if (v == OUTBOX_FAILED) {
        log_error("alert event %s (%s of %s) not delivered: %s", it->ev.event_id,
                  alertmsg_type_name(it->ev.type), it->ev.url, why);
        d->st.failed++;
    } else if (v == OUTBOX_SENT)
        d->st.sent++;
    else {
        log_warn("alert event %s: %s; retrying in %u s", it->ev.event_id, why, retry);
        d->st.retried++;
    }
    if (outbox_done(d->conn, d->buf, it, v, retry, why, err, sizeof(err)) != 0) {
        log_warn("alert delivery: %s", err); /* the claim runs out: it is sent again */
        db_close(&d->conn);
    }
}

/* The events of the claim whose earlier events of the same incident (the claim is in id
 * order) are in waves before them, so a receiver gets an incident's opening before its
 * closing when both are due together. */
static unsigned wave_of(const struct delivery *d, size_t i)
{
    unsigned w = 0;
    size_t k;

    for (k = 0; k < i; k++)
        w += d->items[k].ev.incident_id == d->items[i].ev.incident_id;
    return w;
}

static void deliver_wave(struct delivery *d, size_t n, unsigned wave, struct post *posts)
{
    size_t np = 0, i;
    unsigned t;

    for (i = 0; i < n; i++) {
        if (wave_of(d, i) != wave)
            continue;
        for (t = 0; t < d->ntargets; t++) {
            struct post *p = &posts[np];
            if (d->items[i].targets_done & ((uint64_t)1 << t))
                continue;
            p->item = i;
            p->target = t;
            if (!(p->body = body_for(d, &d->targets[t], &d->items[i].ev)) ||
                post_prepare(d, p, d->items[i].ev.event_id) != 0)
                snprintf(p->errbuf, sizeof(p->errbuf), "cannot prepare the post");
            np++;
        }
    }
    run_posts(d, posts, np);
    for (i = 0; i < n && d->conn; i++)
        if (wave_of(d, i) == wave)
            record(d, &d->items[i], posts, np, i);
    for (i = 0; i < np; i++)
        post_clear(&posts[i]);
}

static void deliver(struct delivery *d, size_t n)
{
    struct post *posts = calloc((size_t)n * (d->ntargets ? d->ntargets : 1), sizeof(*posts));
    unsigned wave, last = 0;
    size_t i;
    bool past;

    if (!posts) {
        log_error("alert delivery: out of memory");
        return;
    }
    for (i = 0; i < n; i++)
        if (wave_of(d, i) > last)
            last = wave_of(d, i);
    for (wave = 0; wave <= last && d->conn; wave++) {
        (void)stopping(d, &past);
        if (past)
            break; /* the rest keeps its claim and is taken again later */
        deliver_wave(d, n, wave, posts);
    }
    free(posts);
}

/* ---- Alertmanager re-posts ------------------------------------------------------ */

struct repost {
    cJSON *arr;
    int64_t now_ms;
    unsigned hold_s;
    size_t count;
};

static int add_incident(void *arg, const struct alertmsg_event *ev)
{
    struct repost *r = arg;
    struct alertmsg_event e = *ev;

    e.created_ms = r->now_ms;
    r->count++;
    return alertmsg_am_add(r->arr, &e, r->now_ms, r->hold_s);
}

/* Every open incident (and those closed within hold_s, so a lost resolve is repeated)
 * to each Alertmanager, as one array per post. */
static void repost(struct delivery *d)
{
    struct repost r = {NULL, clock_wall_ms(), d->hold_s, 0};
    struct post posts[DELIVERY_MAX_TARGETS];
    char err[URLMON_ERRLEN], why[URLMON_ERRLEN];
    char *body = NULL;
    size_t np = 0, i;
    unsigned t;

    memset(posts, 0, sizeof(posts));
    if (!(r.arr = alertmsg_am_begin()))
        return;
    if (outbox_incidents(d->conn, d->hold_s, add_incident, &r, err, sizeof(err)) != 0) {
        log_warn("alert delivery: %s", err);
        cJSON_Delete(r.arr);
        db_close(&d->conn);
        return;
    }
    if (r.count == 0) {
        cJSON_Delete(r.arr);
        return;
    }
    if (!(body = alertmsg_am_end(r.arr)))
        return;
    for (t = 0; t < d->ntargets; t++) {
        struct post *p = &posts[np];
        if (!d->targets[t].am)
            continue;
        p->item = SIZE_MAX;
        p->target = t;
        if (!(p->body = malloc(strlen(body) + 1)))
            continue;
        memcpy(p->body, body, strlen(body) + 1);
        if (post_prepare(d, p, "") != 0)
            snprintf(p->errbuf, sizeof(p->errbuf), "cannot prepare the post");
        np++;
    }
    run_posts(d, posts, np);
    for (i = 0; i < np; i++) {
        if (judge(&posts[i], why, sizeof(why)) != OUT_OK)
            log_warn("alert re-post to %s: %s", d->targets[posts[i].target].label, why);
        post_clear(&posts[i]);
    }
    d->st.reposts++;
    cJSON_free(body);
}

/* ---- the thread ------------------------------------------------------------------ */

static void *delivery_main(void *arg)
{
    struct delivery *d = arg;
    char err[URLMON_ERRLEN];
    bool past;
    size_t n;

    log_context_run(0, NULL, "delivery");
    for (;;) {
        bool stop = stopping(d, &past);
        if (past)
            break;
        if (!ensure_conn(d)) {
            if (stop)
                break; /* MySQL away: the events wait in the outbox */
            idle(d, 1000);
            continue;
        }
        if (clock_mono_ms() >= d->next_sweep) {
            unsigned closed = 0;
            d->next_sweep = clock_mono_ms() + SWEEP_MS;
            if (outbox_close_inactive(d->conn, d->buf, &closed, err, sizeof(err)) != 0) {
                log_warn("alert delivery: %s", err);
                db_close(&d->conn);
                continue;
            }
            if (closed > 0)
                log_info("closed %u incident(s) of deactivated URLs", closed);
        }
        if (d->any_am && clock_mono_ms() >= d->next_repost) {
            repost(d);
            d->next_repost = clock_mono_ms() + (int64_t)d->cfg->alertmanager_resend * 1000;
            continue;
        }
        if (outbox_claim(d->conn, d->buf, CLAIM_MAX, d->items, &n, err, sizeof(err)) != 0) {
            log_warn("alert delivery: %s", err);
            db_close(&d->conn);
            continue;
        }
        if (n > 0) {
            deliver(d, n);
            continue;
        }
        if (stop)
            break; /* nothing more is due */
        idle(d, IDLE_POLL_MS);
    }
    db_close(&d->conn);
    log_context_clear();
    return NULL;
}

/* "https://host:port" of a target URL: its path and query (a Slack or Mattermost
 * webhook's token) and any user:password never reach a log line or last_error. */
static void target_label(const char *url, char *out, size_t len)
{
    const char *host = strstr(url, "://"), *end, *at;
    size_t scheme;

    if (!host) {
        snprintf(out, len, "?");
        return;
    }
    scheme = (size_t)(host - url);
    host += 3;
    end = host + strcspn(host, "/?#");
    at = memchr(host, '@', (size_t)(end - host));
    if (at)
        host = at + 1;
    snprintf(out, len, "%.*s://%.*s", (int)scheme, url, (int)(end - host > 64 ? 64 : end - host),
             host);
}

static int add_targets(struct delivery *d, const char *list, bool am, const char *var, char *err,
                       size_t errlen)
{
    char(*urls)[1024] = calloc(DELIVERY_MAX_TARGETS, 1024);
    char why[URLMON_ERRLEN];
    int n, i, rc = -1;

    if (!urls) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if ((n = delivery_parse_targets(list, urls, DELIVERY_MAX_TARGETS - (int)d->ntargets, why,
                                    sizeof(why))) < 0) {
        snprintf(err, errlen, "%s: %s", var, why);
        goto out;
    }
    for (i = 0; i < n; i++) {
        struct target *t = &d->targets[d->ntargets++];
        size_t len = strlen(urls[i]);
        while (am && len > 0 && urls[i][len - 1] == '/')
            urls[i][--len] = '\0';
        snprintf(t->url, sizeof(t->url), "%s%s", urls[i], am ? "/api/v2/alerts" : "");
        target_label(urls[i], t->label, sizeof(t->label));
        t->am = am;
        d->any_am |= am;
    }
    rc = 0;
out:
    free(urls);
    return rc;
}

int delivery_start(const struct config *cfg, unsigned hold_s, struct delivery **out, char *err,
                   size_t errlen)
{
    struct delivery *d = calloc(1, sizeof(*d));
    int rc = -1;

    *out = NULL;
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    d->cfg = cfg;
    d->hold_s = hold_s;
    d->seed = (unsigned)clock_wall_ms() ^ (unsigned)(uintptr_t)d;
    pthread_mutex_init(&d->lock, NULL);
    if (clock_cond_init(&d->wake) != 0 || sqlbuf_new(&d->buf) != 0 ||
        !(d->multi = curl_multi_init())) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (add_targets(d, cfg->alertmanager_url, true, "ALERTMANAGER_URL", err, errlen) != 0 ||
        add_targets(d, cfg->webhook_urls, false, "WEBHOOK_URLS", err, errlen) != 0)
        goto out;
    if (pthread_create(&d->thread, NULL, delivery_main, d) != 0) {
        snprintf(err, errlen, "cannot start the alert delivery thread");
        goto out;
    }
    pthread_setname_np(d->thread, "delivery");
    d->started = true;
    *out = d;
    d = NULL;
    rc = 0;
out:
    delivery_stop(&d, 0, NULL);
    return rc;
}

void delivery_stop(struct delivery **dp, unsigned timeout_s, struct delivery_stats *st)
{
    struct delivery *d;

    if (!dp || !*dp)
        return;
    d = *dp;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    d->deadline = clock_mono_ms() + (int64_t)timeout_s * 1000;
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&d->lock);
    if (d->started)
        pthread_join(d->thread, NULL);
    if (st)
        *st = d->st;
    if (d->multi)
        curl_multi_cleanup(d->multi);
    sqlbuf_free(&d->buf);
    db_close(&d->conn);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->wake);
    free(d);
    *dp = NULL;
}
