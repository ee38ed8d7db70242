/* opts.h: the urlmon-target command line, parsed once at start into struct topts. */
#ifndef OPTS_H
#define OPTS_H

#include <stddef.h>
#include <sys/socket.h>

#include "tgt.h"

/* One address to listen on (every worker thread binds its own socket to it). */
struct tlisten {
    enum tgt_mode mode;
    struct sockaddr_storage addr;
    int addrlen;
};

struct topts {
    struct tlisten *listens; /* malloc'd */
    size_t nlistens;
    int threads;            /* worker threads, each with its own event_base and sockets */
    const char *log_path;   /* --log, NULL: no request log */
    const char *ready_path; /* --ready-file, NULL: none */
    long max_conns;         /* wanted RLIMIT_NOFILE (plus a margin) */
};

/* Exit status for bad command-line input. */
#define TOPTS_EXIT_USAGE 2

/*
 * Parse argv. Returns 0; 1 if --help was printed (exit 0); -1 after printing a message
 * naming the bad option to stderr (exit TOPTS_EXIT_USAGE).
 */
int topts_parse(int argc, char **argv, struct topts *out) TGT_MUSTCHECK;
/* Free what topts_parse allocated. NULL-safe. */
void topts_release(struct topts *o);

/* "ADDR:PORT" (IPv6 as "[ADDR]:PORT") of addr into buf. */
void topts_format_addr(const struct sockaddr_storage *addr, char *buf, size_t len);

#endif
