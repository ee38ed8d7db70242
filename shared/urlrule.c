/* shared/urlrule.c: URL validation and normalisation (no allocation). */
#include "urlrule.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int fail(const char **why, const char *msg)
{
    *why = msg;
    return -1;
}

static int host_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_';
}

int urlrule_normalize(const char *url, size_t len, char *out, size_t outlen, const char **why)
{
    size_t i, scheme_len, host_start, host_end, auth_end, o = 0;
    unsigned long port = 0;
    int https, has_port = 0;

    if (len == 0)
        return fail(why, "is empty");
    if (len > URLRULE_MAX_LEN)
        return fail(why, "is longer than 2048 characters");
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f)
            return fail(why, "contains a space, control or non-ASCII character "
                             "(percent-encode it, use punycode for hosts)");
    }
    if (len >= 7 && strncasecmp(url, "http://", 7) == 0) {
        https = 0;
        scheme_len = 7;
    } else if (len >= 8 && strncasecmp(url, "https://", 8) == 0) {
        https = 1;
        scheme_len = 8;
    } else {
        return fail(why, "must start with http:// or https://");
    }
    auth_end = scheme_len;
    while (auth_end < len && url[auth_end] != '/' && url[auth_end] != '?' && url[auth_end] != '#')
        auth_end++;
    if (memchr(url + scheme_len, '@', auth_end - scheme_len))
        return fail(why, "must not contain credentials (user:password@)");
    host_start = scheme_len;
    if (host_start < auth_end && url[host_start] == '[') {
        host_end = host_start + 1;
        while (host_end < auth_end && url[host_end] != ']') {
            unsigned char c = (unsigned char)url[host_end];
            if (!isxdigit(c) && c != ':' && c != '.')
                return fail(why, "has an invalid IPv6 address");
            host_end++;
        }
        if (host_end >= auth_end || host_end == host_start + 1)
            return fail(why, "has an invalid IPv6 address");
        host_end++; /* include ']' */
    } else {
        host_end = host_start;
        while (host_end < auth_end && url[host_end] != ':') {
            if (!host_char((unsigned char)url[host_end]))
                return fail(why, "has an invalid character in the host");
            host_end++;
        }
        if (host_end == host_start)
            return fail(why, "has no host");
        if (host_end - host_start > 253)
            return fail(why, "has a host longer than 253 characters");
        if (url[host_start] == '.' || url[host_start] == '-')
            return fail(why, "has an invalid host");
        for (i = host_start + 1; i < host_end; i++)
            if (url[i] == '.' && url[i - 1] == '.')
                return fail(why, "has an empty label in the host");
    }
    if (host_end < auth_end) {
        if (url[host_end] != ':')
            return fail(why, "has an invalid character after the host");
        if (host_end + 1 == auth_end)
            return fail(why, "has an empty port");
        if (auth_end - host_end - 1 > 5)
            return fail(why, "has a port outside 1-65535");
        for (i = host_end + 1; i < auth_end; i++) {
            if (!isdigit((unsigned char)url[i]))
                return fail(why, "has a port that is not a number");
            port = port * 10 + (unsigned long)(url[i] - '0');
        }
        if (port < 1 || port > 65535)
            return fail(why, "has a port outside 1-65535");
        has_port = !((https && port == 443) || (!https && port == 80));
    }

    /* scheme + host lower-cased, port if not the default, then path/query sans fragment. */
    if (outlen < len + 2)
        return fail(why, "does not fit the output buffer");
    memcpy(out, https ? "https://" : "http://", scheme_len);
    o = scheme_len;
    for (i = host_start; i < host_end; i++)
        out[o++] = (char)tolower((unsigned char)url[i]);
    if (has_port) {
        memcpy(out + o, url + host_end, auth_end - host_end);
        o += auth_end - host_end;
    }
    if (auth_end >= len || url[auth_end] != '/')
        out[o++] = '/';
    for (i = auth_end; i < len && url[i] != '#'; i++)
        out[o++] = url[i];
    if (o > URLRULE_MAX_LEN)
        return fail(why, "is longer than 2048 characters");
    out[o] = '\0';
    return 0;
}
