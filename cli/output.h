/* cli/output.h: what the urlmon command line prints from the API's JSON (pure: writes to
 * the FILE it is given, reads nothing else).
 *
 * Human output: an aligned table for lists, "field: value" lines for one URL; missing or
 * null values print as "-". --json output is the API's JSON itself, not made here. */
#ifndef URLMON_CLI_OUTPUT_H
#define URLMON_CLI_OUTPUT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

/* items: the "items" array of GET /urls pages. all: with the ACTIVE column. */
void output_list(FILE *out, const cJSON *items, bool all);
/* One URL as GET /urls/{id} (or PUT/PATCH) answers it. */
void output_url(FILE *out, const cJSON *url);
/* POST /urls' 202 answer. */
void output_queued(FILE *out, const cJSON *answer);
/* DELETE /urls/{id}'s answer. */
void output_removed(FILE *out, const cJSON *url);
/* The "error" of an error answer; NULL when doc has none. */
const char *output_error_message(const cJSON *doc);

#endif
