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

enum rconn_policy rconn_policy_judge(const char *policy)
{
    if (!policy || !policy[0])
        return RCONN_POLICY_UNKNOWN;
    return strncmp(policy, "allkeys-", 8) == 0 ? RCONN_POLICY_EVICTS : RCONN_POLICY_SAFE;
}

enum rconn_policy rconn_policy_read(redisContext *c, char *policy, size_t len)
{
    redisReply *r = redisCommand(c, "CONFIG GET maxmemory-policy");

    policy[0] = '\0';
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[1]->type == REDIS_REPLY_STRING)
        snprintf(policy, len, "%s", r->element[1]->str);
    if (r)
        freeReplyObject(r);
    return rconn_policy_judge(policy);
}

const char rconn_bounded_push_script[] = "local n = redis.call('LLEN', KEYS[1])"
                                         " if n >= tonumber(ARGV[2]) then return -1 - n end"
                                         " return redis.call('LPUSH', KEYS[1], ARGV[1])";

const char rconn_delete_matching_script[] =
    "local cursor, n = '0', 0 repeat"
    " local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000) cursor = r[1]"
    " for _, k in ipairs(r[2]) do redis.call('UNLINK', k) n = n + 1 end"
    " until cursor == '0' return n";

long rconn_delete_matching(redisContext *c, const char *pattern, char *err, size_t errlen)
{
    redisReply *r = redisCommand(c, "EVAL %s 0 %s", rconn_delete_matching_script, pattern);
    long deleted = -1;

    if (!r || r->type != REDIS_REPLY_INTEGER) {
        snprintf(err, errlen, "deleting %s failed: %s", pattern,
                 r && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr);
        goto out;
    }
    deleted = (long)r->integer;
out:
    if (r)
        freeReplyObject(r);
    return deleted;
}
