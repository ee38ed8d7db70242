/* shared/rconn.c: Redis connection set-up. */
#include "rconn.h"

#include <stdio.h>
#include <string.h>

redisContext *rconn_connect(const struct config *cfg, unsigned timeout_ms, char *err, size_t errlen)
{
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(cfg->cache_address, (int)cfg->cache_port, tv);
    redisReply *r = NULL;

    if (!c) {
        snprintf(err, errlen, "cannot allocate a Redis context");
        return NULL;
    }
    if (c->err) {
        snprintf(err, errlen, "cannot connect to Redis %s:%u: %s", cfg->cache_address,
                 cfg->cache_port, c->errstr);
        goto fail;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK) {
        snprintf(err, errlen, "cannot set the Redis timeout: %s", c->errstr);
        goto fail;
    }
    if (cfg->cache_password[0]) {
        r = redisCommand(c, "AUTH %s", cfg->cache_password);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "Redis AUTH failed: %s", r ? r->str : c->errstr);
            goto fail;
        }
        freeReplyObject(r);
        r = NULL;
    }
    return c;
fail:
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return NULL;
}

long rconn_delete_matching(redisContext *c, const char *pattern, char *err, size_t errlen)
{
    char cursor[32] = "0";
    long deleted = 0;
    redisReply *r = NULL;

    do {
        size_t i;
        r = redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            snprintf(err, errlen, "SCAN failed: %s",
                     r && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr);
            goto fail;
        }
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (i = 0; i < r->element[1]->elements; i++) {
            redisReply *k = r->element[1]->element[i];
            redisReply *d = redisCommand(c, "UNLINK %b", k->str, (size_t)k->len);
            if (!d || d->type == REDIS_REPLY_ERROR) {
                snprintf(err, errlen, "UNLINK failed: %s",
                         d && d->type == REDIS_REPLY_ERROR ? d->str : c->errstr);
                if (d)
                    freeReplyObject(d);
                goto fail;
            }
            deleted += d->integer;
            freeReplyObject(d);
        }
        freeReplyObject(r);
        r = NULL;
    } while (strcmp(cursor, "0") != 0);
    return deleted;
fail:
    if (r)
        freeReplyObject(r);
    return -1;
}
