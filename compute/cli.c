/* compute/cli.c: argv parsing for urlmon-compute. See cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Whole string as a decimal number in [min, max]; digits only (no sign, no spaces). */
static int parse_uint(const char *s, size_t len, unsigned long min, unsigned long max,
                      unsigned *out)
{
    unsigned long v = 0;
    size_t i;

    if (len == 0 || len > 10)
        return -1;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int cli_parse_shard(const char *s, unsigned *k, unsigned *n)
{
    const char *slash = strchr(s, '/');
    unsigned kk, nn;

    if (!slash || parse_uint(s, (size_t)(slash - s), 0, CLI_MAX_SHARDS - 1, &kk) != 0 ||
        parse_uint(slash + 1, strlen(slash + 1), 1, CLI_MAX_SHARDS, &nn) != 0 || kk >= nn)
        return -1;
    *k = kk;
    *n = nn;
    return 0;
}

/* "--name=value" or "--name value": the value, advancing *i for the second form. */
static const char *take_value(int argc, char **argv, int *i, const char *name, char *err,
                              size_t errlen)
{
    const char *arg = argv[*i];
    size_t nlen = strlen(name);

    if (arg[nlen] == '=')
        return arg + nlen + 1;
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "%s: missing value", name);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

/* True when arg is "--name" or "--name=...". */
static bool is_flag(const char *arg, const char *name)
{
    size_t nlen = strlen(name);
    return strncmp(arg, name, nlen) == 0 && (arg[nlen] == '\0' || arg[nlen] == '=');
}

static int parse_one(int argc, char **argv, int *i, struct cli_opts *o, char *err, size_t errlen)
{
    const char *arg = argv[*i], *v;

    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
        o->mode = CLI_MODE_HELP;
    else if (strcmp(arg, "--version") == 0)
        o->mode = CLI_MODE_VERSION;
    else if (strcmp(arg, "--run-local") == 0)
        o->run_local = true;
    else if (strcmp(arg, "--service") == 0)
        o->service = true;
    else if (is_flag(arg, "--interval")) {
        if (!(v = take_value(argc, argv, i, "--interval", err, errlen)))
            return -1;
        if (parse_uint(v, strlen(v), 1, CLI_MAX_INTERVAL, &o->interval) != 0) {
            snprintf(err, errlen, "--interval: bad value '%.64s' (expected seconds, 1 to %u)", v,
                     CLI_MAX_INTERVAL);
            return -1;
        }
    } else if (is_flag(arg, "--data-path")) {
        if (!(v = take_value(argc, argv, i, "--data-path", err, errlen)))
            return -1;
        if (*v == '\0') {
            snprintf(err, errlen, "--data-path: the file name is empty");
            return -1;
        }
        o->data_path = v;
    } else if (is_flag(arg, "--shard")) {
        if (!(v = take_value(argc, argv, i, "--shard", err, errlen)))
            return -1;
        if (cli_parse_shard(v, &o->shard_index, &o->shard_count) != 0) {
            snprintf(err, errlen, "--shard: bad value '%.64s' (expected K/N, 0 <= K < N <= %u)", v,
                     CLI_MAX_SHARDS);
            return -1;
        }
    } else if (strcmp(arg, "migrate") == 0 && *i == 1)
        o->mode = CLI_MODE_MIGRATE;
    else if (strcmp(arg, "partition-checks") == 0 && *i == 1)
        o->mode = CLI_MODE_PARTITION_CHECKS;
    else if (strcmp(arg, "--keep-old") == 0 && o->mode == CLI_MODE_PARTITION_CHECKS)
        o->keep_old = true;
    else {
        snprintf(err, errlen, "%.64s: unknown %s", arg, arg[0] == '-' ? "option" : "argument");
        return -1;
    }
    return 0;
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
    int i, rc = -1;

    memset(o, 0, sizeof(*o));
    o->mode = CLI_MODE_RUN;
    o->interval = CLI_DEFAULT_INTERVAL;
    o->shard_count = 1;
    for (i = 1; i < argc; i++) {
        if (parse_one(argc, argv, &i, o, err, errlen) != 0)
            goto out;
        if (o->mode == CLI_MODE_HELP || o->mode == CLI_MODE_VERSION)
            break; /* --help wins over anything after it */
    }
    if (o->service && o->run_local) {
        snprintf(err, errlen, "--service and --run-local: choose one mode");
        goto out;
    }
    if (o->mode == CLI_MODE_MIGRATE && argc > 2) {
        snprintf(err, errlen, "migrate: takes no options");
        goto out;
    }
    if (o->mode == CLI_MODE_PARTITION_CHECKS &&
        (o->run_local || o->service || o->data_path || o->shard_count != 1 ||
         o->interval != CLI_DEFAULT_INTERVAL)) {
        snprintf(err, errlen, "partition-checks: takes only --keep-old");
        goto out;
    }
    rc = 0;
out:
    return rc;
}

void cli_usage(FILE *out)
{
    fprintf(out,
            "usage: urlmon-compute [--service | --run-local] [--interval SECONDS]\n"
            "                      [--data-path FILE] [--shard K/N]\n"
            "       urlmon-compute migrate\n"
            "       urlmon-compute partition-checks [--keep-old]\n"
            "       urlmon-compute --help | --version\n"
            "\n"
            "Without a mode flag: one run of the slot (now / --interval): every active URL\n"
            "that is due (never checked, or last check + its interval falls before the end\n"
            "of the slot) is checked, then exit. A URL whose interval is shorter than the\n"
            "slot is checked once per slot: for short intervals use --service.\n"
            "  --service            the continuous scheduler (systemd unit, ECS service):\n"
            "                       each URL checked at its own interval (5 s and up),\n"
            "                       fixed rate, spread by a per-URL phase; new URLs in the\n"
            "                       queue are checked within seconds; one runs row a\n"
            "                       minute; waits while another instance holds the shard\n"
            "  migrate              apply the schema migrations, then exit (an empty checks\n"
            "                       table is partitioned by day at once)\n"
            "  partition-checks     convert a populated, unpartitioned checks to daily\n"
            "                       partitions online (copy behind the running system, then\n"
            "                       an atomic swap; docs/schema.md); --keep-old keeps the\n"
            "                       old table as checks_unpartitioned\n"
            "  --run-local          run at once, then every --interval seconds (fixed rate; a\n"
            "                       run that overruns is followed at once by the next, never\n"
            "                       overlapping) until SIGINT/SIGTERM; each run checks the\n"
            "                       URLs due in its slot\n"
            "  --interval SECONDS   slot length and --run-local period (default %u, 1..%u);\n"
            "                       one run per shard and slot (slot = now / interval)\n"
            "  --data-path FILE     load a CSV (header name,url[,regex][,interval];\n"
            "                       RFC 4180) into the URL list before the first run; bad\n"
            "                       rows are reported with their line number and skipped\n"
            "  --shard K/N          check only URLs with id %% N = K (0 <= K < N <= %u)\n"
            "\n"
            "A run: drain the Redis queue into the URL list, check the due URLs of the\n"
            "shard, write results + rollups exactly once, record the run, invalidate the API\n"
            "cache, apply retention. SIGINT/SIGTERM: stop taking checks, finish those in\n"
            "flight, write everything checked, exit 0.\n"
            "Exit status: 0 done (or skipped: slot done / run in progress elsewhere),\n"
            "1 the run could not complete, 2 bad command line or configuration.\n\n",
            CLI_DEFAULT_INTERVAL, CLI_MAX_INTERVAL, CLI_MAX_SHARDS);
}
