/* shared/jsonx.h: small helpers over cJSON used by both programs. */
#ifndef URLMON_JSONX_H
#define URLMON_JSONX_H

#include <cjson/cJSON.h>

#include <stddef.h>

#include "common.h"

/* {"error": "<msg>"} as a malloc'd string (free with cJSON_free), NULL on OOM. */
char *jsonx_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* A request body that must be one JSON object: len bytes of valid UTF-8 without NUL
 * bytes (raw or \u0000, which cJSON would cut strings at), one object and only white
 * space after it. Returns the object (cJSON_Delete it), or NULL with "body: <what is
 * wrong>" in err. */
cJSON *jsonx_parse_object(const char *json, size_t len, char *err, size_t errlen);
/* Prints unformatted and deletes root; returns a malloc'd string or NULL. */
char *jsonx_print_free(cJSON *root);

#endif
