/* compute/main.c: urlmon-compute entry point. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "migrate.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: urlmon-compute [migrate] [--help]\n");
    config_describe(out);
}

static int cmd_migrate(const struct config *cfg)
{
    char err[URLMON_ERRLEN] = "";
    MYSQL *conn = NULL;
    int before = 0, after = 0, rc = 1;

    if (!(conn = db_connect(cfg, err, sizeof(err)))) {
        log_error("%s", err);
        goto out;
    }
    if (migrate_apply(conn, &before, &after, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto out;
    }
    if (before == after)
        log_info("schema is up to date at version %d", after);
    else
        log_info("schema migrated from version %d to %d", before, after);
    rc = 0;
out:
    db_close(&conn);
    return rc;
}

int main(int argc, char **argv)
{
    struct config cfg;
    char err[URLMON_ERRLEN];
    int rc;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (config_load(&cfg, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "urlmon-compute: configuration error: %s\n", err);
        return 2;
    }
    log_init("urlmon-compute", cfg.log_level);
    if (db_library_init() != 0) {
        log_error("cannot initialise the MySQL client library");
        return 1;
    }
    if (argc == 2 && strcmp(argv[1], "migrate") == 0)
        rc = cmd_migrate(&cfg);
    else {
        usage(stderr);
        rc = 2;
    }
    db_library_end();
    return rc;
}
