/* opts.c: urlmon-target command line. See opts.h. */
#include "opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#define MAX_LISTENS 4096
#define MAX_THREADS 256

static const char usage[] =
    "usage: urlmon-target [options]\n"
    "  --listen ADDR:PORT      answer HTTP on ADDR:PORT (repeatable; PORT 0 = any free port)\n"
    "  --addrs A[-B]           with --ports: listen on every address A..B (IPv4) ...\n"
    "  --ports P[-Q]           ... combined with every port P..Q (both repeatable)\n"
    "  --blackhole ADDR:PORT   accept, then never read nor write (repeatable)\n"
    "  --garbage ADDR:PORT     write random bytes on accept, then close (repeatable)\n"
    "  --threads N             worker threads, each with its own sockets (default 1)\n"
    "  --log FILE              append \"<method> <path+query>\" per request received\n"
    "  --ready-file FILE       written (pid and addresses) once every listener is bound\n"
    "  --max-conns N           raise RLIMIT_NOFILE for this many connections (default 60000)\n"
    "  --help                  this text\n"
    "Behaviour comes from the query of any path, e.g. /x?status=503&delay=200; see README.md.\n";

/* Growable list of IPv4 addresses or ports given with --addrs / --ports. */
struct u32list {
    uint32_t *v;
    size_t n;
};

static int bad(const char *opt, const char *val, const char *why)
{
    fprintf(stderr, "urlmon-target: %s: bad value '%s'%s%s\ntry 'urlmon-target --help'\n", opt, val,
            why ? ": " : "", why ? why : "");
    return -1;
}

/* Whole string as a decimal number in [min, max]. */
static int parse_long(const char *s, long min, long max, long *out)
{
    int rc = -1;
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno == 0 && end != s && *end == '\0' && v >= min && v <= max) {
        *out = v;
        rc = 0;
    }
    return rc;
}

static unsigned port_of(const struct sockaddr_storage *ss)
{
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)ss;
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)ss;

    return ntohs(ss->ss_family == AF_INET6 ? s6->sin6_port : s4->sin_port);
}

