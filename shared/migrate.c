/* shared/migrate.c: applies migrations in order, recording each in schema_version. */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

static const char create_version_table[] = "CREATE TABLE IF NOT EXISTS schema_version ("
                                           " version INT NOT NULL PRIMARY KEY,"
                                           " name VARCHAR(128) NOT NULL,"
                                           " applied_at DATETIME(3) NOT NULL"
                                           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

static int query_int(MYSQL *conn, const char *sql, long *out, char *err, size_t errlen)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = -1;

    if (mysql_real_query(conn, sql, strlen(sql)) != 0 || !(res = mysql_store_result(conn))) {
        snprintf(err, errlen, "%s: %s", sql, mysql_error(conn));
        goto out;
    }
    row = mysql_fetch_row(res);
    *out = row && row[0] ? strtol(row[0], NULL, 10) : 0;
    rc = 0;
out:
    if (res)
        mysql_free_result(res);
    return rc;
}

int migrate_current(MYSQL *conn, int *version, char *err, size_t errlen)
{
    long v = 0;
    if (db_exec(conn, create_version_table, err, errlen) != 0)
        return -1;
    if (query_int(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &v, err, errlen) !=
        0)
        return -1;
    *version = (int)v;
    return 0;
}

static int apply_one(MYSQL *conn, const struct migration *m, char *err, size_t errlen)
{
    const char *const *stmt;
    char sql[256];
    char inner[URLMON_ERRLEN];

    for (stmt = m->statements; *stmt; stmt++) {
        if (db_exec(conn, *stmt, inner, sizeof(inner)) != 0) {
            snprintf(err, errlen, "migration %d (%s) failed: %s", m->version, m->name, inner);
            return -1;
        }
    }
    snprintf(sql, sizeof(sql),
             "INSERT INTO schema_version (version, name, applied_at) VALUES (%d, '%s', "
             "UTC_TIMESTAMP(3))",
             m->version, m->name); /* both from the compiled-in table, never user input */
    if (db_exec(conn, sql, inner, sizeof(inner)) != 0) {
        snprintf(err, errlen, "recording migration %d failed: %s", m->version, inner);
        return -1;
    }
    return 0;
}

int migrate_apply(MYSQL *conn, int *before, int *after, char *err, size_t errlen)
{
    long locked = 0;
    int version = 0, rc = -1;
    unsigned i;

    if (query_int(conn, "SELECT GET_LOCK('urlmon_migrate', 60)", &locked, err, errlen) != 0)
        return -1;
    if (locked != 1) {
        snprintf(err, errlen, "another instance is migrating (lock urlmon_migrate busy for 60 s)");
        return -1;
    }
    if (migrate_current(conn, &version, err, errlen) != 0)
        goto out;
    *before = version;
    for (i = 0; i < migrations_count; i++) {
        if (migrations[i].version <= version)
            continue;
        log_info("applying migration %d (%s)", migrations[i].version, migrations[i].name);
        if (apply_one(conn, &migrations[i], err, errlen) != 0)
            goto out;
        version = migrations[i].version;
    }
    *after = version;
    rc = 0;
out:
    if (db_exec(conn, "DO RELEASE_LOCK('urlmon_migrate')", err + strlen(err),
                errlen - strlen(err)) != 0)
        rc = -1;
    return rc;
}
