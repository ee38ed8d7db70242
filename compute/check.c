/* compute/check.c: see check.h. */
#include "check.h"

#include "common.h"

/* The MySQL ENUM spellings, indexed by enum check_error. */
static const char *const error_names[] = {
    [CHECK_OK] = NULL,
    [CHECK_ERR_DNS] = "dns",
    [CHECK_ERR_CONNECT] = "connect",
    [CHECK_ERR_TLS] = "tls",
    [CHECK_ERR_TIMEOUT] = "timeout",
    [CHECK_ERR_HTTP_STATUS] = "http_status",
    [CHECK_ERR_REGEX_MISMATCH] = "regex_mismatch",
    [CHECK_ERR_TOO_LARGE] = "too_large",
    [CHECK_ERR_BLOCKED] = "blocked",
    [CHECK_ERR_OTHER] = "other",
};

const char *check_error_name(enum check_error e)
{
    if ((unsigned)e >= ARRAY_LEN(error_names))
        return "other";
    return error_names[e];
}