static int add_listen(struct topts *o, enum tgt_mode mode, const struct sockaddr_storage *ss,
                      int len)
{
    int rc = -1;
    struct tlisten *nl;
    size_t i;

    if (o->nlistens >= MAX_LISTENS)
        goto out;
    for (i = 0; i < o->nlistens && port_of(ss) != 0; i++)
        if (o->listens[i].addrlen == len && memcmp(&o->listens[i].addr, ss, (size_t)len) == 0)
            goto out; /* the same address twice (port 0 may repeat: each gets its own) */
    if (!(nl = realloc(o->listens, (o->nlistens + 1) * sizeof(*nl))))
        goto out;
    o->listens = nl;
    memset(&nl[o->nlistens], 0, sizeof(*nl));
    nl[o->nlistens].mode = mode;
    memcpy(&nl[o->nlistens].addr, ss, (size_t)len);
    nl[o->nlistens].addrlen = len;
    o->nlistens++;
    rc = 0;
out:
    return rc;
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" (numeric, port 0-65535) into ss. Returns 0 or -1. */
static int sockaddr_parse(const char *val, struct sockaddr_storage *ss, int *len)
{
    int rc = -1;
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(val, ':');
    size_t hlen = colon ? (size_t)(colon - val) : 0;
    long port;
    struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

    memset(ss, 0, sizeof(*ss));
    if (!colon || hlen == 0 || hlen >= sizeof(host) || parse_long(colon + 1, 0, 65535, &port) != 0)
        goto out;
    memcpy(host, val, hlen);
    host[hlen] = '\0';
    if (host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
            goto out;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *len = (int)sizeof(*s6);
    } else {
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
            goto out;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *len = (int)sizeof(*s4);
    }
    rc = 0;
out:
    return rc;
}

/* An --listen/--blackhole/--garbage value. */
static int parse_addr_port(const char *opt, const char *val, enum tgt_mode mode, struct topts *o)
{
    int rc = -1;
    struct sockaddr_storage ss;
    int len = 0;

    if (sockaddr_parse(val, &ss, &len) != 0) {
        bad(opt, val, "want ADDR:PORT, e.g. 127.0.0.1:18080 or [::1]:18080 (port 0: any)");
        goto out;
    }
    if (add_listen(o, mode, &ss, len) != 0) {
        bad(opt, val, "listed twice, or too many listeners");
        goto out;
    }
    rc = 0;
out:
    return rc;
}

static int list_add(struct u32list *l, uint32_t v)
{
    int rc = -1;
    uint32_t *nv;

    if (l->n < MAX_LISTENS && (nv = realloc(l->v, (l->n + 1) * sizeof(*nv)))) {
        l->v = nv;
        l->v[l->n++] = v;
        rc = 0;
    }
    return rc;
}

/* "A" or "A-B" for IPv4 addresses (host order into l) or ports. */
static int parse_range(const char *opt, const char *val, bool addrs, struct u32list *l)
{
    int rc = -1;
    char first[64], *dash;
    const char *second = NULL;
    uint32_t lo = 0, hi = 0, v;
    struct in_addr a;
    long p;

    if (snprintf(first, sizeof(first), "%s", val) >= (int)sizeof(first))
        goto bad;
    if ((dash = strchr(first, '-'))) {
        *dash = '\0';
        second = dash + 1;
    }
    if (addrs) {
        if (inet_pton(AF_INET, first, &a) != 1)
            goto bad;
        lo = hi = ntohl(a.s_addr);
        if (second) {
            if (inet_pton(AF_INET, second, &a) != 1)
                goto bad;
            hi = ntohl(a.s_addr);
        }
    } else {
        if (parse_long(first, 1, 65535, &p) != 0)
            goto bad;
        lo = hi = (uint32_t)p;
        if (second) {
            if (parse_long(second, 1, 65535, &p) != 0)
                goto bad;
            hi = (uint32_t)p;
        }
    }
    if (hi < lo || hi - lo >= MAX_LISTENS)
        goto bad;
    for (v = lo; v <= hi && v >= lo; v++)
        if (list_add(l, v) != 0)
            goto bad;
    rc = 0;
    goto out;
bad:
    bad(opt, val,
        addrs ? "want an IPv4 address or range A-B, e.g. 127.0.0.1-127.0.0.8"
              : "want a port or range P-Q, e.g. 18080-18083");
out:
    return rc;
}

/* Every --addrs x --ports combination becomes an HTTP listener. */
static int combine(struct topts *o, const struct u32list *addrs, const struct u32list *ports)
{
    int rc = -1;
    size_t i, j;
    /* A whole sockaddr_storage, so readers of the storage type never run past it. */
    struct sockaddr_storage ss;
    struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
    char name[64];

    for (i = 0; i < addrs->n; i++) {
        for (j = 0; j < ports->n; j++) {
            memset(&ss, 0, sizeof(ss));
            sin->sin_family = AF_INET;
            sin->sin_addr.s_addr = htonl(addrs->v[i]);
            sin->sin_port = htons((uint16_t)ports->v[j]);
            if (add_listen(o, TGT_MODE_HTTP, &ss, (int)sizeof(*sin)) != 0) {
                topts_format_addr(&ss, name, sizeof(name));
                bad("--addrs/--ports", name, "listed twice, or too many listeners");
                goto out;
            }
        }
    }
    rc = 0;
out:
    return rc;
}

enum {
    OPT_LISTEN = 256,
    OPT_ADDRS,
    OPT_PORTS,
    OPT_BLACKHOLE,
    OPT_GARBAGE,
    OPT_THREADS,
    OPT_LOG,
    OPT_READY,
    OPT_MAXCONNS,
    OPT_HELP,
};

static const struct option longopts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"addrs", required_argument, NULL, OPT_ADDRS},
    {"ports", required_argument, NULL, OPT_PORTS},
    {"blackhole", required_argument, NULL, OPT_BLACKHOLE},
    {"garbage", required_argument, NULL, OPT_GARBAGE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"log", required_argument, NULL, OPT_LOG},
    {"ready-file", required_argument, NULL, OPT_READY},
    {"max-conns", required_argument, NULL, OPT_MAXCONNS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* One option. Returns 0, 1 for --help, -1 on error (message printed). */
static int parse_opt(int c, const char *arg, struct topts *o, struct u32list *addrs,
                     struct u32list *ports)
{
    int rc = -1;
    long v;

    switch (c) {
    case OPT_LISTEN:
        rc = parse_addr_port("--listen", arg, TGT_MODE_HTTP, o);
        break;
    case OPT_BLACKHOLE:
        rc = parse_addr_port("--blackhole", arg, TGT_MODE_BLACKHOLE, o);
        break;
    case OPT_GARBAGE:
        rc = parse_addr_port("--garbage", arg, TGT_MODE_GARBAGE, o);
        break;
    case OPT_ADDRS:
        rc = parse_range("--addrs", arg, true, addrs);
        break;
    case OPT_PORTS:
        rc = parse_range("--ports", arg, false, ports);
        break;
    case OPT_THREADS:
        if (parse_long(arg, 1, MAX_THREADS, &v) == 0) {
            o->threads = (int)v;
            rc = 0;
        } else {
            bad("--threads", arg, "want 1-256");
        }
        break;
    case OPT_MAXCONNS:
        if (parse_long(arg, 1, 10000000, &v) == 0) {
            o->max_conns = v;
            rc = 0;
        } else {
            bad("--max-conns", arg, "want 1-10000000");
        }
        break;
    case OPT_LOG:
    case OPT_READY:
        if (arg[0] == '\0') {
            bad(c == OPT_LOG ? "--log" : "--ready-file", arg, "want a file name");
        } else {
            *(c == OPT_LOG ? &o->log_path : &o->ready_path) = arg;
            rc = 0;
        }
        break;
    case OPT_HELP:
        fputs(usage, stdout);
        rc = 1;
        break;
    default:
        fprintf(stderr, "try 'urlmon-target --help'\n");
        break;
    }
    return rc;
}

int topts_parse(int argc, char **argv, struct topts *o)
{
    int rc = -1, c;
    struct u32list addrs = {NULL, 0}, ports = {NULL, 0};

    memset(o, 0, sizeof(*o));
    o->threads = 1;
    o->max_conns = 60000;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if ((rc = parse_opt(c, optarg, o, &addrs, &ports)) != 0)
            goto out;
    }
    rc = -1;
    if (optind < argc) {
        fprintf(stderr, "urlmon-target: unexpected argument '%s'\ntry 'urlmon-target --help'\n",
                argv[optind]);
        goto out;
    }
    if ((addrs.n > 0) != (ports.n > 0)) {
        fprintf(stderr, "urlmon-target: %s: needs %s as well\n", addrs.n ? "--addrs" : "--ports",
                addrs.n ? "--ports" : "--addrs");
        goto out;
    }
    if (combine(o, &addrs, &ports) != 0)
        goto out;
    if (o->nlistens == 0) {
        fprintf(stderr, "urlmon-target: --listen: at least one listener is required "
                        "(--listen, --addrs/--ports, --blackhole or --garbage)\n");
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        topts_release(o);
    free(addrs.v);
    free(ports.v);
    return rc;
}

void topts_release(struct topts *o)
{
    if (!o)
        return;
    free(o->listens);
    o->listens = NULL;
    o->nlistens = 0;
}

void topts_format_addr(const struct sockaddr_storage *addr, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (addr->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)addr;
        evutil_inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)addr;
        evutil_inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
    }
}
