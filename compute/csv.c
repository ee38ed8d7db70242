/* compute/csv.c: RFC 4180 reader as a byte-at-a-time state machine. See csv.h. */
#include "csv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CSV_CHUNK 65536
#define CH_EOF (-1)
#define CH_ERR (-2)
#define MORE 100       /* step(): go on with the next character */
#define EMPTY_LINE 101 /* step(): an empty line, start the record over */

enum state { ST_FIELD_START, ST_UNQUOTED, ST_QUOTED, ST_QUOTE_SEEN };

struct csv {
    FILE *file;         /* NULL for a memory reader */
    const char *mem;    /* memory reader: the data */
    size_t memlen, pos; /* memory reader: size and read position */
    char *chunk;        /* file reader: buffered bytes */
    size_t clen, cpos;
    bool started;           /* BOM check done */
    bool at_eof;            /* nothing more to read */
    int pushback;           /* one character put back, or CH_EOF for none */
    unsigned long line;     /* line of the next character */
    unsigned long rec_line; /* first line of the current record */
    char *rec;              /* field data, each field NUL-terminated */
    size_t rlen, rcap;
    size_t *starts; /* offset of each field in rec */
    size_t *lens;
    size_t nfields;
    bool overflow; /* record too long or too many fields: keep parsing, then reject */
    char errstr[URLMON_ERRLEN];
};

static int open_common(struct csv **out)
{
    struct csv *c = calloc(1, sizeof(*c));
    int rc = -1;

    *out = NULL;
    if (!c)
        goto out;
    c->rcap = 4096;
    c->line = 1;
    c->pushback = CH_EOF;
    if (!(c->rec = malloc(c->rcap)) || !(c->starts = calloc(CSV_MAX_FIELDS, sizeof(size_t))) ||
        !(c->lens = calloc(CSV_MAX_FIELDS, sizeof(size_t))))
        goto out;
    *out = c;
    c = NULL;
    rc = 0;
out:
    csv_free(&c);
    return rc;
}

int csv_open_mem(const char *data, size_t len, struct csv **out)
{
    if (open_common(out) != 0)
        return -1;
    (*out)->mem = data;
    (*out)->memlen = len;
    return 0;
}

int csv_open_file(FILE *f, struct csv **out)
{
    if (open_common(out) != 0)
        return -1;
    (*out)->file = f;
    if (!((*out)->chunk = malloc(CSV_CHUNK))) {
        csv_free(out);
        return -1;
    }
    return 0;
}

void csv_free(struct csv **c)
{
    if (!c || !*c)
        return;
    free((*c)->chunk);
    free((*c)->rec);
    free((*c)->starts);
    free((*c)->lens);
    free(*c);
    *c = NULL;
}

static int fill(struct csv *c)
{
    if (c->at_eof)
        return CH_EOF;
    c->clen = fread(c->chunk, 1, CSV_CHUNK, c->file);
    c->cpos = 0;
    if (c->clen == 0) {
        c->at_eof = true;
        return ferror(c->file) ? CH_ERR : CH_EOF;
    }
    return 0;
}

static int raw_getc(struct csv *c)
{
    int r;

    if (c->pushback != CH_EOF) {
        r = c->pushback;
        c->pushback = CH_EOF;
        return r;
    }
    if (!c->file)
        return c->pos < c->memlen ? (unsigned char)c->mem[c->pos++] : CH_EOF;
    if (c->cpos >= c->clen && (r = fill(c)) != 0)
        return r;
    return (unsigned char)c->chunk[c->cpos++];
}

/* The next character, with a byte order mark skipped at the start of the input. A
 * file reader sees at least 3 bytes in its first chunk unless the file is shorter
 * (fread only returns less at the end). */
static int next_char(struct csv *c)
{
    static const char bom[] = "\xEF\xBB\xBF";

    if (!c->started) {
        c->started = true;
        if (c->file && fill(c) == CH_ERR)
            return CH_ERR;
        if (c->file && c->clen >= 3 && memcmp(c->chunk, bom, 3) == 0)
            c->cpos = 3;
        else if (!c->file && c->memlen >= 3 && memcmp(c->mem, bom, 3) == 0)
            c->pos = 3;
    }
    return raw_getc(c);
}

static int set_err(struct csv *c, int status, unsigned long line, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
static int set_err(struct csv *c, int status, unsigned long line, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->errstr, sizeof(c->errstr), "line %lu: ", line);

    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(c->errstr))
        vsnprintf(c->errstr + n, sizeof(c->errstr) - (size_t)n, fmt, ap);
    va_end(ap);
    return status;
}

static int append(struct csv *c, char ch)
{
    if (c->overflow)
        return 0;
    if (c->rlen + 2 > CSV_MAX_RECORD) {
        c->overflow = true;
        return 0;
    }
    if (c->rlen + 2 > c->rcap) {
        size_t ncap = c->rcap * 2;
        char *n = realloc(c->rec, ncap);
        if (!n)
            return -1;
        c->rec = n;
        c->rcap = ncap;
    }
    c->rec[c->rlen++] = ch;
    return 0;
}

