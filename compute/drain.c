/* compute/drain.c: see drain.h. */
#include "drain.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batchsql.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "qentry.h"
#include "rconn.h"
#include "urlstore.h"
#include "utf8.h"

struct drainer {
    redisContext *rc;
    MYSQL *conn;
    struct urlstore *us;
    struct qentry e;
    struct drain_stats *st;
    bool dead[DRAIN_CHUNK];
    enum urlstore_outcome how[DRAIN_CHUNK];
    char why[DRAIN_CHUNK][URLMON_ERRLEN];
};

/* Copies s with every byte that is not part of valid UTF-8, and NUL, as U+FFFD. */
static char *sanitize(const char *s, size_t len)
{
    char *out = malloc(len * 3 + 1), *p = out;
    size_t ok, i;

    if (!out)
        return NULL;
    while (len > 0) {
        ok = utf8_prefix(s, len);
        for (i = 0; i < ok; i++) {
            if (s[i] == '\0') {
                memcpy(p, "\xEF\xBF\xBD", 3);
                p += 3;
            } else
                *p++ = s[i];
        }
        s += ok;
        len -= ok;
        if (len > 0) { /* one bad byte */
            memcpy(p, "\xEF\xBF\xBD", 3);
            p += 3;
            s++;
            len--;
        }
    }
    *p = '\0';
    return out;
}

