/* compute/agenda.h: the service mode's schedule: every URL of the shard with its next due
 * time, in a min-heap, plus an index by id.
 *
 * Fixed rate from a stable phase: URL `id` with interval I seconds is due at the ticks
 * phase(id, I) + k * I (ms since the epoch), phase = frac(id / golden ratio) * I
 * (Fibonacci hashing: consecutive ids land evenly spread). So the checks of many URLs
 * with one interval are spread evenly over it (100,000 URLs at 60 s are ~1,667 a
 * second), and a URL keeps its ticks across restarts and instances.
 *
 * - A URL put for the first time that was never checked is due at once (a URL added
 *   through the API is checked within seconds). One checked before (last check L) is
 *   due at its first tick at or after L + I - I/2: the tick after the one its last check
 *   served when an earlier process checked it on time, else within I/2 of an interval
 *   after L (one shorter or longer gap when it comes from the slotted modes). A tick
 *   already past (missed while no instance held the shard) is caught up at once: when
 *   it passed at most AGENDA_LATE_SLACK_PCT % of I ago (the list's first read after a start)
 *   the check serves that tick, late, and the next is the following tick; an older one
 *   is caught up off the grid and the next check comes at least I later.
 * - agenda_take hands out a URL whose due time has come and marks it in flight: it is
 *   out of the heap until agenda_done, so one URL is never checked twice at once.
 * - agenda_done puts it back at its next tick (scheduled tick + I; after a catch-up
 *   check, the first tick at least I later; after a check the engine started more
 *   than AGENDA_LATE_SLACK_PCT % of I late, the first tick at least 0.9 I after its
 *   start); ticks that passed meanwhile are not made up (the next is the first tick
 *   after now). So no two checks of a URL are ever closer than 0.9 I.
 * - A changed interval moves the next check to the first tick of the new grid at or
 *   after L + I' - I'/2 (so 3600 -> 5 s takes effect at once, 5 -> 3600 s comes 30 to 90
 *   minutes after the last check, on the new grid); a changed regex is used from the
 *   next check on; a URL not seen by a whole reload (deactivated, or moved to another
 *   shard) is dropped (when in flight, at its agenda_done).
 *
 * Not thread-safe: the caller locks. Memory: one entry per URL plus its URL and regex. */
#ifndef URLMON_AGENDA_H
#define URLMON_AGENDA_H

/* how late a missed tick may be caught up and still count as served on its grid, in
 * percent of the interval (no two checks of a URL closer than I minus this) */
#define AGENDA_LATE_SLACK_PCT 10

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "common.h"

struct agenda;

enum agenda_put_result {
    AGENDA_ADDED,     /* a URL the agenda did not have */
    AGENDA_UNCHANGED, /* known, same settings */
    AGENDA_CHANGED,   /* known, interval or regex changed */
};

int agenda_new(struct agenda **out) MUSTCHECK;
void agenda_free(struct agenda **a); /* NULL-safe, clears *a */

/* The phase of (id, interval) in ms, 0 <= phase < interval_s * 1000. */
int64_t agenda_phase_ms(uint64_t id, unsigned interval_s);
/* The first tick of (id, interval) at or after t_ms. */
int64_t agenda_tick_at_or_after(uint64_t id, unsigned interval_s, int64_t t_ms);

bool agenda_has(const struct agenda *a, uint64_t id);
/* A reload: agenda_reload_begin, agenda_put for every active URL of the shard,
 * agenda_reload_end (drops the URLs not put; returns how many). */
void agenda_reload_begin(struct agenda *a);
/* last_ms: the URL's last check (ms since the epoch), -1 = never (read only when the URL
 * is new). Returns an enum agenda_put_result, or -1 when out of memory. */
int agenda_put(struct agenda *a, uint64_t id, const char *url, const char *regex,
               unsigned interval_s, int64_t last_ms, int64_t now_ms) MUSTCHECK;
size_t agenda_reload_end(struct agenda *a);

/* A URL due at now_ms: fills *t and *sched_ms (its scheduled time) and returns true. */
bool agenda_take(struct agenda *a, int64_t now_ms, struct check_target *t, int64_t *sched_ms);
/* The check of id (taken before) started at started_ms; now_ms is its end. Returns the
 * scheduled time it served (for lateness), or -1 when id was not in flight. */
int64_t agenda_done(struct agenda *a, uint64_t id, int64_t started_ms, int64_t now_ms);

size_t agenda_count(const struct agenda *a);    /* URLs on the agenda */
size_t agenda_inflight(const struct agenda *a); /* of those, taken and not done */
/* The earliest due time, or INT64_MAX when nothing waits. */
int64_t agenda_next_due(const struct agenda *a);

#endif
