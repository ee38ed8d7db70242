/* compute/urlstore.c: see urlstore.h. */
#include "urlstore.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stmt.h"

struct urlstore {
    MYSQL_STMT *stmt;
};

static const char upsert_sql[] =
    "INSERT INTO urls (name, url, regex, check_interval, fail_threshold, success_threshold,"
    " active, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, 1, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))"
    " ON DUPLICATE KEY UPDATE name = VALUES(name), regex = VALUES(regex),"
    " check_interval = COALESCE(?, check_interval), fail_threshold = VALUES(fail_threshold),"
    " success_threshold = VALUES(success_threshold), active = 1,"
    " deactivated_at = NULL, updated_at = VALUES(updated_at)";

int urlstore_open(MYSQL *conn, struct urlstore **out, char *err, size_t errlen)
{
    struct urlstore *u = calloc(1, sizeof(*u));
    int rc = -1;
    char e[URLMON_ERRLEN];

    *out = NULL;
    if (!u) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (stmt_prepare(conn, upsert_sql, &u->stmt, e, sizeof(e)) != 0) {
        snprintf(err, errlen, "preparing the URL upsert: %.200s", e);
        goto out;
    }
    *out = u;
    u = NULL;
    rc = 0;
out:
    urlstore_free(&u);
    return rc;
}

void urlstore_free(struct urlstore **u)
{
    if (!u || !*u)
        return;
    stmt_close(&(*u)->stmt);
    free(*u);
    *u = NULL;
}

int urlstore_upsert(struct urlstore *u, const struct qentry *e, enum urlstore_outcome *how,
                    char *err, size_t errlen)
{
    struct stmt_params p;
    uint32_t interval = e->has_interval ? e->interval : QENTRY_INTERVAL_DEFAULT;
    char err2[URLMON_ERRLEN];
    uint32_t ft = e->fail_threshold, st = e->success_threshold; /* 0: NULL, the global one */

    stmt_params_init(&p);
    stmt_param_str(&p, e->name);
    stmt_param_str(&p, e->url);
    stmt_param_str(&p, e->has_regex ? e->regex : NULL);
    stmt_param_u32(&p, &interval);
    stmt_param_u32(&p, &ft);
    stmt_param_null_if(&p, ft == 0);
    stmt_param_u32(&p, &st);
    stmt_param_null_if(&p, st == 0);
    stmt_param_u32(&p, &interval); /* the update keeps the row's interval when none is given */
    stmt_param_null_if(&p, !e->has_interval);
    if (stmt_execute_params(u->stmt, &p, err2, sizeof(err2)) != 0) {
        snprintf(err, errlen, "storing URL %.200s: %.200s", e->url, err2);
        return -1;
    }
    /* ON DUPLICATE KEY UPDATE counts 1 for an insert, 2 for an update (updated_at moves) */
    if (how)
        *how = mysql_stmt_affected_rows(u->stmt) == 1 ? URLSTORE_INSERTED : URLSTORE_UPDATED;
    return 0;
}

unsigned urlstore_errno(const struct urlstore *u)
{
    return mysql_stmt_errno(u->stmt);
}

bool urlstore_error_is_transient(const struct urlstore *u)
{
    unsigned e = mysql_stmt_errno(u->stmt);
    return e == 1213 /* deadlock */ || e == 1205 /* lock wait timeout */ ||
           e == 1053 /* server shutdown */ || e == 1927 /* connection killed */ ||
           (e >= 2000 && e < 3000) /* client side: connection lost, ... */;
}
