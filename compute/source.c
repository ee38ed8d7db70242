/* compute/source.c: see source.h. */
#include "source.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "common.h"
#include <errmsg.h>

#include "db.h"
#include "log.h"
#include "stmt.h"

struct page {
    size_t n, next;
    uint64_t ids[SOURCE_PAGE];
    size_t url_off[SOURCE_PAGE], rx_off[SOURCE_PAGE];
    char *arena;
    size_t alen, acap;
};

struct source {
    const struct config *cfg;
    unsigned k, n;
    bool due_only;
    int64_t slot_start, slot_end; /* UTC seconds, when due_only */
    int64_t max_interval;         /* seconds: the due test's partition bound (source.h) */
    atomic_int *stop;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* a page is ready / there is room / state changed */
    struct page *cur;    /* being handed out */
    struct page *ready;  /* next to hand out */
    bool finished;       /* the producer is done (see failed) */
    bool failed;
    bool cancel;
    uint64_t delivered;
    char errstr[URLMON_ERRLEN];
    /* producer-only state */
    MYSQL *conn;
    MYSQL_STMT *stmt;
    unsigned last_errno; /* the failed page read's error, 0 = not a MySQL one */
    char url[URLRULE_MAX_LEN + 2];
    char rx[RX_MAX_PATTERN + 1];
};

static const char page_sql[] = "SELECT id, url, COALESCE(regex, '') FROM urls"
                               " WHERE active = 1 AND id % ? = ? AND id > ?"
                               " ORDER BY id LIMIT 5000";
static const char due_page_sql[] =
    "SELECT u.id, u.url, COALESCE(u.regex, '') FROM urls u"
    " WHERE u.active = 1 AND u.id % ? = ? AND u.id > ?" SOURCE_DUE_SQL " ORDER BY u.id LIMIT 5000";

static void page_free(struct page **p)
{
    if (p && *p) {
        free((*p)->arena);
        free(*p);
        *p = NULL;
    }
}

static int arena_add(struct page *p, const char *s, size_t len, size_t *off)
{
    if (p->alen + len + 1 > p->acap) {
        size_t ncap = p->acap ? p->acap * 2 : 256 * 1024;
        char *na;
        while (ncap < p->alen + len + 1)
            ncap *= 2;
        if (!(na = realloc(p->arena, ncap)))
            return -1;
        p->arena = na;
        p->acap = ncap;
    }
    memcpy(p->arena + p->alen, s, len);
    p->arena[p->alen + len] = '\0';
    *off = p->alen;
    p->alen += len + 1;
    return 0;
}

static void close_conn(struct source *s)
{
    stmt_close(&s->stmt);
    db_close(&s->conn);
}

static int open_conn(struct source *s, char *err, size_t errlen)
{
    char e[URLMON_ERRLEN];

    close_conn(s);
    if (!(s->conn = db_connect(s->cfg, err, errlen)))
        return -1;
    if (stmt_prepare(s->conn, s->due_only ? due_page_sql : page_sql, &s->stmt, e, sizeof(e)) != 0) {
        snprintf(err, errlen, "preparing the URL query: %.200s", e);
        return -1;
    }
    return 0;
}

