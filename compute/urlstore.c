/* compute/urlstore.c: see urlstore.h. */
#include "urlstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct urlstore {
    MYSQL_STMT *stmt;
};

static const char upsert_sql[] =
    "INSERT INTO urls (name, url, regex, active, created_at, updated_at)"
    " VALUES (?, ?, ?, 1, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))"
    " ON DUPLICATE KEY UPDATE name = VALUES(name), regex = VALUES(regex), active = 1,"
    " deactivated_at = NULL, updated_at = VALUES(updated_at)";

int urlstore_open(MYSQL *conn, struct urlstore **out, char *err, size_t errlen)
{
    struct urlstore *u = calloc(1, sizeof(*u));
    int rc = -1;

    *out = NULL;
    if (!u || !(u->stmt = mysql_stmt_init(conn))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (mysql_stmt_prepare(u->stmt, upsert_sql, sizeof(upsert_sql) - 1) != 0) {
        snprintf(err, errlen, "preparing the URL upsert: %s", mysql_stmt_error(u->stmt));
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
    if ((*u)->stmt)
        mysql_stmt_close((*u)->stmt);
    free(*u);
    *u = NULL;
}

int urlstore_upsert(struct urlstore *u, const struct qentry *e, char *err, size_t errlen)
{
    MYSQL_BIND b[3];
    unsigned long lens[3];
    my_bool regex_null = !e->has_regex;

    memset(b, 0, sizeof(b));
    lens[0] = (unsigned long)strlen(e->name);
    lens[1] = (unsigned long)strlen(e->url);
    lens[2] = (unsigned long)strlen(e->regex);
    b[0].buffer_type = MYSQL_TYPE_STRING;
    b[0].buffer = (void *)e->name;
    b[0].length = &lens[0];
    b[1].buffer_type = MYSQL_TYPE_STRING;
    b[1].buffer = (void *)e->url;
    b[1].length = &lens[1];
    b[2].buffer_type = MYSQL_TYPE_STRING;
    b[2].buffer = (void *)e->regex;
    b[2].length = &lens[2];
    b[2].is_null = &regex_null;
    if (mysql_stmt_bind_param(u->stmt, b) != 0 || mysql_stmt_execute(u->stmt) != 0) {
        snprintf(err, errlen, "storing URL %.200s: %s", e->url, mysql_stmt_error(u->stmt));
        return -1;
    }
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
