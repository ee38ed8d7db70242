/* compute/csv.h: a streaming RFC 4180 reader (pure: no database, no logging).
 *
 * Fields are separated by commas, records by CRLF or LF (a lone CR also ends a line).
 * A field may be quoted with '"'; inside quotes "" is one quote and commas, CR and LF
 * are data. A UTF-8 byte order mark at the very start is skipped; empty lines are
 * skipped. The bytes of fields are returned as they are: validating the encoding is
 * the caller's business (qentry_set does it for URL rows).
 *
 * The reader owns its buffers: fields returned by csv_field stay valid until the next
 * csv_next or csv_free. Memory is bounded by CSV_MAX_RECORD, not by the file size. */
#ifndef URLMON_CSV_H
#define URLMON_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "common.h"

#define CSV_MAX_RECORD (1024u * 1024u) /* bytes of field data in one record */
#define CSV_MAX_FIELDS 1024u

struct csv;

enum csv_status {
    CSV_RECORD = 1, /* a record is available */
    CSV_END = 0,    /* no more records */
    CSV_BAD = -1,   /* this record is malformed and was skipped; reading may go on */
    CSV_FATAL = -2, /* read error or out of memory; stop */
};

/* A reader over len bytes at data (not copied: keep them alive) or over f (not closed
 * by csv_free). Return 0, or -1 when out of memory. */
int csv_open_mem(const char *data, size_t len, struct csv **out) MUSTCHECK;
int csv_open_file(FILE *f, struct csv **out) MUSTCHECK;
void csv_free(struct csv **c);

/* Reads the next record: one of enum csv_status. On CSV_BAD or CSV_FATAL
 * csv_errstr says what is wrong, starting with "line N: ". */
int csv_next(struct csv *c) MUSTCHECK;
size_t csv_nfields(const struct csv *c);
/* Field i of the current record (i < csv_nfields), NUL-terminated; *len (may be NULL)
 * receives its length, which counts any NUL bytes inside the field. */
const char *csv_field(const struct csv *c, size_t i, size_t *len);
/* The line (1-based) on which the current (or last malformed) record started. */
unsigned long csv_line(const struct csv *c);
const char *csv_errstr(const struct csv *c);

#endif
