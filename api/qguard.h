/* api/qguard.h: what the API knows about Redis' ability to keep the queue.
 *
 * - maxmemory-policy: read when the Redis connection comes up (start-up and every
 *   reconnect) and every QGUARD_RECHECK_S after; a policy that can evict the queue
 *   (allkeys-*) is logged as an error, shown by /healthz (`redis_policy`,
 *   `queue_evictable`) and exported as urlmon_api_redis_queue_evictable.
 * - QUEUE_MAX: POST /urls pushes with one script that refuses when the queue already
 *   holds QUEUE_MAX entries (503 + Retry-After, nothing pushed).
 * - OOM: Redis refusing the push for lack of memory is a 503 that says so, and
 *   /healthz reports "redis": "out of memory" (503) until a push succeeds again.
 * Loop thread only. */
#ifndef URLMON_API_QGUARD_H
#define URLMON_API_QGUARD_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "acache.h"
#include "common.h"

#define QGUARD_RECHECK_S 30
#define QGUARD_RETRY_AFTER_STR "60" /* Retry-After (s) of a full queue or an OOM answer */

struct qguard;

int qguard_new(struct event_base *base, struct acache *cache, unsigned queue_max,
               struct qguard **out) MUSTCHECK;
void qguard_free(struct qguard **g); /* NULL-safe, clears *g */

/* Pushes json on the queue (bounded by QUEUE_MAX); cb gets the raw reply, which
 * qguard_pushed judges. -1: Redis is not connected (cb never runs). */
int qguard_push(struct qguard *g, const char *json, acache_cb cb, void *arg) MUSTCHECK;

enum qguard_verdict {
    QGUARD_QUEUED, /* *len = the queue's new length */
    QGUARD_FULL,   /* QUEUE_MAX reached: 503 + Retry-After */
    QGUARD_OOM,    /* Redis is out of memory: 503 + Retry-After */
    QGUARD_FAILED, /* no answer or another error: 503 */
};
/* Judges a push's reply; on anything but QUEUED writes the client's error text. */
enum qguard_verdict qguard_pushed(struct qguard *g, const redisReply *r, long long *len, char *msg,
                                  size_t msglen);

/* /healthz: true while Redis answered the last push with OOM. */
bool qguard_oom(const struct qguard *g);
/* The policy read last ("" = not read / unreadable) and whether it can evict the queue. */
const char *qguard_policy(const struct qguard *g);
bool qguard_evictable(const struct qguard *g);

#endif
