/* api/openapi.h: api/openapi.json, embedded at build time (api/embed.cmake). */
#ifndef URLMON_OPENAPI_H
#define URLMON_OPENAPI_H

#include <stddef.h>

extern const unsigned char openapi_json[];
extern const size_t openapi_json_len;

#endif
