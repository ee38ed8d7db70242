/* compute/partition.h: the daily partitions of `checks`.
 *
 * `checks` is partitioned by RANGE COLUMNS(checked_at) (MariaDB 10.6+ and MySQL 8 alike):
 * one partition per UTC day, named pYYYYMMDD and holding checked_at < the next day
 * 00:00 (the oldest one also holds anything older: a spool replay of an old result
 * always lands), and a last catch-all p_future VALUES LESS THAN (MAXVALUE) (a row from
 * a clock ahead of ours always lands). So no row is ever refused for want of a
 * partition; the days ahead exist only so that p_future stays empty and splitting it
 * (REORGANIZE PARTITION) costs nothing.
 *
 * Maintenance (partition_maintain, from retention after every run and periodically in
 * the service mode; partition_setup from `migrate`) keeps PARTITION_AHEAD_DAYS days
 * ahead and drops the partitions whose whole day is older than the raw retention:
 * O(1) per day instead of a DELETE of every row. A named MySQL lock keeps two
 * processes from altering the table at once. An unpartitioned `checks` is left alone
 * (partition_setup partitions it when empty; a populated one is converted online by
 * `urlmon-compute partition-checks`, partconv.h). See docs/schema.md. */
#ifndef URLMON_PARTITION_H
#define URLMON_PARTITION_H

#include <stdbool.h>
#include <stdint.h>
#include <mysql.h>

#include "common.h"

#define PARTITION_AHEAD_DAYS 3
#define PARTITION_DAY_S INT64_C(86400)
#define PARTITION_LOCK "urlmon_partition"
#define PARTITION_LOCK_WAIT_S "2" /* lock_wait_timeout of the maintenance ALTERs (s) */

struct partition_stats {
    bool partitioned;      /* checks is partitioned (else nothing was done) */
    unsigned created;      /* day partitions added */
    unsigned dropped;      /* day partitions dropped */
    uint64_t dropped_rows; /* their rows (InnoDB's estimate) */
    int64_t oldest_day_s;  /* first day still kept (00:00 UTC, seconds); 0 = none */
};

/* Whether `table` (in the current database) is partitioned. */
int partition_is_partitioned(MYSQL *conn, const char *table, bool *yes, char *err,
                             size_t errlen) MUSTCHECK;

/* Writes the "PARTITION BY RANGE COLUMNS(checked_at) (...)" clause for the days from
 * first_day_s to last_day_s (any time in the day, seconds UTC) and p_future. Returns 0,
 * or -1 when buf is too small. */
int partition_clause(int64_t first_day_s, int64_t last_day_s, char *buf, size_t len) MUSTCHECK;

/* Adds the days up to now + ahead_days and drops those whose whole day ends at or
 * before drop_before_s (0 = drop nothing). Nothing when checks is not partitioned. */
int partition_maintain(MYSQL *conn, int64_t now_s, unsigned ahead_days, int64_t drop_before_s,
                       struct partition_stats *st, char *err, size_t errlen) MUSTCHECK;

/* For `migrate`: an empty unpartitioned checks is partitioned at once, with a day
 * partition from first_day_s on (now - RETENTION_DAYS: history loaded or replayed into a
 * new installation lands in its own day, which retention can drop whole); a populated
 * one is left as it is and *populated set (the caller says what to do); then
 * partition_maintain without dropping. */
int partition_setup(MYSQL *conn, int64_t now_s, int64_t first_day_s, bool *populated, char *err,
                    size_t errlen) MUSTCHECK;

#endif
