/* shared/migrate.h: versioned schema migrations kept in the source tree.
 *
 * Migrations are numbered 1, 2, ...; each is a list of statements (migrations.c).
 * migrate_apply runs those newer than the version recorded in schema_version,
 * under a MySQL named lock so two instances never migrate at once. Running it
 * again is a no-op. */
#ifndef URLMON_MIGRATE_H
#define URLMON_MIGRATE_H

#include <mysql.h>

#include "common.h"

struct migration {
    int version;
    const char *name;
    const char *const *statements; /* NULL-terminated */
};

/* The table in migrations.c, in version order. */
extern const struct migration migrations[];
extern const unsigned migrations_count;

/* Brings the schema up to date; before and after receive the versions. */
int migrate_apply(MYSQL *conn, int *before, int *after, char *err, size_t errlen) MUSTCHECK;
/* The version recorded in the database (0 when none). */
int migrate_current(MYSQL *conn, int *version, char *err, size_t errlen) MUSTCHECK;

#endif
