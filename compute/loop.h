/* compute/loop.h: one check loop: an event_base, a curl multi handle, its slots.
 *
 * libcurl's multi socket interface driven by libevent: the socket callback arms one
 * struct event per socket (kept with curl_multi_assign, taken from a per-loop pool),
 * the timer callback keeps one non-repeating timer and never calls curl, and every
 * curl_multi_socket_action is followed by reading completions (curl_multi_info_read).
 * Each completion goes to the sink and frees its slot, which is refilled from the
 * source at once. A loop is used by one thread only; loops share nothing but the
 * source/sink callbacks (which are thread-safe by contract) and the stop flag. */
#ifndef URLMON_LOOP_H
#define URLMON_LOOP_H

#include <stddef.h>

#include "checker.h"
#include "common.h"

struct loop;

/* A loop running at most share checks at once. On error returns -1 with a message. */
int loop_new(const struct checker_opts *o, unsigned share, struct loop **out, char *err,
             size_t errlen) MUSTCHECK;
void loop_free(struct loop **lp); /* NULL-safe, clears *lp */

/* Runs until the source is exhausted (or *stop) and every started check was handed to
 * the sink. Returns 0, or -1 when the loop had to give up (message in err): checks
 * already started were still finished and handed to the sink. */
int loop_run(struct loop *lp, char *err, size_t errlen) MUSTCHECK;

/* Adds this loop's counters to s. */
void loop_stats_add(const struct loop *lp, struct checker_stats *s);

#endif
