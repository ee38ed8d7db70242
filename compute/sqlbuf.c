/* compute/sqlbuf.c: see sqlbuf.h. */
#include "sqlbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sqlbuf {
    char *s;
    size_t len, cap;
};

int sqlbuf_new(struct sqlbuf **out)
{
    struct sqlbuf *b = calloc(1, sizeof(*b));
    int rc = -1;

    *out = NULL;
    if (!b)
        goto out;
    b->cap = 65536;
    if (!(b->s = malloc(b->cap)))
        goto out;
    b->s[0] = '\0';
    *out = b;
    b = NULL;
    rc = 0;
out:
    sqlbuf_free(&b);
    return rc;
}

void sqlbuf_free(struct sqlbuf **b)
{
    if (b && *b) {
        free((*b)->s);
        free(*b);
        *b = NULL;
    }
}

void sqlbuf_reset(struct sqlbuf *b)
{
    b->len = 0;
    b->s[0] = '\0';
}

/* Room for extra more bytes plus the terminating NUL. */
static int reserve(struct sqlbuf *b, size_t extra)
{
    size_t need = b->len + extra + 1, ncap = b->cap;
    char *n;

    if (need <= b->cap)
        return 0;
    while (ncap < need)
        ncap *= 2;
    if (!(n = realloc(b->s, ncap)))
        return -1;
    b->s = n;
    b->cap = ncap;
    return 0;
}

int sqlbuf_append(struct sqlbuf *b, const char *s)
{
    size_t n = strlen(s);

    if (reserve(b, n) != 0)
        return -1;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
    return 0;
}

int sqlbuf_printf(struct sqlbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int sqlbuf_quote(struct sqlbuf *b, MYSQL *conn, const char *s, size_t len)
{
    unsigned long n;

    /* mysql_real_escape_string needs 2 * len + 1 bytes in the worst case. */
    if (reserve(b, 2 * len + 3) != 0)
        return -1;
    b->s[b->len++] = '\'';
    n = mysql_real_escape_string(conn, b->s + b->len, s, (unsigned long)len);
    if (n == (unsigned long)-1)
        return -1;
    b->len += n;
    b->s[b->len++] = '\'';
    b->s[b->len] = '\0';
    return 0;
}

void sqlbuf_truncate(struct sqlbuf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->s[len] = '\0';
    }
}

const char *sqlbuf_str(const struct sqlbuf *b)
{
    return b->s;
}

size_t sqlbuf_len(const struct sqlbuf *b)
{
    return b->len;
}
