/* api/acache.h: the event loop's asynchronous Redis connection (hiredis async API on
 * libevent).
 *
 * One connection, commands pipelined. When it drops, acache reconnects in the
 * background (250 ms, backing off to 2 s) and commands fail fast meanwhile, so the
 * callers answer from MySQL (GET) or with 503 (POST). Each (re)connection first deletes
 * the keys of a pattern (the API's cached answers): while Redis was unreachable the
 * compute job could not invalidate them, so nothing cached before may be served after. A watchdog
 * bounds how long a command may wait: when Redis has owed an answer for ACACHE_TIMEOUT_MS (or a
 * connect has not completed in that time) the connection is dropped, every pending callback runs
 * with reply == NULL, and a reconnect follows. Loop thread only.
 *
 * Client-side caching (track_prefix): a second connection SUBSCRIBEs to Redis'
 * invalidation channel and the main one asks for CLIENT TRACKING ON REDIRECT <it> BCAST
 * PREFIX track_prefix (Redis >= 6). From then on Redis tells this process about every key
 * under the prefix that anyone sets, deletes, expires or evicts, and about FLUSHDB and
 * FLUSHALL, whoever does it (other API instances, the compute job, redis-cli); the
 * invalidate callback passes each on. The two connections are one unit: when either
 * drops, both are dropped and reconnect together (and the callback is told to forget
 * everything, since messages may be missed while tracking is not established). A PING
 * every 500 ms on an otherwise idle main connection lets the watchdog notice a hung Redis
 * even when no request asks it anything. */
#ifndef URLMON_ACACHE_H
#define URLMON_ACACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "common.h"
#include "config.h"

#define ACACHE_TIMEOUT_MS 1500

struct acache;

/* reply is NULL when Redis went away or did not answer in time; the reply is freed by
 * hiredis after the callback returns (copy what you keep). */
typedef void (*acache_cb)(void *arg, const redisReply *reply);

/* flush_pattern (may be NULL): keys matching it (SCAN MATCH syntax) are deleted on every
 * connect and reconnect, before the connection counts as up. track_prefix (may be NULL):
 * keys to receive invalidations for (see above). */
int acache_open(struct event_base *base, const struct config *cfg, const char *flush_pattern,
                const char *track_prefix, struct acache **out, char *err, size_t errlen) MUSTCHECK;
/* Runs every pending callback with NULL, then frees. Not from inside a callback. */
void acache_free(struct acache **c);
bool acache_up(const struct acache *c);

/* Sends one command: cmd and its arguments, NUL-terminated strings ending with NULL
 * (acache measures their lengths; at most 16 in all). cb runs exactly once, later, never
 * from inside this call. Returns -1 (and cb is never called) when Redis is not connected
 * or there are too many arguments. */
int acache_send(struct acache *c, acache_cb cb, void *arg, const char *cmd, ...)
    __attribute__((sentinel)) MUSTCHECK;

/* key (keylen bytes, not NUL-terminated) was written, deleted, expired or evicted; key ==
 * NULL: anything may have changed: a flush, tracking was lost, the connection came up (its
 * delete of flush_pattern done) or tracking was established (messages before it may have
 * been missed). Keys written by this process are reported too (no NOLOOP). */
typedef void (*acache_inval_cb)(void *arg, const char *key, size_t keylen);
void acache_on_invalidate(struct acache *c, acache_inval_cb cb, void *arg);
/* True while invalidations reach this process: only then may copies of Redis' values be
 * kept and used. */
bool acache_tracking(const struct acache *c);
/* Bumped on every invalidation message and every change of tracking. A value read from
 * Redis may be kept only when the epoch at sending the read equals the epoch at its answer
 * and tracking is on: then no invalidation arrived meanwhile. */
uint64_t acache_epoch(const struct acache *c);

#endif
