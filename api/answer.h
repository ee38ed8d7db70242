/* api/answer.h: the answer cache of the cacheable GETs (the top lists and the summary).
 *
 * One call serves a request: answer_serve looks in three places in turn and answers from
 * the first that has the answer:
 *   1. the in-process copy (lcache.h), used only while Redis' invalidation messages reach
 *      this process (acache_tracking);
 *   2. Redis (the key route.cache_key);
 *   3. MySQL, through single flight: a job already computing the key (flight.h) gets the
 *      request as one more waiter; otherwise a new job is started (job.h) after a fill
 *      guard (a token under "<key>#fill") is set in Redis. When the job succeeds the
 *      answer is written to Redis only if the guard still holds its token: the compute job
 *      deletes urlmon:cache:* (guards included) after it commits a run, so an answer that
 *      may predate the run is never cached. The guard lives beside the answer, never in
 *      its place, so a recompute that fails (cache=false while MySQL is down) leaves the
 *      last good answer where it was.
 * cache=false skips 1 and 2. Loop thread only. */
#ifndef URLMON_ANSWER_H
#define URLMON_ANSWER_H

#include <stddef.h>

#include "common.h"

struct answer;
struct api;
struct rq;

int answer_open(struct api *a, struct answer **out) MUSTCHECK;
void answer_free(struct answer **an); /* NULL-safe, clears *an */
void answer_serve(struct rq *rq);
/* How many in-process copies are kept (for /metrics). */
size_t answer_local_count(const struct answer *an);

#endif
