/* compute/cli.h: the urlmon-compute command line.
 *
 * cli_parse fills a struct cli_opts from argv; it never exits and never prints:
 * on a bad flag or value it returns -1 with a message naming the flag in err
 * (main turns that into exit status 2). Strings in cli_opts point into argv. */
#ifndef URLMON_CLI_H
#define URLMON_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "common.h"

#define CLI_DEFAULT_INTERVAL 600u
#define CLI_MAX_INTERVAL 604800u /* one week */
#define CLI_MAX_SHARDS 1024u

enum cli_mode {
    CLI_MODE_RUN,
    CLI_MODE_MIGRATE,
    CLI_MODE_PARTITION_CHECKS,
    CLI_MODE_HELP,
    CLI_MODE_VERSION
};

struct cli_opts {
    enum cli_mode mode;
    bool run_local;        /* run now, then every interval seconds until a signal */
    bool service;          /* the continuous scheduler (service.h) */
    unsigned interval;     /* seconds: length of a slot and the --run-local period */
    const char *data_path; /* CSV to load before the first run; NULL = none */
    unsigned shard_index;  /* K of --shard K/N */
    unsigned shard_count;  /* N of --shard K/N; 1 = no sharding */
    bool keep_old;         /* partition-checks --keep-old */
};

/* Parses argv (argv[0] is the program). Returns 0, or -1 with a message in err. */
int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen) MUSTCHECK;

/* Parses "K/N" with 0 <= K < N <= CLI_MAX_SHARDS, decimal digits only. */
int cli_parse_shard(const char *s, unsigned *k, unsigned *n) MUSTCHECK;

/* The --help text (without the environment table, which config_describe prints). */
void cli_usage(FILE *out);

#endif
