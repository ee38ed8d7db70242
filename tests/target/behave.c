/* behave.c: query string -> behaviour. See behave.h. */
#include "behave.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

enum ptype {
    PT_U64,  /* decimal number within [min, max] */
    PT_FLAG, /* decimal number, non-zero = on; a bare "name" is on */
    PT_STR,  /* raw slice, decoded when used */
};

/* The query parameters understood, in one table. */
struct param {
    const char *name;
    enum ptype type;
    uint64_t min, max;
    size_t off; /* offset of the field in struct behave */
};

#define U64(n, f, lo, hi)                                                                          \
    {                                                                                              \
        n, PT_U64, lo, hi, offsetof(struct behave, f)                                              \
    }
#define FLAG(n, f)                                                                                 \
    {                                                                                              \
        n, PT_FLAG, 0, UINT64_MAX - 1, offsetof(struct behave, f)                                  \
    }
#define STR(n, f)                                                                                  \
    {                                                                                              \
        n, PT_STR, 0, 0, offsetof(struct behave, f)                                                \
    }

/* Flags that pick the kind of answer live in a scratch struct, see struct kflags. */
struct kflags {
    bool hang, close, garbage, loop;
};

static const struct param params[] = {
    U64("status", status, 100, 599),
    U64("delay", delay_ms, 0, 86400000),
    U64("size", size, 0, (uint64_t)1 << 50),
    U64("drip", drip, 0, 1000000000),
    U64("headers_kb", headers_kb, 0, 1048576),
    U64("redirect", redirect, 0, 1000000),
    FLAG("endless", endless),
    STR("body", body),
    STR("location", location),
    STR("ctype", ctype),
};

static const struct {
    const char *name;
    size_t off;
} kind_params[] = {
    {"hang", offsetof(struct kflags, hang)},
    {"close", offsetof(struct kflags, close)},
    {"garbage", offsetof(struct kflags, garbage)},
    {"loop", offsetof(struct kflags, loop)},
};

/* Decimal digits to a number no larger than max. Returns 0 or -1. */
static int parse_u64(const char *p, size_t len, uint64_t max, uint64_t *out)
{
    int rc = -1;
    uint64_t v = 0;
    size_t i;

    if (len == 0 || len > 20)
        goto out;
    for (i = 0; i < len; i++) {
        uint64_t d = (uint64_t)(p[i] - '0');
        if (p[i] < '0' || p[i] > '9' || d > max || v > (max - d) / 10)
            goto out;
        v = v * 10 + d;
    }
    *out = v;
    rc = 0;
out:
    return rc;
}

static bool key_is(const char *key, size_t klen, const char *name)
{
    return strlen(name) == klen && memcmp(key, name, klen) == 0;
}

/* One "key[=value]" segment. Returns 0 or -1 with err set. */
static int parse_one(const char *key, size_t klen, const char *val, size_t vlen, bool has_val,
                     struct behave *b, struct kflags *kf, char *err, size_t errlen)
{
    int rc = -1;
    size_t i;
    uint64_t v = 0;

    for (i = 0; i < TGT_ARRAY_LEN(kind_params); i++) {
        if (key_is(key, klen, kind_params[i].name)) {
            if (has_val && parse_u64(val, vlen, UINT64_MAX - 1, &v) != 0) {
                snprintf(err, errlen, "bad value for query parameter '%s' (want 0 or 1)",
                         kind_params[i].name);
                goto out;
            }
            *(bool *)((char *)kf + kind_params[i].off) = has_val ? v != 0 : true;
            rc = 0;
            goto out;
        }
    }
    for (i = 0; i < TGT_ARRAY_LEN(params); i++) {
        const struct param *p = &params[i];
        char *field = (char *)b + p->off;

        if (!key_is(key, klen, p->name))
            continue;
        if (p->type == PT_STR) {
            struct behave_str *s = (struct behave_str *)(void *)field;
            s->p = val;
            s->len = vlen;
        } else if (p->type == PT_FLAG) {
            if (has_val && parse_u64(val, vlen, p->max, &v) != 0) {
                snprintf(err, errlen, "bad value for query parameter '%s' (want 0 or 1)", p->name);
                goto out;
            }
            *(bool *)field = has_val ? v != 0 : true;
        } else {
            if (!has_val || parse_u64(val, vlen, p->max, &v) != 0 || v < p->min) {
                snprintf(err, errlen, "bad value for query parameter '%s' (want %llu-%llu)",
                         p->name, (unsigned long long)p->min, (unsigned long long)p->max);
                goto out;
            }
            *(uint64_t *)(void *)field = v;
        }
        break;
    }
    rc = 0; /* unknown keys are ignored, so any query can carry its own ids */
out:
    return rc;
}

