/* compute/partconv.h: converting a populated, unpartitioned `checks` to daily
 * partitions (partition.h) behind the running system: `urlmon-compute partition-checks`.
 *
 * The online-copy pattern, without a long lock and without losing a row:
 *   1. checks_new = a copy of the definition of checks, partitioned by day (from the
 *      oldest row kept by RETENTION_DAYS to PARTITION_AHEAD_DAYS ahead, p_future last);
 *   2. triggers on checks mirror every INSERT, UPDATE and DELETE into checks_new in the
 *      writer's own transaction (INSERT IGNORE / REPLACE / DELETE by primary key);
 *   3. the rows are copied in primary-key order, PARTCONV_CHUNK at a time, with
 *      INSERT IGNORE ... SELECT under REPEATABLE READ (a locking read: a row being
 *      deleted waits for the chunk, so a deleted row is never copied back), each chunk
 *      a short transaction, retried on a deadlock;
 *   4. RENAME TABLE checks TO checks_unpartitioned, checks_new TO checks: one atomic
 *      swap (writers wait for it a moment, none fails); like every DDL statement here it
 *      waits at most 3 s for a metadata lock (behind a long read every new statement
 *      on checks would queue behind it) and tries again a second later;
 *   5. the triggers are dropped; every row of checks_unpartitioned is looked up in the
 *      new checks; when none is missing the old table is dropped (else it is kept and
 *      the command fails, naming the count).
 * A named lock keeps two conversions apart; a checks_new left by an interrupted
 * conversion is dropped and the copy starts again. Needs the TRIGGER privilege. */
#ifndef URLMON_PARTCONV_H
#define URLMON_PARTCONV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <mysql.h>

#include "common.h"

#define PARTCONV_CHUNK 2000

struct partconv_stats {
    bool already;      /* checks was partitioned already: nothing done */
    uint64_t copied;   /* rows inserted by the copy (mirrored ones not counted) */
    uint64_t chunks;   /* chunks copied */
    uint64_t old_rows; /* rows of the old table at the swap */
    uint64_t new_rows; /* rows of the new table right after the swap */
    uint64_t missing;  /* old rows not in the new table (0, or the old table is kept) */
    bool old_kept;     /* checks_unpartitioned still exists */
    double copy_s, swap_s;
};

/* now_s: the current time; raw_days: RETENTION_DAYS (the first day partition). *stop
 * (may be NULL) interrupts the copy: the triggers and checks_new are removed again and
 * checks stays as it was. keep_old: do not drop checks_unpartitioned. */
int partconv_run(MYSQL *conn, int64_t now_s, unsigned raw_days, bool keep_old, atomic_int *stop,
                 struct partconv_stats *st, char *err, size_t errlen) MUSTCHECK;

#endif
