/* shared/rconn.h: Redis connections and the key names both programs share.
 *
 * rconn_connect returns a blocking hiredis context with connect and command
 * timeouts set (and AUTH sent when CACHE_PASSWORD is set); the caller frees it
 * with redisFree. Replies are freed with freeReplyObject. */
#ifndef URLMON_RCONN_H
#define URLMON_RCONN_H

#include <hiredis/hiredis.h>

#include "common.h"
#include "config.h"

/* The list POST /urls pushes onto (LPUSH) and the compute job drains (LMOVE from the right). */
#define RKEY_QUEUE "urlmon:queue"
/* Entries a compute run has taken but not yet stored (reliable-queue pattern). */
#define RKEY_PROCESSING "urlmon:queue:processing"
/* Entries that could not be stored, with the reason; never dropped silently. */
#define RKEY_DEAD "urlmon:queue:dead"
/* Prefix of every cached API answer; the compute job deletes them after a run. */
#define RKEY_CACHE_PREFIX "urlmon:cache:"
/* Held (SET NX PX) by the one API instance recomputing the invalidated answers
 * (api/warm.h). Outside the cache prefix: the run's delete must not take it, and taking
 * it must not look like an invalidation. */
#define RKEY_WARM_LOCK "urlmon:warm:lock"

redisContext *rconn_connect(const struct config *cfg, unsigned timeout_ms, char *err,
                            size_t errlen) MUSTCHECK;

/* A Lua script (EVAL script 0 pattern) deleting every key matching ARGV[1] with SCAN +
 * UNLINK in one step; it answers how many. Both programs run it: the compute job after a
 * run (rconn_delete_matching), the API on every (re)connect (api/acache.c). */
extern const char rconn_delete_matching_script[];

/* Runs rconn_delete_matching_script; returns how many keys it deleted, -1 on error. */
long rconn_delete_matching(redisContext *c, const char *pattern, char *err, size_t errlen);

/* Redis' maxmemory-policy and whether it can evict the queue (issue 12 item 9). The
 * queue keys have no TTL, so only the allkeys-* policies can evict them; noeviction
 * and volatile-* answer writes with an OOM error instead when memory is full. */
enum rconn_policy { RCONN_POLICY_SAFE, RCONN_POLICY_EVICTS, RCONN_POLICY_UNKNOWN };
/* Pure: the verdict for a policy name (NULL or "" = unknown). */
enum rconn_policy rconn_policy_judge(const char *policy);
/* CONFIG GET maxmemory-policy into policy ("" when it cannot be read, e.g. CONFIG is
 * renamed away by a managed Redis) and its verdict. */
enum rconn_policy rconn_policy_read(redisContext *c, char *policy, size_t len);
/* The script that pushes ARGV[1] on KEYS[1] unless it holds ARGV[2] entries or more:
 * returns the new length, or -1 - length when the queue is full (nothing pushed). */
extern const char rconn_bounded_push_script[];

#endif
