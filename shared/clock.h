/* shared/clock.h: the one place that reads clocks and formats UTC times.
 *
 * Two clocks, two jobs:
 *  - monotonic (clock_mono_ms, clock_deadline_ts, clock_cond_init): every duration,
 *    timeout, deadline, retry window and condition-variable wait. It never jumps, so a
 *    wall-clock step (NTP, an operator, a VM resume) cannot stall or shorten a wait;
 *  - wall (clock_wall_ms): only for instants that are stored or shown (checked_at,
 *    log lines, retention cutoffs, slots).
 *
 * Condition variables that are waited on with a timeout are created by clock_cond_init
 * (CLOCK_MONOTONIC attribute) and their deadlines come from clock_deadline_ts; a
 * static check (scripts/clock-check.sh) keeps pthread_cond_init, CLOCK_REALTIME and
 * time() out of the rest of the product code. */
#ifndef URLMON_CLOCK_H
#define URLMON_CLOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common.h"

/* Milliseconds of CLOCK_MONOTONIC (an arbitrary origin: compare, never store). */
int64_t clock_mono_ms(void);
/* Seconds of CLOCK_MONOTONIC with sub-second precision, for stopwatches. */
double clock_mono_s(void);
/* Milliseconds since the epoch (CLOCK_REALTIME): for stored and shown instants. */
int64_t clock_wall_ms(void);

/* *ts = CLOCK_MONOTONIC now + ms (ms < 0 counts as 0), normalised: the absolute
 * deadline for pthread_cond_timedwait on a condvar made by clock_cond_init. */
void clock_deadline_ts(struct timespec *ts, int64_t ms);
/* pthread_cond_init with the CLOCK_MONOTONIC attribute. 0 or an errno value. */
int clock_cond_init(pthread_cond_t *cond) MUSTCHECK;

enum clock_utc_fmt {
    CLOCK_UTC_DATE,   /* 2026-11-22 (MySQL DATE) */
    CLOCK_UTC_SQL,    /* 2026-11-22 07:50:00 (MySQL DATETIME) */
    CLOCK_UTC_SQL_MS, /* 2026-11-22 07:50:00.123 (MySQL DATETIME(3)) */
    CLOCK_UTC_ISO_MS, /* 2026-11-22T07:50:00.123Z (ISO 8601, JSON and logs) */
};
/* The UTC calendar time of ms since the epoch (negative values are before 1970). */
void clock_utc_tm(int64_t ms, struct tm *tm, int *msec);
/* Formats ms since the epoch as UTC into buf (len >= 32 always suffices). */
void clock_utc_format(int64_t ms, enum clock_utc_fmt fmt, char *buf, size_t len);

#endif