/* One page after last_id into *out (allocated). Returns 0, -1 on error (err). */
static int fetch_page(struct source *s, uint64_t last_id, struct page **out, char *err,
                      size_t errlen)
{
    struct stmt_params pp;
    MYSQL_BIND rb[3];
    unsigned long long id = 0;
    uint64_t after = last_id;
    uint32_t mod = s->n, rem = s->k;
    unsigned long ulen = 0, rlen = 0;
    struct page *p = calloc(1, sizeof(*p));
    char e[URLMON_ERRLEN] = "";
    int r, rc = -1;

    stmt_params_init(&pp);
    stmt_param_u32(&pp, &mod);
    stmt_param_u32(&pp, &rem);
    stmt_param_u64(&pp, &after);
    if (s->due_only) {
        stmt_param_i64(&pp, &s->slot_start);
        stmt_param_i64(&pp, &s->slot_end);
        stmt_param_i64(&pp, &s->slot_start);
        stmt_param_i64(&pp, &s->slot_end);
        stmt_param_i64(&pp, &s->max_interval);
    }
    memset(rb, 0, sizeof(rb));
    rb[0].buffer_type = MYSQL_TYPE_LONGLONG;
    rb[0].buffer = &id;
    rb[0].is_unsigned = 1;
    rb[1].buffer_type = MYSQL_TYPE_STRING;
    rb[1].buffer = s->url;
    rb[1].buffer_length = sizeof(s->url);
    rb[1].length = &ulen;
    rb[2].buffer_type = MYSQL_TYPE_STRING;
    rb[2].buffer = s->rx;
    rb[2].buffer_length = sizeof(s->rx);
    rb[2].length = &rlen;
    s->last_errno = 0;
    if (!p) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (stmt_execute_params(s->stmt, &pp, e, sizeof(e)) != 0)
        goto sqlerr;
    if (mysql_stmt_bind_result(s->stmt, rb) != 0)
        goto sqlerr_stmt;
    while ((r = mysql_stmt_fetch(s->stmt)) == 0 || r == MYSQL_DATA_TRUNCATED) {
        if (r == MYSQL_DATA_TRUNCATED || p->n >= SOURCE_PAGE) {
            log_warn("URL %llu: too long for a check, skipped", id);
            continue;
        }
        p->ids[p->n] = id;
        if (arena_add(p, s->url, ulen, &p->url_off[p->n]) != 0 ||
            arena_add(p, s->rx, rlen, &p->rx_off[p->n]) != 0) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        p->n++;
    }
    if (r != MYSQL_NO_DATA)
        goto sqlerr_stmt;
    *out = p;
    p = NULL;
    rc = 0;
    goto out;
sqlerr_stmt:
    snprintf(e, sizeof(e), "%s", mysql_stmt_error(s->stmt));
sqlerr:
    /* kept: mysql_stmt_free_result below clears the statement's error. A dropped
     * connection may leave its error in the connection, not the statement, or in
     * neither: no error number at all is a client-side failure (retried) */
    if ((s->last_errno = mysql_stmt_errno(s->stmt)) != 0)
        snprintf(err, errlen, "reading URLs: %.200s", e);
    else if ((s->last_errno = mysql_errno(s->conn)) != 0)
        snprintf(err, errlen, "reading URLs: %s", mysql_error(s->conn));
    else {
        s->last_errno = CR_UNKNOWN_ERROR;
        snprintf(err, errlen, "reading URLs: the connection failed without an error");
    }
out:
    if (s->stmt)
        mysql_stmt_free_result(s->stmt);
    page_free(&p);
    return rc;
}

static bool cancelled(struct source *s)
{
    bool c;
    pthread_mutex_lock(&s->lock);
    c = s->cancel;
    pthread_mutex_unlock(&s->lock);
    return c;
}

/* fetch_page with reconnects for up to SOURCE_RETRY_SECONDS. */
static int fetch_retry(struct source *s, uint64_t last_id, struct page **out, char *err,
                       size_t errlen)
{
    int64_t deadline = clock_mono_ms() + SOURCE_RETRY_SECONDS * 1000;
    unsigned backoff_ms = 250;

    for (;;) {
        if ((s->stmt || open_conn(s, err, errlen) == 0) &&
            fetch_page(s, last_id, out, err, errlen) == 0)
            return 0;
        /* Judge the failed read's own error: after a server restart the idle connection's
         * next page read fails with "lost connection" (2013), but mysql_stmt_free_result
         * clears the statement's error, which then looked like a real SQL error (0) and
         * failed a complete run */
        if (s->conn && s->stmt && !db_error_is_connection(s->conn) &&
            !db_errno_is_transient(s->last_errno))
            return -1; /* a real SQL error: retrying will not help */
        close_conn(s);
        if (clock_mono_ms() >= deadline || cancelled(s))
            return -1;
        log_warn("URL source: %s; retrying in %u ms", err, backoff_ms);
        usleep(backoff_ms * 1000u);
        if (backoff_ms < 4000)
            backoff_ms *= 2;
    }
}

