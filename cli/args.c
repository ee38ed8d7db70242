/* cli/args.c: see args.h. */
#include "args.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BIT(c) (1u << (c))

enum which { O_HELP, O_JSON, O_ALL, O_NAME, O_PERIOD, O_REGEX };

/* Which options each command takes. */
static const struct option {
    const char *name; /* long form, without "--" */
    char shrt;        /* short form, 0 = none */
    bool value;       /* takes a value */
    unsigned cmds;    /* BIT(enum args_command) */
    enum which which;
} options[] = {
    {"help", 'h', false, ~0u, O_HELP},
    {"json", 0, false,
     BIT(ARGS_ADD) | BIT(ARGS_REMOVE) | BIT(ARGS_SET) | BIT(ARGS_LIST) | BIT(ARGS_SHOW), O_JSON},
    {"all", 'a', false, BIT(ARGS_LIST), O_ALL},
    {"name", 'n', true, BIT(ARGS_ADD) | BIT(ARGS_SET), O_NAME},
    {"period", 'p', true, BIT(ARGS_ADD) | BIT(ARGS_SET), O_PERIOD},
    {"regex", 'r', true, BIT(ARGS_ADD) | BIT(ARGS_SET), O_REGEX},
};

static const struct command {
    const char *name;
    enum args_command cmd;
    const char *operand; /* NULL = none */
    const char *usage;
} commands[] = {
    {"add", ARGS_ADD, "URL",
     "usage: urlmon add URL [--name NAME] [-p|--period SECONDS] [-r|--regex REGEX] [--json]\n"
     "\n"
     "Queues URL for monitoring (POST /urls). The compute side stores it; a URL that is\n"
     "already known (the same canonical URL) is updated and made active again instead.\n"
     "  -n, --name NAME        its name (default: the URL as given)\n"
     "  -p, --period SECONDS   check it every SECONDS (the API's MIN_INTERVAL..MAX_INTERVAL,\n"
     "                         default 5..86400; left out: 600 for a new URL, unchanged\n"
     "                         for a known one)\n"
     "  -r, --regex REGEX      a check succeeds only when the body matches (PCRE2)\n"
     "      --json             print the API's answer as JSON\n"},
    {"remove", ARGS_REMOVE, "URL|ID",
     "usage: urlmon remove URL|ID [--json]\n"
     "\n"
     "Stops monitoring a URL (DELETE /urls/{id}); its history is kept, and adding it again\n"
     "makes it active again. A URL is looked up by its canonical form.\n"
     "      --json             print the API's answer as JSON\n"},
    {"set", ARGS_SET, "ID",
     "usage: urlmon set ID [--name NAME] [-p|--period SECONDS] [-r|--regex REGEX] [--json]\n"
     "\n"
     "Changes some settings of URL ID (PATCH /urls/{id}); the next check uses them.\n"
     "At least one of:\n"
     "  -n, --name NAME        a new name\n"
     "  -p, --period SECONDS   a new check interval\n"
     "  -r, --regex REGEX      a new regex; an empty REGEX (-r '') removes it\n"
     "      --json             print the API's answer as JSON\n"},
    {"list", ARGS_LIST, NULL,
     "usage: urlmon list [-a|--all] [--json]\n"
     "\n"
     "The monitored URLs (GET /urls, every page), as a table: ID, interval, name, URL.\n"
     "  -a, --all              removed URLs too (with an ACTIVE column)\n"
     "      --json             print {\"items\": [...]} as the API gives them\n"},
    {"show", ARGS_SHOW, "URL|ID",
     "usage: urlmon show URL|ID [--json]\n"
     "\n"
     "One URL (GET /urls/{id}): its settings, its latest check, uptime over 24 h, 7 d and\n"
     "30 d, and p50/p95 response times over 24 h.\n"
     "      --json             print the API's answer as JSON\n"},
};

static const char general_usage[] =
    "usage: urlmon COMMAND [OPTIONS]\n"
    "       urlmon --help | --version | COMMAND --help\n"
    "\n"
    "Manages the URLs urlmon monitors, through its HTTP API.\n"
    "\n"
    "Commands:\n"
    "  add URL [--name NAME] [-p SECONDS] [-r REGEX]   monitor a URL\n"
    "  remove URL|ID                                   stop monitoring it (history kept)\n"
    "  set ID [--name NAME] [-p SECONDS] [-r REGEX]    change its settings\n"
    "  list [--all]                                    the monitored URLs\n"
    "  show URL|ID                                     one URL: settings, latest check,\n"
    "                                                  uptime, response times\n"
    "Every command takes --json (print the API's JSON) and --help.\n"
    "\n"
    "Environment:\n"
    "  URLMON_API   the API's base URL (default http://127.0.0.1:8000)\n"
    "  API_TOKEN    sent as Authorization: Bearer for add, remove and set (never printed)\n"
    "\n"
    "Exit status: 0 done, 1 the API refused the request or cannot be reached (its message\n"
    "is printed), 2 bad command line or URLMON_API.\n";

