/* api/route.c: path and query parsing for every route. */
#include "route.h"

#include <stdio.h>
#include <string.h>

#include "rconn.h"

#define MAX_SEGMENTS 5
#define MAX_PARAMS 8
#define PARAM_MAX 128
#define PATH_MAX_BYTES 512 /* decoded; no route is longer */

struct seg {
    const char *s;
    size_t len;
};

struct param {
    char name[PARAM_MAX];
    char value[PARAM_MAX];
};

static int fail(char *err, size_t errlen, int code, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return code;
}

static bool seg_is(const struct seg *s, const char *lit)
{
    size_t n = strlen(lit);
    return s->len == n && memcmp(s->s, lit, n) == 0;
}

int route_parse_id(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (len == 0)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return -1;
        d = (unsigned)(s[i] - '0');
        if (v > (ROUTE_ID_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v == 0)
        return -1;
    *out = v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Splits "/a/b/c" (one trailing slash allowed) into segments, percent-decoding each one
 * once into buf (so /urls/%31 is /urls/1). Returns 0, 404 when it does not start with
 * '/', has an empty segment, too many or is too long for buf, or 400 (err set) for a bad
 * escape or an encoded '/' or NUL, which would change where the path leads. */
static int split_path(const char *path, struct seg *segs, size_t *nsegs, char *buf, size_t buflen,
                      char *err, size_t errlen)
{
    const char *p = path;
    size_t n = 0, o = 0;

    if (!p || *p != '/')
        return 404;
    p++;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p), i, start = o;
        if (len == 0 || n == MAX_SEGMENTS)
            return 404;
        for (i = 0; i < len; i++) {
            int c = (unsigned char)p[i];
            if (c == '%') {
                int hi = i + 2 < len ? hexval(p[i + 1]) : -1;
                int lo = hi >= 0 ? hexval(p[i + 2]) : -1;
                if (hi < 0 || lo < 0)
                    return fail(err, errlen, 400, "%s", "path: a percent-escape is malformed");
                c = hi * 16 + lo;
                if (c == '/' || c == 0)
                    return fail(err, errlen, 400, "%s",
                                "path: an encoded '/' or NUL byte is not allowed");
                i += 2;
            }
            if (o + 1 >= buflen)
                return 404;
            buf[o++] = (char)c;
        }
        segs[n].s = buf + start;
        segs[n].len = o - start;
        n++;
        p += len;
        if (*p == '/')
            p++;
    }
    *nsegs = n;
    return 0;
}

/* Percent-decodes s[0..len) into out (NUL-terminated); -1 on bad escapes, NUL bytes,
 * control characters or when it does not fit. */
