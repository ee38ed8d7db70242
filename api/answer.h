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
struct route_req;
struct rq;

int answer_open(struct api *a, struct answer **out) MUSTCHECK;
void answer_free(struct answer **an); /* NULL-safe, clears *an */
void answer_serve(struct rq *rq);

/* What became of an answer_fill: written to Redis; computed but not written because its
 * guard was gone (a compute run or a flush deleted the cache meanwhile, so the answer may
 * predate it); not computed or not written (MySQL or Redis failed, the job queue full). */
enum answer_fill_result { ANSWER_FILL_STORED, ANSWER_FILL_STALE, ANSWER_FILL_FAILED };
typedef void (*answer_fill_cb)(void *arg, enum answer_fill_result res);
/* Computes the answer of a cacheable route and writes it to Redis exactly as a miss does
 * (3. above: single flight, guard, guarded write), with no request waiting (api/warm.h).
 * When a job already computes the key, cb is attached to it instead of starting another;
 * GETs missing the key meanwhile join the job as waiters. cb runs exactly once, normally
 * later (from inside this call only when the job queue is full). -1 (cb never runs): out
 * of memory, or the running job already reports to a callback. */
int answer_fill(struct answer *an, const struct route_req *r, answer_fill_cb cb,
                void *arg) MUSTCHECK;
/* How many in-process copies are kept (for /metrics). */
size_t answer_local_count(const struct answer *an);

#endif
