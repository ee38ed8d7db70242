/* api/warm.h: recomputing the cached answers as soon as they are invalidated (issue 19).
 *
 * After a compute run deletes urlmon:cache:*, the next GET of each top list and of the
 * summary would pay the MySQL computation. Instead, when this process learns that any of
 * the 7 default answers (/urls/top/{success,fail}/{hour,week,month}, /urls/summary) may be
 * gone (acache.h's invalidation callback: a key deleted, expired, evicted or written, a
 * flush, the connection or tracking (re)established), it waits WARM_DEBOUNCE_MS from that
 * first message (so the burst of one run's deletions is one warm) and then, in one Lua
 * step, lists which of the 7 keys are missing and, if any is, takes RKEY_WARM_LOCK
 * (SET NX PX). The instance holding the lock computes each missing answer through
 * answer_fill: the path a miss takes (worker job, single-flight entry, guarded write), so a
 * GET missing meanwhile joins that job and the answer is written byte for byte as a GET's
 * fill would write it. Other instances yield (their copies follow through tracking); if the
 * holder dies, the lock expires and GETs miss as without the warm.
 *
 * It never loops: its own writes of the answers are reported back by Redis, but the check
 * then finds nothing missing and takes no lock; the fill guards ("#fill") and the lock
 * (outside the cache prefix) are not answers. Redis down: no warm. MySQL down: the fills
 * fail, are counted and logged, the keys stay missing and GETs behave as without the warm.
 * Every warm that took the lock writes one log line with its duration and the metrics
 * (metrics_warm). Loop thread only. */
#ifndef URLMON_WARM_H
#define URLMON_WARM_H

#include <stddef.h>

#include "common.h"

#define WARM_DEBOUNCE_MS 150
/* The lock's life: far above a warm's (seconds at a million URLs), short enough that a
 * holder that died blocks nothing for long. */
#define WARM_LOCK_MS 60000

struct api;
struct warm;

int warm_open(struct api *a, struct warm **out) MUSTCHECK;
void warm_free(struct warm **w); /* NULL-safe, clears *w; after acache_free */
/* acache.h's invalidation callback, passed on: key (keylen bytes) or NULL = anything. */
void warm_invalidated(struct warm *w, const char *key, size_t keylen);

#endif