static int decode(const char *s, size_t len, char *out, size_t outlen)
{
    size_t i, o = 0;

    for (i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi, lo;
            if (i + 2 >= len)
                return -1;
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f)
            return -1;
        if (o + 1 >= outlen)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

static int parse_query(const char *query, struct param *params, size_t *nparams, char *err,
                       size_t errlen)
{
    const char *p = query;
    size_t n = 0;

    *nparams = 0;
    if (!p)
        return 0;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        size_t i;

        if (len > 0) {
            if (n == MAX_PARAMS)
                return fail(err, errlen, 400, "%s", "query: too many parameters");
            if (decode(p, klen, params[n].name, sizeof(params[n].name)) != 0)
                return fail(err, errlen, 400, "%s",
                            "query: a parameter name is badly encoded or too long");
            if (decode(eq ? eq + 1 : p + len, eq ? len - klen - 1 : 0, params[n].value,
                       sizeof(params[n].value)) != 0)
                return fail(err, errlen, 400, "%.64s: is badly encoded or too long",
                            params[n].name);
            for (i = 0; i < n; i++)
                if (strcmp(params[i].name, params[n].name) == 0)
                    return fail(err, errlen, 400, "%.64s: is given more than once", params[n].name);
            n++;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    *nparams = n;
    return 0;
}

static int parse_bool(const char *name, const char *v, bool *out, char *err, size_t errlen)
{
    if (strcmp(v, "true") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0)
        *out = false;
    else {
        snprintf(err, errlen, "%s: must be true or false", name);
        return 400;
    }
    return 0;
}

static int parse_uint(const char *name, const char *v, uint64_t lo, uint64_t hi, uint64_t *out,
                      char *err, size_t errlen)
{
    uint64_t x = 0;

    if (strcmp(v, "0") == 0 && lo == 0) {
        *out = 0;
        return 0;
    }
    if (route_parse_id(v, strlen(v), &x) != 0 || x < lo || x > hi) {
        snprintf(err, errlen, "%s: must be an integer from %llu to %llu", name,
                 (unsigned long long)lo, (unsigned long long)hi);
        return 400;
    }
    *out = x;
    return 0;
}

static bool incident_list(const struct route_req *r)
{
    return r->id == ROUTE_INCIDENTS || r->id == ROUTE_URL_INCIDENTS;
}

/* Applies the query parameters the route accepts. */
static int apply_params(struct route_req *r, const struct param *params, size_t n, char *err,
                        size_t errlen)
{
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        const char *k = params[i].name, *v = params[i].value;
        uint64_t x = 0;
        bool b = false;

        if (strcmp(k, "cache") == 0 && route_cacheable(r)) {
            if ((rc = parse_bool(k, v, &r->cache, err, errlen)) != 0)
                return rc;
        } else if (strcmp(k, "state") == 0 && incident_list(r)) {
            if (strcmp(v, "open") == 0)
                r->istate = ROUTE_ISTATE_OPEN;
            else if (strcmp(v, "closed") == 0)
                r->istate = ROUTE_ISTATE_CLOSED;
            else if (strcmp(v, "all") == 0)
                r->istate = ROUTE_ISTATE_ALL;
            else {
                snprintf(err, errlen, "state: must be open, closed or all");
                return 400;
            }
        } else if (strcmp(k, "limit") == 0 &&
                   (r->id == ROUTE_URLS || r->id == ROUTE_URL_CHECKS || incident_list(r))) {
            if ((rc = parse_uint(k, v, 1, ROUTE_LIMIT_MAX, &x, err, errlen)) != 0)
                return rc;
            r->limit = (unsigned)x;
        } else if ((strcmp(k, "cursor") == 0 && (r->id == ROUTE_URLS || incident_list(r))) ||
                   (strcmp(k, "before") == 0 && r->id == ROUTE_URL_CHECKS)) {
            /* cursor=0 is the first page; before=0 would name no check (before 1970) */
            if ((rc = parse_uint(k, v, k[0] == 'b' ? 1 : 0, ROUTE_ID_MAX, &x, err, errlen)) != 0)
                return rc;
            r->cursor = x;
        } else if (strcmp(k, "active") == 0 && r->id == ROUTE_URLS) {
            if ((rc = parse_bool(k, v, &b, err, errlen)) != 0)
                return rc;
            r->active = b ? 1 : 0;
        } else {
            snprintf(err, errlen, "%.64s: unknown query parameter", k);
            return 400;
        }
    }
    return 0;
}

static int match_top(const struct seg *segs, struct route_req *r, char *err, size_t errlen)
{
    r->id = ROUTE_TOP;
    r->methods = ROUTE_M_GET;
    if (seg_is(&segs[2], "success"))
        r->status = ROUTE_STATUS_SUCCESS;
    else if (seg_is(&segs[2], "fail"))
        r->status = ROUTE_STATUS_FAIL;
    else
        return fail(err, errlen, 400, "%s", "status: must be success or fail");
    if (seg_is(&segs[3], "hour"))
        r->span = ROUTE_SPAN_HOUR;
    else if (seg_is(&segs[3], "week"))
        r->span = ROUTE_SPAN_WEEK;
    else if (seg_is(&segs[3], "month"))
        r->span = ROUTE_SPAN_MONTH;
    else
        return fail(err, errlen, 400, "%s", "timespan: must be hour, week or month");
    snprintf(r->cache_key, sizeof(r->cache_key), "%s/urls/top/%s/%s", RKEY_CACHE_PREFIX,
             route_status_name(r->status), route_span_name(r->span));
    return 0;
}

static int match_id(const struct seg *s, struct route_req *r, char *err, size_t errlen)
{
    if (route_parse_id(s->s, s->len, &r->url_id) != 0)
        return fail(err, errlen, 400, "%s", "id: must be an integer from 1 to 9223372036854775807");
    return 0;
}

static int match_path(const struct seg *segs, size_t n, struct route_req *r, char *err,
                      size_t errlen)
{
    if (n == 1 && seg_is(&segs[0], "healthz")) {
        r->id = ROUTE_HEALTHZ;
        r->methods = ROUTE_M_GET;
    } else if (n == 1 && seg_is(&segs[0], "status")) {
        r->id = ROUTE_STATUS;
        r->methods = ROUTE_M_GET;
    } else if (n == 1 && seg_is(&segs[0], "metrics")) {
        r->id = ROUTE_METRICS;
        r->methods = ROUTE_M_GET;
    } else if (n == 1 && seg_is(&segs[0], "openapi.json")) {
        r->id = ROUTE_OPENAPI;
        r->methods = ROUTE_M_GET;
    } else if (n >= 2 && n <= 3 && seg_is(&segs[0], "dashboard") && seg_is(&segs[1], "urls")) {
        r->methods = ROUTE_M_GET;
        r->id = n == 2 ? ROUTE_DASH_URLS : ROUTE_DASH_URL;
        if (n == 3)
            return match_id(&segs[2], r, err, errlen);
    } else if (n == 2 && seg_is(&segs[0], "dashboard") && seg_is(&segs[1], "percentiles")) {
        r->methods = ROUTE_M_GET;
        r->id = ROUTE_DASH_PCT;
    } else if (n == 1 && seg_is(&segs[0], "incidents")) {
        r->id = ROUTE_INCIDENTS;
        r->methods = ROUTE_M_GET;
    } else if (n == 0 || !seg_is(&segs[0], "urls")) {
        return fail(err, errlen, 404, "%s", "no such route");
    } else if (n == 1) {
        r->id = ROUTE_URLS;
        r->methods = ROUTE_M_GET | ROUTE_M_POST;
    } else if (seg_is(&segs[1], "top")) {
        if (n != 4)
            return fail(err, errlen, 404, "%s", "no such route");
        return match_top(segs, r, err, errlen);
    } else if (seg_is(&segs[1], "summary")) {
        if (n != 2)
            return fail(err, errlen, 404, "%s", "no such route");
        r->id = ROUTE_SUMMARY;
        r->methods = ROUTE_M_GET;
        snprintf(r->cache_key, sizeof(r->cache_key), "%s/urls/summary", RKEY_CACHE_PREFIX);
    } else if (n == 2) {
        r->methods = ROUTE_M_GET | ROUTE_M_PUT | ROUTE_M_PATCH | ROUTE_M_DELETE;
        r->id = ROUTE_URL;
        return match_id(&segs[1], r, err, errlen);
    } else if (n == 3 && seg_is(&segs[2], "checks")) {
        r->methods = ROUTE_M_GET;
        r->id = ROUTE_URL_CHECKS;
        return match_id(&segs[1], r, err, errlen);
    } else if (n == 3 && seg_is(&segs[2], "incidents")) {
        r->methods = ROUTE_M_GET;
        r->id = ROUTE_URL_INCIDENTS;
        return match_id(&segs[1], r, err, errlen);
    } else {
        return fail(err, errlen, 404, "%s", "no such route");
    }
    return 0;
}

int route_parse(const char *path, const char *query, struct route_req *r, char *err, size_t errlen)
{
    struct seg segs[MAX_SEGMENTS];
    struct param params[MAX_PARAMS];
    char decoded[PATH_MAX_BYTES];
    size_t nsegs = 0, nparams = 0;
    int rc;

    memset(r, 0, sizeof(*r));
    r->cache = true;
    r->limit = ROUTE_LIMIT_DEFAULT;
    r->active = -1;
    if ((rc = split_path(path, segs, &nsegs, decoded, sizeof(decoded), err, errlen)) != 0)
        return rc == 404 ? fail(err, errlen, 404, "%s", "no such route") : rc;
    if ((rc = match_path(segs, nsegs, r, err, errlen)) != 0)
        return rc;
    if ((rc = parse_query(query, params, &nparams, err, errlen)) != 0)
        return rc;
    return apply_params(r, params, nparams, err, errlen);
}

bool route_cacheable(const struct route_req *r)
{
    return r->id == ROUTE_TOP || r->id == ROUTE_SUMMARY;
}

const char *route_allow_header(unsigned methods)
{
    switch (methods) {
    case ROUTE_M_GET | ROUTE_M_POST:
        return "GET, HEAD, POST";
    case ROUTE_M_GET | ROUTE_M_DELETE:
        return "GET, HEAD, DELETE";
    case ROUTE_M_GET | ROUTE_M_PUT | ROUTE_M_PATCH | ROUTE_M_DELETE:
        return "GET, HEAD, PUT, PATCH, DELETE";
    default:
        return "GET, HEAD";
    }
}

unsigned route_method_bit(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } methods[] = {{"GET", ROUTE_M_GET},       {"HEAD", ROUTE_M_GET}, {"POST", ROUTE_M_POST},
                   {"DELETE", ROUTE_M_DELETE}, {"PUT", ROUTE_M_PUT},  {"PATCH", ROUTE_M_PATCH}};
    size_t i;

    for (i = 0; i < ARRAY_LEN(methods); i++)
        if (strcmp(name, methods[i].name) == 0)
            return methods[i].bit;
    return 0;
}

