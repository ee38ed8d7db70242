/* compute/batchwrite.h: one result batch written exactly once, and spool replay.
 *
 * A batch is (run_id, batch_no) plus its rows. batchwrite_commit runs one
 * transaction: INSERT INTO result_batches first (a duplicate key means the batch is
 * already in: roll back, nothing else to do), then the checks rows (multi-row INSERTs
 * from batchsql.h), then the rollups (rollup.h), then the URL state, incidents and
 * outbox events the results cause (alertwrite.h), then COMMIT. A lost connection or a
 * lost COMMIT acknowledgement is safe to retry with the same batch: it either
 * committed, and the retry finds the result_batches row, or it did not. */
#ifndef URLMON_BATCHWRITE_H
#define URLMON_BATCHWRITE_H

#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

#include "alertwrite.h"
#include "check.h"
#include "sqlbuf.h"

enum batchwrite_result {
    BATCHWRITE_OK,        /* committed now */
    BATCHWRITE_DUPLICATE, /* was committed before: nothing written */
    BATCHWRITE_RETRY,     /* connection lost, deadlock, lock timeout, shutdown: try again */
    BATCHWRITE_FAILED,    /* MySQL refused the batch: retrying will not help */
};

/* Returns an enum batchwrite_result; err says why on RETRY and FAILED. rules: the
 * alerting thresholds (NULL = alertwrite.h's defaults). */
int batchwrite_commit(MYSQL *conn, struct sqlbuf *buf, const struct alert_rules *rules,
                      uint64_t run_id, uint32_t batch_no, const struct check_result *r, size_t n,
                      char *err, size_t errlen);

struct replay_stats {
    unsigned long batches, rows, duplicates, damaged, foreign;
};

/* This database's install id (SPOOL_ID_LEN hex + NUL into id). */
int batchwrite_install_id(MYSQL *conn, char *id, size_t idlen, char *err, size_t errlen) MUSTCHECK;

/* Replays the spool files in dir, oldest first, deleting each once its batch is in
 * MySQL (committed now or before). A damaged file, one MySQL refuses, or one of another
 * database (its install id differs) is logged and left in place. Returns 0, or -1 when
 * MySQL went away (err; the rest waits). */
int batchwrite_replay(MYSQL *conn, struct sqlbuf *buf, const struct alert_rules *rules,
                      const char *dir, struct replay_stats *st, char *err, size_t errlen) MUSTCHECK;

#endif
