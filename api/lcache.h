/* api/lcache.h: the in-process copy of cached answers (a small map from cache key to the
 * answer's bytes and an expiry time).
 *
 * Pure storage: it knows nothing about Redis. answer.c fills it only from answers Redis
 * returned while Redis' invalidation messages reach this process (acache.h), and empties
 * it (lcache_drop, lcache_clear) on every invalidation message and whenever those
 * messages may have been missed. Memory is bounded: at most max_entries answers and
 * max_bytes of keys + bodies; a put beyond the bounds first drops expired entries and
 * then is refused (the answer keeps being served from Redis). Loop thread only. */
#ifndef URLMON_LCACHE_H
#define URLMON_LCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct lcache;

int lcache_open(size_t max_entries, size_t max_bytes, struct lcache **out) MUSTCHECK;
void lcache_free(struct lcache **lc); /* NULL-safe, clears *lc */

/* The body stored under key while now_ms < its expiry, else NULL (an expired entry is
 * dropped). The bytes stay valid until the next put, drop or clear. */
const char *lcache_get(struct lcache *lc, const char *key, int64_t now_ms, size_t *len);
/* Stores a copy of body under key (replacing what was there) until expires_ms.
 * 0 stored, 1 refused (over the bounds, or already expired), -1 out of memory. */
int lcache_put(struct lcache *lc, const char *key, const char *body, size_t len, int64_t expires_ms,
               int64_t now_ms) MUSTCHECK;
/* Drops the entry of key (len bytes, not NUL-terminated), if any. */
void lcache_drop(struct lcache *lc, const char *key, size_t keylen);
void lcache_clear(struct lcache *lc);
size_t lcache_count(const struct lcache *lc);
size_t lcache_bytes(const struct lcache *lc);

#endif
