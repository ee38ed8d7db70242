/* api/window.h: a rolling window [now - span, now] split into the parts that answer it.
 *
 * Raw checks are exact but many; rollups are cheap but whole UTC hours or days. A
 * window that starts mid-hour is answered by:
 *   raw checks         checked_at in [start, hour)     the partial hour at the start
 *   rollup_hourly      bucket in [hour, day)           whole hours up to the first whole day
 *   rollup_daily       bucket >= day                   whole days, today included
 * (hour = start rounded up to the hour, day = hour rounded up to the day.) Today's
 * daily row holds every check of today so far, so nothing after `day` needs hours.
 * The summary uses rollup_hourly_total for everything from `hour` on. */
#ifndef URLMON_WINDOW_H
#define URLMON_WINDOW_H

#include <stdint.h>

#define WINDOW_HOUR_MS INT64_C(3600000)
#define WINDOW_DAY_MS INT64_C(86400000)

struct window {
    int64_t start_ms; /* now - span: the first instant in the window */
    int64_t hour_ms;  /* raw checks cover [start_ms, hour_ms) */
    int64_t day_ms;   /* rollup_hourly covers [hour_ms, day_ms); rollup_daily from day_ms */
};

/* Milliseconds since the epoch (UTC). */
void window_split(int64_t now_ms, int64_t span_ms, struct window *w);
int64_t window_ceil(int64_t t_ms, int64_t unit_ms);
int64_t window_floor(int64_t t_ms, int64_t unit_ms);

#endif
