/* compute/urlstore.h: the upsert of one URL entry into the urls table.
 *
 * Shared by the CSV loader and the queue drain: INSERT ... ON DUPLICATE KEY UPDATE on
 * the unique url_hash, so an existing URL gets the new name, regex and interval and is
 * made active again instead of being duplicated; running it twice changes nothing more
 * (idempotent). An entry without an interval inserts QENTRY_INTERVAL_DEFAULT and leaves an
 * existing row's interval as it is (old queue entries, CSV files without the column). A prepared
 * statement on the caller's connection; the caller owns the transaction. */
#ifndef URLMON_URLSTORE_H
#define URLMON_URLSTORE_H

#include <stdbool.h>
#include <mysql.h>

#include "common.h"
#include "qentry.h"

struct urlstore;

int urlstore_open(MYSQL *conn, struct urlstore **out, char *err, size_t errlen) MUSTCHECK;
void urlstore_free(struct urlstore **u);
enum urlstore_outcome {
    URLSTORE_INSERTED, /* a new row */
    URLSTORE_UPDATED,  /* the URL was known: updated and (re)activated */
};

/* Returns 0 with *how (may be NULL) set, or -1 with the MySQL error in err
 * (db_error_is_connection(conn) tells whether the connection is gone). */
int urlstore_upsert(struct urlstore *u, const struct qentry *e, enum urlstore_outcome *how,
                    char *err, size_t errlen) MUSTCHECK;
/* The MySQL error number of the last failed upsert (0 = none). */
unsigned urlstore_errno(const struct urlstore *u);
/* True when that error ended the transaction or the connection (deadlock, lock wait
 * timeout, lost connection): the caller must roll back and retry later. */
bool urlstore_error_is_transient(const struct urlstore *u);

#endif
