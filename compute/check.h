/* compute/check.h: what one check is about and what it found.
 *
 * The engine (checker.h) fills a struct check_target per URL from its source and hands
 * a struct check_result per finished check to its sink; the writer, the spool, the SQL
 * builders and the rollups read only these types, so they include this header, not the
 * engine's. */
#ifndef URLMON_CHECK_H
#define URLMON_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "rx.h"
#include "urlrule.h"

enum check_error {
    CHECK_OK = 0,
    CHECK_ERR_DNS,            /* name did not resolve */
    CHECK_ERR_CONNECT,        /* refused, unreachable, connect timeout */
    CHECK_ERR_TLS,            /* handshake or certificate failure */
    CHECK_ERR_TIMEOUT,        /* TIMEOUT elapsed before the whole answer arrived */
    CHECK_ERR_HTTP_STATUS,    /* final status outside 200-399 */
    CHECK_ERR_REGEX_MISMATCH, /* body did not match the URL's regex */
    CHECK_ERR_TOO_LARGE,      /* body over MAX_BODY_BYTES */
    CHECK_ERR_BLOCKED,        /* SSRF guard refused the address */
    CHECK_ERR_OTHER,          /* anything else (garbage, redirect loop, reset, ...) */
};

/* The MySQL ENUM spelling of an error class ("dns", ...); NULL for CHECK_OK. */
const char *check_error_name(enum check_error e);

/* One URL to check. The source writes into these buffers; they belong to the engine. */
struct check_target {
    uint64_t url_id;
    char url[URLRULE_MAX_LEN + 2];
    char regex[RX_MAX_PATTERN + 1]; /* "" = no regex */
};

#define CHECK_MS_UNKNOWN UINT32_MAX
#define CHECK_MESSAGE_MAX 256
#define CHECK_MATCH_MAX 256

struct check_result {
    uint64_t url_id;
    int64_t checked_at_ms; /* UTC, ms since the epoch, when the check started */
    bool success;
    int http_status;                              /* final status; 0 = no response */
    uint32_t response_ms;                         /* total time */
    uint32_t dns_ms, connect_ms, tls_ms, ttfb_ms; /* phase times, CHECK_MS_UNKNOWN if none */
    /* (each phase's own duration: name lookup, TCP handshake, TLS handshake, request sent
     * to first response byte; summed over redirect hops; see classify_times) */
    enum check_error error;
    char message[CHECK_MESSAGE_MAX];   /* short, valid UTF-8, "" on success */
    int regex_matched;                 /* -1 = URL has no regex, 0 = no, 1 = yes */
    char regex_match[CHECK_MATCH_MAX]; /* first match, valid UTF-8, truncated */
    int64_t cert_expires_s; /* https: the leaf certificate's notAfter (s since the epoch);
                               0 = no certificate seen (http, no handshake) */
};

#endif
