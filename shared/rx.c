/* shared/rx.c: PCRE2 compile/match with JIT and limits. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rx.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RX_MATCH_LIMIT 1000000u
#define RX_DEPTH_LIMIT 10000u

struct rx {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    int jit;
};

/* PCRE2 up to 10.42 has a JIT bug with PCRE2_MATCH_INVALID_UTF (upstream issue 224):
 * negated classes such as \S, \D and \W never match a non-ASCII character, so a body
 * regex gives a false regex_mismatch or a short match. The version is read at run time
 * (the library may be upgraded under the binary); on an affected library a subject that
 * holds any non-ASCII byte is matched by the interpreter, which is correct. */
static int jit_utf_buggy = -1; /* -1 unknown, 0 no, 1 yes; a benign race: same answer */

int rx_version_jit_buggy(const char *version)
{
    unsigned major = 0, minor = 0;

    if (!version || sscanf(version, "%u.%u", &major, &minor) != 2)
        return 1; /* unknown: be safe */
    return major < 10 || (major == 10 && minor < 43);
}

static int jit_buggy(void)
{
    if (jit_utf_buggy < 0) {
        char ver[64] = "";
        if (pcre2_config(PCRE2_CONFIG_VERSION, ver) < 0)
            ver[0] = '\0';
        jit_utf_buggy = rx_version_jit_buggy(ver);
    }
    return jit_utf_buggy;
}

static int has_non_ascii(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] & 0x80)
            return 1;
    return 0;
}

int rx_compile(const char *pattern, size_t len, struct rx **out, char *err, size_t errlen)
{
    struct rx *rx = NULL;
    int errcode = 0;
    PCRE2_SIZE erroff = 0;

    *out = NULL;
    if (len == 0) {
        snprintf(err, errlen, "is empty");
        return -1;
    }
    if (len > RX_MAX_PATTERN) {
        snprintf(err, errlen, "is longer than %d bytes", RX_MAX_PATTERN);
        return -1;
    }
    if (!(rx = calloc(1, sizeof(*rx))))
        goto oom;
    rx->code = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                             &errcode, &erroff, NULL);
    if (!rx->code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        snprintf(err, errlen, "does not compile: %s at offset %zu", (const char *)msg,
                 (size_t)erroff);
        rx_free(&rx);
        return -1;
    }
    rx->jit = pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE) == 0;
    if (!(rx->md = pcre2_match_data_create_from_pattern(rx->code, NULL)))
        goto oom;
    if (!(rx->mctx = pcre2_match_context_create(NULL)))
        goto oom;
    pcre2_set_match_limit(rx->mctx, RX_MATCH_LIMIT);
    pcre2_set_depth_limit(rx->mctx, RX_DEPTH_LIMIT);
    *out = rx;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    rx_free(&rx);
    return -1;
}

int rx_validate(const char *pattern, size_t len, char *err, size_t errlen)
{
    struct rx *rx = NULL;
    int rc = rx_compile(pattern, len, &rx, err, errlen);
    rx_free(&rx);
    return rc;
}

void rx_free(struct rx **rx)
{
    if (!rx || !*rx)
        return;
    pcre2_match_context_free((*rx)->mctx);
    pcre2_match_data_free((*rx)->md);
    pcre2_code_free((*rx)->code);
    free(*rx);
    *rx = NULL;
}

int rx_match(struct rx *rx, const char *subject, size_t len, char *match, size_t matchcap,
             char *err, size_t errlen)
{
    static const char empty[1] = "";
    uint32_t opts = 0;
    int rc;

    if (!subject) {
        subject = empty; /* an empty body has no buffer */
        len = 0;
    }
    if (rx->jit && jit_buggy() && has_non_ascii(subject, len))
        opts |= PCRE2_NO_JIT;
    rc = pcre2_match(rx->code, (PCRE2_SPTR)subject, len, 0, opts, rx->md, rx->mctx);
    if (rc == PCRE2_ERROR_NOMATCH)
        return RX_NOMATCH;
    if (rc < 0) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(rc, msg, sizeof(msg));
        snprintf(err, errlen, "regex match failed: %s", (const char *)msg);
        return RX_ERROR;
    }
    if (match && matchcap > 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rx->md);
        size_t n = ov[1] > ov[0] ? (size_t)(ov[1] - ov[0]) : 0;
        if (n > matchcap - 1)
            n = matchcap - 1;
        if (n > 0) /* never memcpy from a NULL or past an empty subject */
            memcpy(match, subject + ov[0], n);
        match[n] = '\0';
    }
    return RX_MATCH;
}