char *drain_dead_json(const char *entry, size_t len, const char *reason, int64_t now)
{
    cJSON *root = NULL;
    char *clean = NULL, *text = NULL, at[64];

    clock_utc_format(now < 0 ? 0 : now, CLOCK_UTC_ISO_MS, at, sizeof(at));
    if (!(clean = sanitize(entry, len)) || !(root = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(root, "entry", clean) ||
        !cJSON_AddStringToObject(root, "reason", reason) ||
        !cJSON_AddStringToObject(root, "at", at))
        goto out;
    text = cJSON_PrintUnformatted(root);
out:
    cJSON_Delete(root);
    free(clean);
    return text;
}

/* Validates and upserts entries in one transaction; marks the invalid ones dead. */
static int store_chunk(struct drainer *d, char *const *data, const size_t *lens, size_t n,
                       char *err, size_t errlen)
{
    size_t i;
    int rc = -1;

    if (db_exec(d->conn, "BEGIN", err, errlen) != 0)
        goto out;
    for (i = 0; i < n; i++) {
        d->dead[i] = false;
        if (qentry_parse_json(data[i], lens[i], NULL, &d->e, d->why[i], sizeof(d->why[i])) != 0) {
            d->dead[i] = true;
            continue;
        }
        if (urlstore_upsert(d->us, &d->e, &d->how[i], d->why[i], sizeof(d->why[i])) == 0)
            continue;
        if (urlstore_error_is_transient(d->us)) {
            snprintf(err, errlen, "%s", d->why[i]);
            goto out;
        }
        d->dead[i] = true; /* refused by MySQL for its content: it would fail again */
    }
    if (mysql_commit(d->conn) != 0) {
        snprintf(err, errlen, "MySQL commit failed: %s", mysql_error(d->conn));
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        (void)mysql_rollback(d->conn);
    return rc;
}

/* Removes the stored entries from processing, moves the dead ones (pipelined). */
static int settle_chunk(struct drainer *d, char *const *data, const size_t *lens, size_t n,
                        char *err, size_t errlen)
{
    size_t i, expect = 0;
    redisReply *r = NULL;
    char *json;
    int rc = -1;

    for (i = 0; i < n; i++) {
        if (d->dead[i]) {
            if (!(json = drain_dead_json(data[i], lens[i], d->why[i], clock_wall_ms()))) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            log_warn("invalid queue entry moved to %s: %s", RKEY_DEAD, d->why[i]);
            redisAppendCommand(d->rc, "MULTI");
            redisAppendCommand(d->rc, "LPUSH %s %s", RKEY_DEAD, json);
            redisAppendCommand(d->rc, "LREM %s 1 %b", RKEY_PROCESSING, data[i], lens[i]);
            redisAppendCommand(d->rc, "EXEC");
            expect += 4;
            free(json);
            d->st->dead++;
        } else {
            redisAppendCommand(d->rc, "LREM %s 1 %b", RKEY_PROCESSING, data[i], lens[i]);
            expect++;
            d->st->stored++;
            if (d->how[i] == URLSTORE_UPDATED)
                d->st->updated++;
        }
    }
    for (i = 0; i < expect; i++) {
        if (redisGetReply(d->rc, (void **)&r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "Redis: %s", r ? r->str : d->rc->errstr);
            goto out;
        }
        freeReplyObject(r);
        r = NULL;
    }
    rc = 0;
out:
    if (r)
        freeReplyObject(r);
    return rc;
}

static int do_chunk(struct drainer *d, char *const *data, const size_t *lens, size_t n, char *err,
                    size_t errlen)
{
    if (store_chunk(d, data, lens, n, err, errlen) != 0)
        return -1;
    return settle_chunk(d, data, lens, n, err, errlen);
}

/* Entries a previous run left in processing, oldest (rightmost) first. */
static int recover(struct drainer *d, char *err, size_t errlen)
{
    redisReply *r = redisCommand(d->rc, "LRANGE %s 0 -1", RKEY_PROCESSING);
    char *data[DRAIN_CHUNK];
    size_t lens[DRAIN_CHUNK], n = 0, i;
    int rc = -1;

    if (!r || r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, errlen, "Redis LRANGE: %s",
                 r && r->type == REDIS_REPLY_ERROR ? r->str : d->rc->errstr);
        goto out;
    }
    if (r->elements > 0)
        log_info("recovering %zu queue entries left in %s", r->elements, RKEY_PROCESSING);
    d->st->recovered = r->elements;
    for (i = r->elements; i-- > 0;) {
        data[n] = r->element[i]->str;
        lens[n++] = r->element[i]->len;
        if (n == DRAIN_CHUNK || i == 0) {
            if (do_chunk(d, data, lens, n, err, errlen) != 0)
                goto out;
            n = 0;
        }
    }
    rc = 0;
out:
    if (r)
        freeReplyObject(r);
    return rc;
}

/* Moves up to DRAIN_CHUNK entries to processing; *n receives how many. */
static int take(struct drainer *d, redisReply **got, size_t *n, char *err, size_t errlen)
{
    redisReply *r = NULL;
    size_t i;
    int rc = 0;

    *n = 0;
    for (i = 0; i < DRAIN_CHUNK; i++)
        redisAppendCommand(d->rc, "LMOVE %s %s RIGHT LEFT", RKEY_QUEUE, RKEY_PROCESSING);
    for (i = 0; i < DRAIN_CHUNK; i++) {
        if (redisGetReply(d->rc, (void **)&r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "Redis LMOVE: %s", r ? r->str : d->rc->errstr);
            if (r)
                freeReplyObject(r);
            return -1; /* the context is unusable after this: the caller drops it */
        }
        if (r->type == REDIS_REPLY_STRING)
            got[(*n)++] = r;
        else
            freeReplyObject(r);
    }
    return rc;
}

static int drain_loop(struct drainer *d, atomic_int *stop, char *err, size_t errlen)
{
    redisReply *got[DRAIN_CHUNK];
    char *data[DRAIN_CHUNK];
    size_t lens[DRAIN_CHUNK], n = 0, i;
    int rc = -1;

    while (!(stop && *stop)) {
        if (take(d, got, &n, err, errlen) != 0)
            goto out;
        for (i = 0; i < n; i++) {
            data[i] = got[i]->str;
            lens[i] = got[i]->len;
        }
        if (n > 0 && do_chunk(d, data, lens, n, err, errlen) != 0)
            goto out;
        for (i = 0; i < n; i++)
            freeReplyObject(got[i]);
        if (n < DRAIN_CHUNK)
            break; /* the queue is empty */
        n = 0;
    }
    n = 0;
    rc = 0;
out:
    for (i = 0; i < n; i++)
        freeReplyObject(got[i]);
    return rc;
}

int drain_queue(redisContext *rc, MYSQL *conn, atomic_int *stop, struct drain_stats *st, char *err,
                size_t errlen)
{
    struct drainer *d = calloc(1, sizeof(*d));
    int ret = -1;

    memset(st, 0, sizeof(*st));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    d->rc = rc;
    d->conn = conn;
    d->st = st;
    if (urlstore_open(conn, &d->us, err, errlen) != 0 || recover(d, err, errlen) != 0 ||
        drain_loop(d, stop, err, errlen) != 0)
        goto out;
    if (st->stored > 0)
        log_info("queue: %lu URLs stored: %lu new, %lu already known (updated and active again)",
                 st->stored, st->stored - st->updated, st->updated);
    ret = 0;
out:
    if (d)
        urlstore_free(&d->us);
    free(d);
    return ret;
}
