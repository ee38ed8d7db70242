/* api/cors.c: the CORS_ORIGINS setting. */
#include "cors.h"

#include <stdio.h>
#include <string.h>

#include "route.h"

/* scheme "://" host [":" port], nothing after: what a browser sends in Origin. */
static bool origin_ok(const char *o)
{
    const char *host;
    size_t i;

    if (strncmp(o, "http://", 7) == 0)
        host = o + 7;
    else if (strncmp(o, "https://", 8) == 0)
        host = o + 8;
    else
        return false;
    if (!*host)
        return false;
    for (i = 0; host[i]; i++) {
        char c = host[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
        if (!ok)
            return false;
    }
    return true;
}

int cors_parse(const char *setting, struct cors *out, char *err, size_t errlen)
{
    const char *p = setting ? setting : "";

    memset(out, 0, sizeof(*out));
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char one[CORS_ORIGIN_MAX];

        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0 || len >= sizeof(one)) {
            snprintf(err, errlen, "CORS_ORIGINS: an entry is empty or over %d bytes",
                     CORS_ORIGIN_MAX - 1);
            return -1;
        }
        memcpy(one, p, len);
        one[len] = '\0';
        if (strcmp(one, "*") == 0) {
            out->any = true;
        } else if (!origin_ok(one) || one[len - 1] == '/') {
            snprintf(err, errlen,
                     "CORS_ORIGINS: %.200s is not an origin (scheme://host[:port], or *)", one);
            return -1;
        } else if (out->n == CORS_MAX_ORIGINS) {
            snprintf(err, errlen, "CORS_ORIGINS: more than %d origins", CORS_MAX_ORIGINS);
            return -1;
        } else {
            memcpy(out->origins[out->n++], one, len + 1);
        }
        p += comma ? (size_t)(comma - p) + 1 : strlen(p);
    }
    if (out->any && out->n) {
        snprintf(err, errlen, "CORS_ORIGINS: * cannot be combined with a list of origins");
        return -1;
    }
    return 0;
}

bool cors_enabled(const struct cors *c)
{
    return c->any || c->n > 0;
}

const char *cors_allow(const struct cors *c, const char *origin, unsigned method)
{
    size_t i;

    if (!origin)
        return NULL;
    if (c->any)
        return method == ROUTE_M_GET ? "*" : NULL;
    for (i = 0; i < c->n; i++)
        if (strcmp(c->origins[i], origin) == 0)
            return c->origins[i];
    return NULL;
}
