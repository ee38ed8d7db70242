/* compute/alertwrite.h: URL state, incidents and outbox events of a result batch.
 *
 * batchwrite_commit calls alertwrite_apply inside the batch's transaction, after the
 * checks rows are in. It locks the batch's URL rows (SELECT ... FOR UPDATE, id order),
 * applies each result in check-time order (urlstate.h), writes the rows that changed in
 * one UPDATE, and for each transition opens or closes an incident and adds its event
 * to the outbox. Everything commits or rolls back with the results: a batch written
 * twice is refused by result_batches before it gets here, so an incident is never
 * opened twice, and a crash before COMMIT loses neither the results nor the events.
 *
 * Event ids are "urlmon-<incident id>-<type>", unique in the outbox. */
#ifndef URLMON_ALERTWRITE_H
#define URLMON_ALERTWRITE_H

#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

#include "check.h"
#include "common.h"
#include "config.h"
#include "sqlbuf.h"

#define ALERTWRITE_FAIL_THRESHOLD 2 /* the defaults when no configuration is given */
#define ALERTWRITE_SUCCESS_THRESHOLD 1
#define ALERTWRITE_CERT_DAYS 14

struct alert_rules {
    unsigned fail_threshold, success_threshold, cert_days;
};

void alertwrite_rules_from_config(struct alert_rules *rules, const struct config *cfg);

struct alertwrite_stats {
    unsigned opened, closed, cert_warnings, cert_renewed;
};

/* rules NULL = the defaults above. 0, or -1 with err (the caller rolls back; the
 * MySQL error tells whether to retry). st may be NULL. */
int alertwrite_apply(MYSQL *conn, struct sqlbuf *buf, const struct alert_rules *rules,
                     uint64_t run_id, const struct check_result *r, size_t n,
                     struct alertwrite_stats *st, char *err, size_t errlen) MUSTCHECK;

#endif
