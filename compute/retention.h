/* compute/retention.h: deleting data older than its retention, in small steps.
 *
 * Raw checks older than RETENTION_DAYS, rollup_hourly older than HOURLY_RETENTION_DAYS (the
 * API reads it for at most the last 32 days: config.h), rollup_daily and the tiny
 * rollup_hourly_total (24 rows a day) older than ROLLUP_RETENTION_DAYS,
 * result_batches, finished runs and delivered (or failed) alert events older than
 * RETENTION_DAYS, closed incidents older than ROLLUP_RETENTION_DAYS. Each table is cleaned
 * with DELETE ... WHERE <time> < cutoff LIMIT RETENTION_CHUNK in a loop; every
 * statement is its own short transaction, so readers and writers are never blocked
 * for long. The cutoff is fixed once per call.
 *
 * A partitioned checks (partition.h) first gets its days ahead, then loses the
 * partitions whose whole day is older than RETENTION_DAYS (DROP PARTITION); the
 * DELETE then only removes what lies before the first remaining day (rows a
 * conversion or an old replay put in the oldest partition), so checks are kept for
 * RETENTION_DAYS to RETENTION_DAYS + 1 day, and a day is never deleted row by row. */
#ifndef URLMON_RETENTION_H
#define URLMON_RETENTION_H

#include <stdatomic.h>
#include <stdint.h>
#include <mysql.h>

#include "common.h"
#include "config.h"

#define RETENTION_CHUNK 5000

struct retention_stats {
    uint64_t checks, rollups, batches, runs, alerting; /* alerting: events + incidents */
    unsigned partitions_dropped, partitions_created;   /* of checks (partition.h) */
    uint64_t partition_rows; /* rows of the dropped partitions (InnoDB's estimate) */
};

/* Days each kind of data is kept (config: RETENTION_DAYS, HOURLY_RETENTION_DAYS,
 * ROLLUP_RETENTION_DAYS). */
struct retention_days {
    unsigned raw, hourly, rollup;
};

/* The days of the configuration. */
void retention_days_of(const struct config *cfg, struct retention_days *keep);

/* now_s: the current time (seconds, UTC). *stop (may be NULL) ends it early. */
int retention_run(MYSQL *conn, int64_t now_s, const struct retention_days *keep, atomic_int *stop,
                  struct retention_stats *st, char *err, size_t errlen) MUSTCHECK;

#endif
