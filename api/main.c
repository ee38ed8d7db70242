/* api/main.c: urlmon-api entry point: configuration, logging, then the server. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cors.h"
#include "db.h"
#include "log.h"
#include "server.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: urlmon-api [--help]\n"
                 "Serves the urlmon HTTP API (routes: docs/api.md, GET /openapi.json).\n");
    config_describe(out);
}

int main(int argc, char **argv)
{
    struct config cfg;
    struct cors cors;
    struct api *api = NULL;
    char err[URLMON_ERRLEN];
    int rc = 1;

    if (argc > 1) {
        bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    if (config_load(&cfg, NULL, err, sizeof(err)) != 0 ||
        cors_parse(cfg.api_cors_origins, &cors, err, sizeof(err)) != 0) {
        fprintf(stderr, "urlmon-api: configuration error: %s\n", err);
        return 2;
    }
    log_init("urlmon-api", cfg.log_level);
    log_set_output(cfg.log_format, cfg.instance);
    if (db_library_init() != 0) {
        log_error("cannot initialise the MySQL client library");
        return 1;
    }
    if (api_open(&cfg, &api, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto out;
    }
    rc = api_run(api);
out:
    api_free(&api);
    db_library_end();
    return rc;
}
