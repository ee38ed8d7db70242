/* api/flight.h: single-flight table: which cache key has a MySQL job running.
 *
 * A miss looks its key up here first; when a job is already computing that answer the
 * request waits for it instead of starting another, so a burst of misses on one key
 * costs one query. Keys are short strings; the table grows as needed. Loop thread only. */
#ifndef URLMON_FLIGHT_H
#define URLMON_FLIGHT_H

#include <stddef.h>

#include "common.h"

struct flight;

int flight_open(struct flight **out) MUSTCHECK;
void flight_free(struct flight **f);
/* The job registered under key, or NULL. */
void *flight_get(const struct flight *f, const char *key);
/* Registers job under key (which must not be registered); -1 on OOM. */
int flight_put(struct flight *f, const char *key, void *job) MUSTCHECK;
void flight_del(struct flight *f, const char *key);
size_t flight_count(const struct flight *f);

#endif