int behave_parse(const char *target, size_t len, struct behave *out, char *err, size_t errlen)
{
    int rc = -1;
    struct kflags kf = {false, false, false, false};
    const char *q, *end = target + len;

    memset(out, 0, sizeof(*out));
    out->status = BEHAVE_UNSET;
    out->size = BEHAVE_UNSET;
    q = memchr(target, '?', len);
    out->path.p = target;
    out->path.len = q ? (size_t)(q - target) : len;
    if (q) {
        out->query.p = q + 1;
        out->query.len = (size_t)(end - q - 1);
    }
    for (q = out->query.p; q && q < end;) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *segend = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(segend - q));
        const char *kend = eq ? eq : segend;
        const char *val = eq ? eq + 1 : segend;

        if (kend > q && parse_one(q, (size_t)(kend - q), val, (size_t)(segend - val), eq != NULL,
                                  out, &kf, err, errlen) != 0)
            goto out;
        q = segend + 1;
    }
    if (kf.hang)
        out->kind = BEHAVE_HANG;
    else if (kf.close)
        out->kind = BEHAVE_CLOSE;
    else if (kf.garbage)
        out->kind = BEHAVE_GARBAGE;
    else if (kf.loop)
        out->kind = BEHAVE_LOOP;
    else if (out->redirect > 0)
        out->kind = BEHAVE_REDIRECT;
    else if (out->location.p)
        out->kind = BEHAVE_LOCATION;
    else
        out->kind = BEHAVE_NORMAL;
    rc = 0;
out:
    return rc;
}

static int hexval(char c)
{
    int v = -1;

    if (c >= '0' && c <= '9')
        v = c - '0';
    else if (c >= 'a' && c <= 'f')
        v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        v = c - 'A' + 10;
    return v;
}

/* Decode one unit at s.p[*i]; advances *i. */
static char decode_at(struct behave_str s, size_t *i)
{
    char c = s.p[*i];
    int hi, lo;

    if (c == '+') {
        c = ' ';
    } else if (c == '%' && *i + 2 < s.len) {
        hi = hexval(s.p[*i + 1]);
        lo = hexval(s.p[*i + 2]);
        if (hi >= 0 && lo >= 0) {
            c = (char)(hi * 16 + lo);
            *i += 2;
        }
    }
    (*i)++;
    return c;
}

size_t behave_decoded_len(struct behave_str s)
{
    size_t i = 0, n = 0;

    while (i < s.len) {
        (void)decode_at(s, &i);
        n++;
    }
    return n;
}

size_t behave_decode(struct behave_str s, char *dst, bool header)
{
    size_t i = 0, n = 0;

    while (i < s.len) {
        char c = decode_at(s, &i);
        if (header && (c == '\r' || c == '\n' || c == '\0'))
            c = '_';
        dst[n++] = c;
    }
    return n;
}

int behave_add_redirect_location(const struct behave *b, struct evbuffer *out)
{
    int rc = -1;
    const char *q = b->query.p, *end = b->query.p + b->query.len;
    bool first = true;
    char num[32];
    int n;

    if (evbuffer_add(out, b->path.p, b->path.len) != 0 || evbuffer_add(out, "?", 1) != 0)
        goto out;
    while (q && q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *segend = amp ? amp : end;
        size_t seglen = (size_t)(segend - q);

        if (!first && evbuffer_add(out, "&", 1) != 0)
            goto out;
        first = false;
        if (seglen >= 9 && memcmp(q, "redirect=", 9) == 0) {
            n = snprintf(num, sizeof(num), "redirect=%llu", (unsigned long long)(b->redirect - 1));
            if (n < 0 || evbuffer_add(out, num, (size_t)n) != 0)
                goto out;
        } else if (evbuffer_add(out, q, seglen) != 0) {
            goto out;
        }
        q = segend + 1;
    }
    rc = 0;
out:
    return rc;
}
