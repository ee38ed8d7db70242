/* compute/classify.h: what a finished transfer means (pure; no curl handle, no I/O).
 *
 * The engine collects the facts of a transfer (libcurl's result code, the final status,
 * what its callbacks saw, the regex outcome) into struct classify_in and this module
 * turns them into the success flag, the error class and a short message.
 *
 * Success: the transfer completed within TIMEOUT, the final status is 200-399 and, when
 * the URL has a regex, the body matched. Otherwise the first that applies:
 *   blocked        the SSRF guard refused an address and no connection was made
 *   too_large      body over MAX_BODY_BYTES (counted in the write callback, or announced
 *                  by Content-Length: CURLE_FILESIZE_EXCEEDED)
 *   other          response headers over CLASSIFY_MAX_HEADER_BYTES (ours, or libcurl's own
 *                  100 KiB per-header refusal); redirect loop (CURLE_TOO_MANY_REDIRECTS);
 *                  garbage, empty reply, reset (WEIRD_SERVER_REPLY, GOT_NOTHING,
 *                  RECV_ERROR, ...); a regex that hit its match limit or did not compile
 *   dns            CURLE_COULDNT_RESOLVE_HOST, or TIMEOUT/CONNECT_TIMEOUT elapsed before
 *                  the name resolved (no socket was ever opened)
 *   connect        CURLE_COULDNT_CONNECT; a timeout after the socket was opened but before
 *                  TCP connected (connect timeout)
 *   timeout        CURLE_OPERATION_TIMEDOUT once TCP was connected: a TLS handshake that
 *                  never finishes, a server that never answers, a body still dripping
 *   tls            CURLE_SSL_*, CURLE_PEER_FAILED_VERIFICATION, CURLE_USE_SSL_FAILED
 *   http_status    completed, final status outside 200-399 (0 = no status line)
 *   regex_mismatch completed with status 200-399, body did not match
 * Messages are at most CHECK_MESSAGE_MAX-1 bytes of valid UTF-8 and never quote the body. */
#ifndef URLMON_CLASSIFY_H
#define URLMON_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"

#define CLASSIFY_MAX_HEADER_BYTES (100u * 1024u) /* per response, all header lines */

enum classify_regex {
    CLASSIFY_RX_NONE = -1, /* the URL has no regex */
    CLASSIFY_RX_NOMATCH = 0,
    CLASSIFY_RX_MATCH = 1,
    CLASSIFY_RX_ERROR = 2,   /* match or depth limit hit; detail in regex_error */
    CLASSIFY_RX_INVALID = 3, /* did not compile (never reaches the engine normally) */
};

struct classify_in {
    int curl_code;             /* CURLcode of the transfer */
    long http_status;          /* CURLINFO_RESPONSE_CODE, 0 = none */
    bool socket_opened;        /* the name resolved: a socket was requested */
    bool tcp_connected;        /* the last hop's TCP connection was established */
    bool blocked;              /* the SSRF guard refused an address */
    bool body_too_large;       /* the write callback stopped the transfer */
    bool headers_too_large;    /* the header callback stopped the transfer */
    enum classify_regex regex; /* only meaningful when curl_code == CURLE_OK */
    const char *regex_error;   /* CLASSIFY_RX_ERROR / INVALID detail, may be NULL */
    const char *curl_error;    /* CURLOPT_ERRORBUFFER, may be NULL or "" */
    const char *blocked_addr;  /* the refused address as text, may be NULL */
    unsigned max_redirects, max_body_bytes, timeout_ms;
};

/* Returns the class (CHECK_OK on success) and writes the message ("" on success). */
enum check_error classify_check(const struct classify_in *in, char *msg, size_t msglen);

/* libcurl's cumulative times (CURLINFO_*_TIME_T, microseconds since the start; 0 = that
 * point was never reached) -> the durations of each phase in ms, written to r:
 * dns_ms = name lookup; connect_ms = TCP handshake; tls_ms = TLS handshake (https only);
 * ttfb_ms = from the connection being ready (request sent) to the first response byte;
 * response_ms = the whole check. With redirects each is the sum over the hops. A phase
 * that was not reached is CHECK_MS_UNKNOWN. */
void classify_times(int64_t namelookup_us, int64_t connect_us, int64_t appconnect_us,
                    int64_t starttransfer_us, int64_t total_us, struct check_result *r);

#endif
