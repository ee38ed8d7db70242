/* api/urlpatch.h: the body of PUT and PATCH /urls/{id}: which settings of a URL change.
 *
 * One table (urlpatch.c, fields[]) lists every setting a client may change: its JSON name,
 * its type, its column, whether it is required, its default and its check (the same
 * qentry_check_* rules POST /urls and the CSV use). A new per-URL setting is one line there.
 *
 * - PUT replaces the settings: every required field (name) must be given; a field left out
 *   gets its default (regex: none, interval: 600 s, alerting thresholds: the global ones).
 * - PATCH is a JSON merge patch (RFC 7396): only the fields present change; null resets a
 *   field to its default (regex null clears it); a required field may not be null.
 * - url is the URL's identity, not a setting: a body naming it is a 400 (add the new URL and
 *   remove the old one). So a change can never collide with another row.
 * - Unknown fields, a field given twice, a wrong type or a value the check refuses: 400 with
 *   "<field>: <what is wrong>".
 *
 * Pure (no connection): urlpatch_sql writes the UPDATE, urlpatch_bind binds its values. */
#ifndef URLMON_URLPATCH_H
#define URLMON_URLPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

#include "common.h"
#include "config.h"

#define URLPATCH_MAX_FIELDS 16

enum urlpatch_mode { URLPATCH_PUT, URLPATCH_PATCH };

struct urlpatch;

/* Parses and validates len bytes of body; cfg gives the bounds (MIN_INTERVAL, ...).
 * Returns 0 with *out (urlpatch_free it), or -1 with the client's message in err. */
int urlpatch_parse(const char *json, size_t len, enum urlpatch_mode mode, const struct config *cfg,
                   struct urlpatch **out, char *err, size_t errlen) MUSTCHECK;
void urlpatch_free(struct urlpatch **p);

/* How many columns change (0: an empty PATCH, nothing to write). */
unsigned urlpatch_count(const struct urlpatch *p);
/* "UPDATE urls SET col = ?, ..., updated_at = UTC_TIMESTAMP(3) WHERE id = ?" into out;
 * column names come from the table, values are placeholders. -1 when out is too small. */
int urlpatch_sql(const struct urlpatch *p, char *out, size_t outlen) MUSTCHECK;
/* Binds the values, in the order of urlpatch_sql's placeholders, into b[0..count-1]
 * (the id is the caller's, last). The binds point into p: keep it alive. */
void urlpatch_bind(struct urlpatch *p, MYSQL_BIND *b);

#endif
