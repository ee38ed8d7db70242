/* api/cors.h: which other origins may call the API from a browser (CORS_ORIGINS).
 *
 * The setting is empty (same-origin only: no CORS header is ever sent), "*" (any origin,
 * GET and HEAD only) or a comma-separated list of origins ("https://a.example,
 * http://127.0.0.1:8080"), each allowed every method its route takes, with the
 * Authorization and Content-Type request headers. Credentials (cookies) are never allowed:
 * the API has none, and the Fetch standard forbids them with "*". Pure string work. */
#ifndef URLMON_CORS_H
#define URLMON_CORS_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

#define CORS_MAX_ORIGINS 16
#define CORS_ORIGIN_MAX 256

struct cors {
    bool any; /* "*" */
    size_t n;
    char origins[CORS_MAX_ORIGINS][CORS_ORIGIN_MAX];
};

/* Parses the setting; -1 with a message naming the bad origin in err. */
int cors_parse(const char *setting, struct cors *out, char *err, size_t errlen) MUSTCHECK;
/* True when any origin is allowed at all (the setting was not empty). */
bool cors_enabled(const struct cors *c);
/* The Access-Control-Allow-Origin value for a request from origin using a method of
 * route_methods (ROUTE_M_* bits of the method asked for), or NULL: not allowed. */
const char *cors_allow(const struct cors *c, const char *origin, unsigned method);

#endif
