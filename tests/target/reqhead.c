/* reqhead.c: HTTP/1.x request head parsing. See reqhead.h. */
#include "reqhead.h"

#include <string.h>
#include <strings.h>

size_t reqhead_find_end(const char *buf, size_t len)
{
    size_t i = 0, end = 0;
    const char *nl;

    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++;
    while (end == 0 && i < len && (nl = memchr(buf + i, '\n', len - i)) != NULL) {
        i = (size_t)(nl - buf) + 1;
        if (i < len && buf[i] == '\n')
            end = i + 1;
        else if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
            end = i + 2;
    }
    return end;
}

/* Trim spaces, tabs and a trailing CR from [*p, *p + *len). */
static void trim(const char **p, size_t *len)
{
    while (*len > 0 && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t' || (*p)[*len - 1] == '\r'))
        (*len)--;
}

static bool name_is(const char *p, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(p, name, len) == 0;
}

/* Does the comma-separated list contain token (case-insensitive)? */
static bool has_token(const char *p, size_t len, const char *token)
{
    bool found = false;
    const char *end = p + len;

    while (!found && p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *tok = p;
        size_t toklen = (size_t)((comma ? comma : end) - p);

        trim(&tok, &toklen);
        found = name_is(tok, toklen, token);
        p = comma ? comma + 1 : end;
    }
    return found;
}

static int parse_u64(const char *p, size_t len, uint64_t *out)
{
    int rc = -1;
    uint64_t v = 0;
    size_t i;

    if (len == 0 || len > 19)
        goto out;
    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            goto out;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    rc = 0;
out:
    return rc;
}

/* "METHOD SP target SP HTTP/1.x". Returns 0 or -1. */
static int parse_request_line(const char *p, size_t len, struct reqhead *h)
{
    int rc = -1;
    const char *end = p + len, *sp1, *sp2, *t;
    size_t i;

    if (!(sp1 = memchr(p, ' ', len)) || sp1 == p)
        goto out;
    if (!(sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))) || sp2 == sp1 + 1)
        goto out;
    if (end - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' || sp2[8] > '9')
        goto out;
    h->minor = sp2[8] - '0';
    h->method = p;
    h->method_len = (size_t)(sp1 - p);
    for (i = 0; i < h->method_len; i++)
        if (p[i] < 'A' || p[i] > 'Z')
            goto out;
    h->is_head = name_is(p, h->method_len, "HEAD");
    t = sp1 + 1;
    /* absolute-form: keep the path (and query) only */
    if ((size_t)(sp2 - t) > 7 && strncasecmp(t, "http://", 7) == 0)
        t += 7;
    else if ((size_t)(sp2 - t) > 8 && strncasecmp(t, "https://", 8) == 0)
        t += 8;
    if (t != sp1 + 1) {
        const char *slash = memchr(t, '/', (size_t)(sp2 - t));
        if (!slash || memchr(t, '?', (size_t)(slash - t)))
            goto out; /* no path ("http://host", "http://host?q"): not supported */
        t = slash;
    }
    if (*t != '/' && !(*t == '*' && sp2 - t == 1))
        goto out;
    h->target = t;
    h->target_len = (size_t)(sp2 - t);
    rc = 0;
out:
    return rc;
}

int reqhead_parse(const char *buf, size_t len, struct reqhead *out)
{
    int rc = -1;
    const char *p = buf, *end = buf + len, *nl;
    bool conn_close = false, conn_ka = false;

    memset(out, 0, sizeof(*out));
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    if (!(nl = memchr(p, '\n', (size_t)(end - p))))
        goto out;
    if (parse_request_line(p, (size_t)(nl - p) - (nl > p && nl[-1] == '\r'), out) != 0)
        goto out;
    for (p = nl + 1; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
        const char *colon = memchr(p, ':', (size_t)(nl - p));
        const char *val;
        size_t nlen, vlen;

        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            continue; /* folded continuation or the final blank line */
        if (!colon)
            goto out;
        nlen = (size_t)(colon - p);
        val = colon + 1;
        vlen = (size_t)(nl - val);
        trim(&val, &vlen);
        if (name_is(p, nlen, "content-length")) {
            if (parse_u64(val, vlen, &out->content_length) != 0)
                goto out;
        } else if (name_is(p, nlen, "connection")) {
            conn_close = conn_close || has_token(val, vlen, "close");
            conn_ka = conn_ka || has_token(val, vlen, "keep-alive");
        } else if (name_is(p, nlen, "transfer-encoding")) {
            out->chunked = out->chunked || !name_is(val, vlen, "identity");
        }
    }
    out->keepalive = out->minor >= 1 ? !conn_close : conn_ka && !conn_close;
    rc = 0;
out:
    return rc;
}
