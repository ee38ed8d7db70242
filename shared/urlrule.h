/* shared/urlrule.h: which URLs urlmon accepts, and their one canonical spelling.
 *
 * Accepted: absolute http:// or https:// URLs with a host, printable ASCII only,
 * at most URLRULE_MAX_LEN bytes, no user:password@, an optional port 1-65535.
 * Canonical form: scheme and host lower-cased, default port dropped, empty path
 * written as "/", fragment removed; path and query are kept byte for byte. */
#ifndef URLMON_URLRULE_H
#define URLMON_URLRULE_H

#include <stddef.h>

#include "common.h"

#define URLRULE_MAX_LEN 2048

/* Checks url (len bytes, need not be NUL-terminated) and writes the canonical form
 * into out (outlen >= URLRULE_MAX_LEN + 2 always suffices). Returns 0, or -1 with
 * *why set to a static sentence saying what is wrong. */
int urlrule_normalize(const char *url, size_t len, char *out, size_t outlen,
                      const char **why) MUSTCHECK;

#endif
