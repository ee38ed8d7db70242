/* shared/rx.h: the body regex of a monitored URL (PCRE2, JIT, bounded).
 *
 * Patterns are UTF-8 (PCRE2_UTF); bodies may be any bytes (PCRE2_MATCH_INVALID_UTF).
 * Matching is bounded by match and depth limits so a hostile pattern or body cannot
 * stall a run: hitting a limit is reported as an error, not a match. */
#ifndef URLMON_RX_H
#define URLMON_RX_H

#include <stddef.h>

#include "common.h"

#define RX_MAX_PATTERN 4096 /* bytes; qentry limits patterns to 1024 characters */

struct rx;

/* Compiles pattern (len bytes); on error returns -1 with a message in err. */
int rx_compile(const char *pattern, size_t len, struct rx **out, char *err,
               size_t errlen) MUSTCHECK;
/* Only checks that the pattern is acceptable (length, compiles). */
int rx_validate(const char *pattern, size_t len, char *err, size_t errlen) MUSTCHECK;
void rx_free(struct rx **rx);

enum rx_result { RX_MATCH = 1, RX_NOMATCH = 0, RX_ERROR = -1 };

/* Matches subject; on RX_MATCH copies at most matchcap-1 bytes of the first match
 * (NUL-terminated) into match when match != NULL. RX_ERROR: limit hit, message in err. */
int rx_match(struct rx *rx, const char *subject, size_t len, char *match, size_t matchcap,
             char *err, size_t errlen);

/* 1 when a PCRE2 version string names a library whose JIT mismatches \S, \D, \W
 * against non-ASCII text under PCRE2_MATCH_INVALID_UTF (< 10.43); exported for tests. */
int rx_version_jit_buggy(const char *version);

#endif
