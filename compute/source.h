/* compute/source.h: the URLs of one run, paged from MySQL for the check engine.
 *
 * A producer thread with its own connection reads
 *   SELECT id, url, COALESCE(regex,'') FROM urls WHERE active = 1 AND id % N = K
 *   AND id > ? ORDER BY id LIMIT SOURCE_PAGE
 * (keyset paging on the (active, id) index) and hands each page over to the engine's
 * loop threads, which take URLs one at a time with source_next (thread-safe). At most
 * one page is waiting while another is being handed out and a third is read, so memory
 * is bounded by the page size, not by the number of URLs. A lost connection is
 * retried (reconnect with backoff) for SOURCE_RETRY_SECONDS before the run fails. */
#ifndef URLMON_SOURCE_H
#define URLMON_SOURCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "common.h"
#include "config.h"

#define SOURCE_PAGE 5000
#define SOURCE_RETRY_SECONDS 60

struct source;

/* Starts the producer. *stop (may be NULL): once set, source_next returns 0. */
int source_start(const struct config *cfg, unsigned shard_k, unsigned shard_n, atomic_int *stop,
                 struct source **out, char *err, size_t errlen) MUSTCHECK;
/* A checker_source_fn: fills *t with the next URL and returns 1, or returns 0 when the
 * list is exhausted (or stopped, or the producer failed). May wait for a page. */
int source_next(void *arg, struct check_target *t);
/* URLs handed out so far. */
uint64_t source_delivered(struct source *s);
/* True when every URL of the list was handed out (not stopped, not failed). */
bool source_exhausted(struct source *s);
/* 0 when the list was read to its end or the run was stopped; -1 with the reason in
 * err when the producer gave up (MySQL). */
int source_status(struct source *s, char *err, size_t errlen) MUSTCHECK;
/* Stops the producer if it still runs, joins it and frees everything. */
void source_free(struct source **s);

#endif
