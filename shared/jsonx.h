/* shared/jsonx.h: small helpers over cJSON used by both programs. */
#ifndef URLMON_JSONX_H
#define URLMON_JSONX_H

#include <cjson/cJSON.h>

#include "common.h"

/* {"error": "<msg>"} as a malloc'd string (free with cJSON_free), NULL on OOM. */
char *jsonx_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Prints unformatted and deletes root; returns a malloc'd string or NULL. */
char *jsonx_print_free(cJSON *root);

#endif