const char *route_label(enum route_id id)
{
    static const char *const labels[ROUTE_COUNT] = {
        [ROUTE_UNKNOWN] = "unknown",
        [ROUTE_TOP] = "top",
        [ROUTE_SUMMARY] = "summary",
        [ROUTE_URLS] = "urls",
        [ROUTE_URL] = "url",
        [ROUTE_URL_CHECKS] = "url_checks",
        [ROUTE_HEALTHZ] = "healthz",
        [ROUTE_STATUS] = "status",
        [ROUTE_METRICS] = "metrics",
        [ROUTE_OPENAPI] = "openapi",
        [ROUTE_DASH_URLS] = "dash_urls",
        [ROUTE_DASH_URL] = "dash_url",
        [ROUTE_DASH_PCT] = "dash_percentiles",
        [ROUTE_UI] = "ui",
        [ROUTE_INCIDENTS] = "incidents",
        [ROUTE_URL_INCIDENTS] = "url_incidents",
    };
    return (unsigned)id < ROUTE_COUNT ? labels[id] : "unknown";
}

const char *route_status_name(enum route_status s)
{
    return s == ROUTE_STATUS_FAIL ? "fail" : "success";
}

const char *route_span_name(enum route_span s)
{
    return s == ROUTE_SPAN_HOUR ? "hour" : s == ROUTE_SPAN_WEEK ? "week" : "month";
}
