/*
 * reqhead.h: find and parse one HTTP/1.x request head (request line and header lines up
 * to the blank line) held in contiguous memory. Pure, no I/O; the result points into the
 * caller's buffer.
 */
#ifndef REQHEAD_H
#define REQHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tgt.h"

/* Largest request head accepted (431 beyond). */
#define REQHEAD_MAX 65536

struct reqhead {
    const char *method;
    size_t method_len;
    const char *target; /* origin-form: "/path?query" (absolute-form is cut down to it) */
    size_t target_len;
    int minor;               /* HTTP/1.minor */
    bool keepalive;          /* the client allows another request on this connection */
    bool is_head;            /* HEAD: no body in the answer */
    bool chunked;            /* Transfer-Encoding other than identity: not supported */
    uint64_t content_length; /* request body bytes that follow the head */
};

/*
 * Length of the head at the start of buf, blank line included (leading empty lines are
 * part of it), or 0 if the blank line has not arrived yet.
 */
size_t reqhead_find_end(const char *buf, size_t len);

/* Parse the head buf[0..len) found by reqhead_find_end. Returns 0, or -1 if malformed. */
int reqhead_parse(const char *buf, size_t len, struct reqhead *out) TGT_MUSTCHECK;

#endif
