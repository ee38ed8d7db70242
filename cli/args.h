/* cli/args.h: the urlmon command line, parsed (pure: no I/O but the usage text).
 *
 *   urlmon add URL [--name NAME] [-p|--period SECONDS] [-r|--regex REGEX] [--json]
 *   urlmon remove URL|ID [--json]
 *   urlmon set ID [--name NAME] [-p|--period SECONDS] [-r|--regex REGEX] [--json]
 *   urlmon list [-a|--all] [--json]
 *   urlmon show URL|ID [--json]
 *   urlmon --help | --version | COMMAND --help
 *
 * Options may come before or after the operand, as "--name VALUE", "--name=VALUE", "-p 60"
 * or "-p60"; "--" ends the options. Only the shape is checked here (a period is whole
 * seconds, an ID is digits); the values themselves are the API's to judge, so there is one
 * validation path. */
#ifndef URLMON_CLI_ARGS_H
#define URLMON_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

enum args_command { ARGS_NONE, ARGS_ADD, ARGS_REMOVE, ARGS_SET, ARGS_LIST, ARGS_SHOW };

struct args {
    enum args_command cmd;
    bool help;          /* --help: print usage (of cmd, or in general), exit 0 */
    bool version;       /* --version */
    bool json;          /* --json: print the API's JSON */
    bool all;           /* list --all: removed URLs too */
    const char *target; /* add: the URL; remove, show: URL or ID; set: ID */
    const char *name;   /* --name, NULL = not given */
    const char *regex;  /* --regex, NULL = not given ("" = none) */
    bool has_period;
    unsigned period; /* --period, seconds */
};

/* Fills a from argv. Returns 0, or -1 with a message naming the problem in err (a usage
 * error: exit 2). */
int args_parse(int argc, char *const *argv, struct args *a, char *err, size_t errlen) MUSTCHECK;
/* The usage of cmd (ARGS_NONE: of the whole program). */
void args_usage(FILE *out, enum args_command cmd);
const char *args_command_name(enum args_command cmd);
/* True when s is an ID: decimal digits, 1..2^63-1. */
bool args_is_id(const char *s, uint64_t *id);

#endif