static void end_field(struct csv *c)
{
    if (c->overflow)
        return;
    if (c->nfields >= CSV_MAX_FIELDS) {
        c->overflow = true;
        return;
    }
    c->lens[c->nfields] = c->rlen - c->starts[c->nfields];
    c->rec[c->rlen++] = '\0'; /* append() always leaves room for this byte */
    c->nfields++;
    if (c->nfields < CSV_MAX_FIELDS)
        c->starts[c->nfields] = c->rlen;
}

/* After CR: a following LF belongs to the same line break. */
static void eat_lf(struct csv *c)
{
    int ch = next_char(c);
    if (ch != '\n')
        c->pushback = ch;
}

/* Skips to the end of the physical line after a syntax error. */
static void skip_line(struct csv *c)
{
    int ch;
    do
        ch = next_char(c);
    while (ch != '\n' && ch != '\r' && ch >= 0);
    if (ch == '\r')
        eat_lf(c);
    if (ch == '\n' || ch == '\r')
        c->line++;
}

static void reset_record(struct csv *c)
{
    c->rlen = 0;
    c->nfields = 0;
    c->starts[0] = 0;
    c->overflow = false;
    c->rec_line = c->line;
}

/* The record ended: reject it when it overflowed. */
static int finish_record(struct csv *c)
{
    if (c->overflow)
        return set_err(c, CSV_BAD, c->rec_line, "record longer than %u bytes or %u fields, skipped",
                       CSV_MAX_RECORD, CSV_MAX_FIELDS);
    return CSV_RECORD;
}

/* One step of the machine; returns MORE to go on, EMPTY_LINE to start over,, or a final status for
 * csv_next. */
static int step(struct csv *c, enum state *st, int ch, bool *any, unsigned long *qline)
{
    bool nl = ch == '\n' || ch == '\r';

    if (ch == CH_ERR)
        return set_err(c, CSV_FATAL, c->line, "read error");
    switch (*st) {
    case ST_FIELD_START:
    case ST_UNQUOTED:
        if (ch == CH_EOF || nl) {
            if (*st == ST_FIELD_START && !*any)
                return ch == CH_EOF ? CSV_END : EMPTY_LINE;
            end_field(c);
            return finish_record(c);
        }
        *any = true;
        if (ch == ',') {
            end_field(c);
            *st = ST_FIELD_START;
        } else if (ch == '"' && *st == ST_FIELD_START) {
            *st = ST_QUOTED;
            *qline = c->line;
        } else if (ch == '"') {
            skip_line(c);
            return set_err(c, CSV_BAD, c->rec_line,
                           "a quote inside an unquoted field (quote the whole field and "
                           "double the quote)");
        } else {
            *st = ST_UNQUOTED;
            return append(c, (char)ch) == 0 ? MORE
                                            : set_err(c, CSV_FATAL, c->line, "out of memory");
        }
        return MORE;
    case ST_QUOTED:
        if (ch == CH_EOF)
            return set_err(c, CSV_BAD, *qline, "unterminated quoted field (opened here)");
        if (ch == '"')
            *st = ST_QUOTE_SEEN;
        else if (append(c, (char)ch) != 0)
            return set_err(c, CSV_FATAL, c->line, "out of memory");
        if (ch == '\n')
            c->line++;
        return MORE;
    case ST_QUOTE_SEEN:
        if (ch == '"') {
            *st = ST_QUOTED;
            return append(c, '"') == 0 ? MORE : set_err(c, CSV_FATAL, c->line, "out of memory");
        }
        if (ch == ',') {
            end_field(c);
            *st = ST_FIELD_START;
            return MORE;
        }
        if (ch == CH_EOF || nl) {
            end_field(c);
            return finish_record(c);
        }
        skip_line(c);
        return set_err(c, CSV_BAD, c->rec_line, "unexpected character after a closing quote");
    }
    return set_err(c, CSV_FATAL, c->line, "internal error");
}

int csv_next(struct csv *c)
{
    enum state st = ST_FIELD_START;
    bool any = false;
    unsigned long qline = 0;
    int ch, r;

    reset_record(c);
    for (;;) {
        ch = next_char(c);
        r = step(c, &st, ch, &any, &qline);
        if (r == MORE)
            continue;
        if (ch == '\r' && st != ST_QUOTED)
            eat_lf(c);
        if (ch == '\n' || ch == '\r')
            c->line++;
        if (r == EMPTY_LINE) {
            reset_record(c);
            continue;
        }
        return r;
    }
}

size_t csv_nfields(const struct csv *c)
{
    return c->nfields;
}

const char *csv_field(const struct csv *c, size_t i, size_t *len)
{
    if (i >= c->nfields) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = c->lens[i];
    return c->rec + c->starts[i];
}

unsigned long csv_line(const struct csv *c)
{
    return c->rec_line;
}

const char *csv_errstr(const struct csv *c)
{
    return c->errstr;
}
