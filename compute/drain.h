/* compute/drain.h: moving URLs POSTed to the API from the Redis queue into MySQL.
 *
 * The reliable-queue pattern (key names in rconn.h): each entry is moved atomically
 * from urlmon:queue to urlmon:queue:processing (LMOVE), upserted into urls, and only
 * after the COMMIT removed from processing (LREM). Entries found in processing at the
 * start were taken by a run that died (or are in the hands of a concurrent run of
 * another shard): they are stored again, which is harmless because the upsert is
 * idempotent. A crash at any point therefore neither loses nor duplicates a URL.
 * An entry that fails validation (qentry_parse_json) is pushed to urlmon:queue:dead
 * as {"entry":..., "reason":..., "at":...} and removed from processing in one
 * MULTI/EXEC, and the reason is logged. An entry's interval is checked against the widest
 * bounds only (qentry_bounds_any): the API applied MIN_INTERVAL/MAX_INTERVAL when it queued
 * it, and a drain with other settings must not kill what the API accepted; entries from before
 * intervals existed (none given) are stored as entries without one (urlstore.h). */
#ifndef URLMON_DRAIN_H
#define URLMON_DRAIN_H

#include <stdatomic.h>
#include <hiredis/hiredis.h>
#include <mysql.h>

#include "common.h"

#define DRAIN_CHUNK 100 /* entries moved, stored and committed together */

struct drain_stats {
    unsigned long recovered; /* found in processing at the start */
    unsigned long stored;    /* upserted into urls */
    unsigned long updated;   /* of those, URLs that were known (updated, reactivated) */
    unsigned long dead;      /* moved to the dead list */
};

/* Drains until the queue is empty or *stop (may be NULL) is set. Returns 0, or -1
 * with a message in err on a Redis or MySQL error; entries not yet stored stay in
 * processing for the next run. */
int drain_queue(redisContext *rc, MYSQL *conn, atomic_int *stop, struct drain_stats *st, char *err,
                size_t errlen) MUSTCHECK;

/* A dead-list record for entry (len bytes, any content): malloc'd JSON or NULL. Bytes
 * that are not valid UTF-8, and NUL bytes, become U+FFFD. */
char *drain_dead_json(const char *entry, size_t len, const char *reason, int64_t now_ms);

#endif
