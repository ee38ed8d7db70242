/* api/main.c: urlmon-api entry point. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"

int main(int argc, char **argv)
{
    struct config cfg;
    char err[URLMON_ERRLEN];

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: urlmon-api\n");
        config_describe(stdout);
        return 0;
    }
    if (config_load(&cfg, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "urlmon-api: configuration error: %s\n", err);
        return 2;
    }
    log_init("urlmon-api", cfg.log_level);
    log_error("the HTTP service is not built yet");
    return 1;
}
