/* compute/loader.h: --data-path: a CSV file of URLs upserted into the urls table.
 *
 * The file: a header naming the columns name and url (any order, case-insensitive,
 * plus optional regex and interval columns; other columns are ignored with a warning),
 * then one URL per record (RFC 4180, see csv.h). Each row is validated with qentry_set
 * and qentry_set_interval_text (whole seconds within the bounds given, MIN_INTERVAL..
 * MAX_INTERVAL; an empty cell = no interval), the rules POST /urls and the queue use; a
 * bad row is logged as "FILE:LINE: reason" (an interval's names the bounds) and skipped. Good rows
 * are upserted (urlstore.h) in transactions of LOADER_TXN_ROWS, so loading the same file twice
 * leaves the table as once. */
#ifndef URLMON_LOADER_H
#define URLMON_LOADER_H

#include <mysql.h>

#include "common.h"
#include "qentry.h"

#define LOADER_TXN_ROWS 1000

struct loader_stats {
    unsigned long rows;    /* records after the header */
    unsigned long loaded;  /* upserted */
    unsigned long updated; /* of those, URLs already known (updated, active again) */
    unsigned long bad;     /* reported and skipped */
};

/* Returns 0 when the file was read to its end (bad rows do not fail it); -1 with a
 * message in err when the file is missing, unreadable or has no usable header, or on
 * a MySQL error (rows of the current transaction are then not stored). */
int loader_load_csv(MYSQL *conn, const char *path, const struct qentry_bounds *b,
                    struct loader_stats *st, char *err, size_t errlen) MUSTCHECK;

#endif
