/*
 * behave.h: turn a request target ("/path?query") into the behaviour the target server
 * should show. Pure parsing, no I/O; the parsed result points into the caller's buffer,
 * so it is only valid while that buffer is.
 */
#ifndef BEHAVE_H
#define BEHAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tgt.h"

struct evbuffer;

#define BEHAVE_UNSET UINT64_MAX

/* The kind of answer, highest priority first when several are asked for. */
enum behave_kind {
    BEHAVE_HANG,     /* hang=1: never answer */
    BEHAVE_CLOSE,    /* close=1: close without answering (after delay) */
    BEHAVE_GARBAGE,  /* garbage=1: random non-HTTP bytes, then close */
    BEHAVE_LOOP,     /* loop=1: 302 to the very same target */
    BEHAVE_REDIRECT, /* redirect=N, N > 0: 302 to the same target with redirect=N-1 */
    BEHAVE_LOCATION, /* location=URL: 302 (or status=) to URL */
    BEHAVE_NORMAL,   /* status=, body=/size=, ... */
};

/* A slice of the request target, still percent-encoded. p == NULL: not given. */
struct behave_str {
    const char *p;
    size_t len;
};

struct behave {
    enum behave_kind kind;
    uint64_t status;            /* 100-599, BEHAVE_UNSET if not given */
    uint64_t delay_ms;          /* before anything is sent (or the connection closed) */
    uint64_t size;              /* filler body bytes, BEHAVE_UNSET: default body */
    uint64_t drip;              /* body bytes per second, 0: full speed */
    uint64_t headers_kb;        /* KiB of extra header lines */
    uint64_t redirect;          /* remaining redirect hops */
    bool endless;               /* body never ends */
    struct behave_str body;     /* literal body */
    struct behave_str location; /* explicit Location */
    struct behave_str ctype;    /* Content-Type */
    struct behave_str path;     /* target up to '?' */
    struct behave_str query;    /* target after '?', p == NULL if there is no '?' */
};

/*
 * Parse target (origin-form, not NUL-terminated). Returns 0, or -1 with a message naming
 * the bad query parameter in err.
 */
int behave_parse(const char *target, size_t len, struct behave *out, char *err,
                 size_t errlen) TGT_MUSTCHECK;

/* Percent-decoded length of s ('+' counts as a space). */
size_t behave_decoded_len(struct behave_str s);

/*
 * Percent-decode s into dst (room for behave_decoded_len(s) bytes). With header set, CR, LF
 * and NUL become '_' so a decoded value cannot end a header line. Returns bytes written.
 */
size_t behave_decode(struct behave_str s, char *dst, bool header);

/* Append the Location for one redirect hop: the target with redirect=N-1. Returns 0 or -1. */
int behave_add_redirect_location(const struct behave *b, struct evbuffer *out) TGT_MUSTCHECK;

#endif
