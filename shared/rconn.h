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

redisContext *rconn_connect(const struct config *cfg, unsigned timeout_ms, char *err,
                            size_t errlen) MUSTCHECK;

/* A Lua script (EVAL script 0 pattern) deleting every key matching ARGV[1] with SCAN +
 * UNLINK in one step; it answers how many. Both programs run it: the compute job after a
 * run (rconn_delete_matching), the API on every (re)connect (api/acache.c). */
extern const char rconn_delete_matching_script[];

/* Runs rconn_delete_matching_script; returns how many keys it deleted, -1 on error. */
long rconn_delete_matching(redisContext *c, const char *pattern, char *err, size_t errlen);

#endif
