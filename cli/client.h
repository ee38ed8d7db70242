/* cli/client.h: the urlmon command line's HTTP client of the API (libcurl, blocking).
 *
 * One request at a time to base + path, with the bearer token when one is set (never
 * printed or logged). An answer of any status is an answer: the caller judges it. Only
 * when no answer arrives (refused connection, timeout, bad URLMON_API) is it an error. */
#ifndef URLMON_CLI_CLIENT_H
#define URLMON_CLI_CLIENT_H

#include <stddef.h>

#include "common.h"

#define CLIENT_DEFAULT_API "http://127.0.0.1:8000"
#define CLIENT_MAX_BODY (64u * 1024u * 1024u) /* bytes of an answer read */

struct client;

/* base: the API's base URL (NULL or "" = CLIENT_DEFAULT_API); token: NULL or "" = none. */
int client_open(const char *base, const char *token, struct client **out, char *err,
                size_t errlen) MUSTCHECK;
void client_free(struct client **c);
const char *client_base(const struct client *c);

/* Sends method path (with its query) and body (NULL = none) of type ctype. On 0, *status
 * is the HTTP status and *resp the answer's body, NUL-terminated (caller frees). -1: no
 * answer; err says why, naming the API's address. */
int client_request(struct client *c, const char *method, const char *path, const char *ctype,
                   const char *body, long *status, char **resp, char *err, size_t errlen) MUSTCHECK;

#endif