static int usage_error(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

const char *args_command_name(enum args_command cmd)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(commands); i++)
        if (commands[i].cmd == cmd)
            return commands[i].name;
    return "urlmon";
}

void args_usage(FILE *out, enum args_command cmd)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(commands); i++)
        if (commands[i].cmd == cmd) {
            fputs(commands[i].usage, out);
            return;
        }
    fputs(general_usage, out);
}

bool args_is_id(const char *s, uint64_t *id)
{
    uint64_t v = 0;
    size_t i;

    if (!s || !*s || strlen(s) > 19)
        return false;
    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > (uint64_t)INT64_MAX)
        return false;
    if (id)
        *id = v;
    return true;
}

static int parse_period(const char *v, unsigned *out, char *err, size_t errlen)
{
    unsigned long long n = 0;
    size_t i;

    if (!*v || strlen(v) > 10)
        return usage_error(err, errlen, "--period: \"%.40s\" is not a whole number of seconds", v);
    for (i = 0; v[i]; i++) {
        if (v[i] < '0' || v[i] > '9')
            return usage_error(err, errlen, "--period: \"%.40s\" is not a whole number of seconds",
                               v);
        n = n * 10 + (unsigned)(v[i] - '0');
    }
    if (n == 0 || n > 0xffffffffULL)
        return usage_error(err, errlen, "--period: \"%.40s\" is out of range", v);
    *out = (unsigned)n;
    return 0;
}

static int apply(struct args *a, const struct option *o, const char *value, char *err,
                 size_t errlen)
{
    switch (o->which) {
    case O_HELP:
        a->help = true;
        return 0;
    case O_JSON:
        a->json = true;
        return 0;
    case O_ALL:
        a->all = true;
        return 0;
    case O_NAME:
        a->name = value;
        return 0;
    case O_REGEX:
        a->regex = value;
        return 0;
    case O_PERIOD:
        a->has_period = true;
        return parse_period(value, &a->period, err, errlen);
    }
    return usage_error(err, errlen, "unknown option");
}

/* Finds the option arg names (long "--x[=v]" or short "-x[v]"). *inline_value receives a
 * value glued to it, else NULL. */
static const struct option *find_option(const char *arg, const char **inline_value)
{
    size_t i, n;

    *inline_value = NULL;
    for (i = 0; i < ARRAY_LEN(options); i++) {
        const struct option *o = &options[i];
        if (arg[1] == '-') {
            n = strlen(o->name);
            if (strncmp(arg + 2, o->name, n) != 0 || (arg[2 + n] && arg[2 + n] != '='))
                continue;
            if (arg[2 + n] == '=')
                *inline_value = arg + 3 + n;
            return o;
        }
        if (o->shrt && arg[1] == o->shrt) {
            if (arg[2])
                *inline_value = arg + 2;
            return o;
        }
    }
    return NULL;
}

static int parse_rest(int argc, char *const *argv, const struct command *c, struct args *a,
                      char *err, size_t errlen)
{
    bool options_done = false;
    int i;

    for (i = 2; i < argc; i++) {
        const char *arg = argv[i], *value;
        const struct option *o;

        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (!c->operand || a->target)
                return usage_error(err, errlen, "%s: unexpected argument \"%.80s\"", c->name, arg);
            a->target = arg;
            continue;
        }
        if (!(o = find_option(arg, &value)) || !(o->cmds & BIT(c->cmd)))
            return usage_error(err, errlen, "%s: unknown option %.80s", c->name, arg);
        if (!o->value && value)
            return usage_error(err, errlen, "%s: --%s takes no value", c->name, o->name);
        if (o->value && !value) {
            if (i + 1 >= argc)
                return usage_error(err, errlen, "%s: --%s needs a value", c->name, o->name);
            value = argv[++i];
        }
        if (apply(a, o, value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int args_parse(int argc, char *const *argv, struct args *a, char *err, size_t errlen)
{
    const struct command *c = NULL;
    size_t i;

    memset(a, 0, sizeof(*a));
    if (argc < 2)
        return usage_error(err, errlen, "a command is required (add, remove, set, list, show)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        a->help = true;
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        a->version = true;
        return 0;
    }
    for (i = 0; i < ARRAY_LEN(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            c = &commands[i];
    if (!c)
        return usage_error(err, errlen,
                           "unknown command \"%.40s\" (expected add, remove, set, list, show)",
                           argv[1]);
    a->cmd = c->cmd;
    if (parse_rest(argc, argv, c, a, err, errlen) != 0)
        return -1;
    if (a->help)
        return 0;
    if (c->operand && !a->target)
        return usage_error(err, errlen, "%s: %s is required", c->name, c->operand);
    if (c->cmd == ARGS_SET && !args_is_id(a->target, NULL))
        return usage_error(err, errlen, "set: \"%.40s\" is not an ID (a number from urlmon list)",
                           a->target);
    if (c->cmd == ARGS_SET && !a->name && !a->regex && !a->has_period)
        return usage_error(err, errlen,
                           "set: nothing to change (give --name, --period or --regex)");
    return 0;
}