/* Waits for room, then queues p (freed instead when cancelled). */
static bool hand_over(struct source *s, struct page *p)
{
    bool ok;

    pthread_mutex_lock(&s->lock);
    while (s->ready && !s->cancel)
        pthread_cond_wait(&s->cond, &s->lock);
    ok = !s->cancel;
    if (ok) {
        s->ready = p;
        pthread_cond_broadcast(&s->cond);
    }
    pthread_mutex_unlock(&s->lock);
    if (!ok)
        page_free(&p);
    return ok;
}

static void *producer(void *arg)
{
    struct source *s = arg;
    struct page *p = NULL;
    uint64_t last_id = 0;
    char err[URLMON_ERRLEN] = "";
    bool failed = false, more = true;

    while (more) {
        if (fetch_retry(s, last_id, &p, err, sizeof(err)) != 0) {
            failed = !cancelled(s);
            break;
        }
        more = p->n == SOURCE_PAGE;
        if (p->n == 0) {
            page_free(&p);
            break;
        }
        last_id = p->ids[p->n - 1];
        if (!hand_over(s, p))
            break;
        p = NULL;
    }
    close_conn(s);
    pthread_mutex_lock(&s->lock);
    s->finished = true;
    s->failed = failed;
    if (failed)
        snprintf(s->errstr, sizeof(s->errstr), "%s", err);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int source_start(const struct config *cfg, unsigned shard_k, unsigned shard_n,
                 const struct source_slot *slot, atomic_int *stop, struct source **out, char *err,
                 size_t errlen)
{
    struct source *s = calloc(1, sizeof(*s));
    int rc = -1;

    *out = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    s->cfg = cfg;
    s->k = shard_k;
    s->n = shard_n;
    if (slot) {
        s->due_only = true;
        s->slot_start = slot->start_s;
        s->slot_end = slot->start_s + (int64_t)slot->len_s;
        s->max_interval = slot->max_interval_s;
    }
    s->stop = stop;
    pthread_mutex_init(&s->lock, NULL);
    if (clock_cond_init(&s->cond) != 0) {
        snprintf(err, errlen, "cannot create a condition variable");
        goto out;
    }
    if (pthread_create(&s->thread, NULL, producer, s) != 0) {
        snprintf(err, errlen, "cannot start the URL source thread");
        goto out;
    }
    pthread_setname_np(s->thread, "source");
    s->started = true;
    *out = s;
    s = NULL;
    rc = 0;
out:
    source_free(&s);
    return rc;
}

int source_next(void *arg, struct check_target *t)
{
    struct source *s = arg;
    struct timespec ts;
    int got = 0;

    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (s->stop && *s->stop)
            break;
        if (s->cur && s->cur->next < s->cur->n) {
            struct page *p = s->cur;
            size_t i = p->next++;
            t->url_id = p->ids[i];
            copy_str(t->url, sizeof(t->url), p->arena + p->url_off[i]);
            copy_str(t->regex, sizeof(t->regex), p->arena + p->rx_off[i]);
            s->delivered++;
            got = 1;
            break;
        }
        if (s->ready) {
            page_free(&s->cur);
            s->cur = s->ready;
            s->ready = NULL;
            pthread_cond_broadcast(&s->cond);
            continue;
        }
        if (s->finished)
            break;
        clock_deadline_ts(&ts, 100); /* wake up now and then to see *stop */
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return got;
}

uint64_t source_delivered(struct source *s)
{
    uint64_t d;
    pthread_mutex_lock(&s->lock);
    d = s->delivered;
    pthread_mutex_unlock(&s->lock);
    return d;
}

bool source_exhausted(struct source *s)
{
    bool done;
    pthread_mutex_lock(&s->lock);
    done = s->finished && !s->failed && !s->ready && (!s->cur || s->cur->next >= s->cur->n);
    pthread_mutex_unlock(&s->lock);
    return done;
}

int source_status(struct source *s, char *err, size_t errlen)
{
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    if (s->failed) {
        snprintf(err, errlen, "%s", s->errstr);
        rc = -1;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void source_free(struct source **sp)
{
    struct source *s;

    if (!sp || !*sp)
        return;
    s = *sp;
    if (s->started) {
        pthread_mutex_lock(&s->lock);
        s->cancel = true;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    page_free(&s->cur);
    page_free(&s->ready);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
    *sp = NULL;
}
