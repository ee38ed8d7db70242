/* compute/transfer.h: one check slot: a reused curl easy handle and its fixed buffers.
 *
 * A loop owns up to its share of transfers and reuses them: the options below are set
 * once, when the slot is made, and kept; the source fills transfer_target() in place,
 * transfer_begin() gives the easy handle its URL, the loop adds transfer_easy() to its
 * multi handle, and when libcurl reports the transfer done transfer_finish() turns it into a
 * check_result. Nothing is allocated per check, except the body buffer of a URL with a
 * regex, which grows up to MAX_BODY_BYTES and is kept for the next check up to
 * TRANSFER_BODY_KEEP bytes.
 *
 * Options: GET, HTTP/1.1, TIMEOUT_MS, CONNECTTIMEOUT_MS, FOLLOWLOCATION + MAXREDIRS
 * (0 = not followed), http/https only (also for redirects), TLS verified with the system
 * CA bundle, User-Agent urlmon/<version>, NOSIGNAL, no proxy (environment proxies are
 * ignored: the SSRF guard judges the address connected), FRESH_CONNECT + FORBID_REUSE
 * (each check measures its own connection), MAXFILESIZE = MAX_BODY_BYTES, the loop's
 * share (DNS cache, TLS sessions), an open-socket callback running the SSRF guard, a
 * header callback refusing more than CLASSIFY_MAX_HEADER_BYTES per response. No
 * Accept-Encoding: bodies arrive as served, so MAX_BODY_BYTES and the regex apply to the
 * bytes on the wire and no decompression bomb can grow past the limit.
 * CURLOPT_BUFFERSIZE stays at libcurl's 16 KiB: 64 and 128 KiB made no measurable CPU
 * difference on 500 KB bodies and cost memory per slot.
 * TLS verification uses the CA bundle only (CURLOPT_CAPATH unset) so that libcurl caches
 * the CA store in the multi handle instead of re-reading it for every connection:
 * CA_BUNDLE replaces the system bundle; CA_PATH (a hashed directory) is trusted as well,
 * at the price of that cache (every https check then reads the directory). */
#ifndef URLMON_TRANSFER_H
#define URLMON_TRANSFER_H

#include <curl/curl.h>
#include <stdbool.h>

#include "check.h"
#include "common.h"

#define TRANSFER_BODY_KEEP (256u * 1024u) /* larger body buffers are freed after a check */

/* Settings shared by every transfer of a loop; must outlive them. */
struct transfer_conf {
    unsigned timeout_ms, connect_timeout_ms, max_redirects, max_body_bytes;
    bool allow_private_targets;
    const char *ca_bundle, *ca_path; /* NULL/"" = system bundle, no CA path */
    CURLSH *share;                   /* may be NULL */
};

struct transfer;

int transfer_new(const struct transfer_conf *conf, struct transfer **out) MUSTCHECK;
void transfer_free(struct transfer **t); /* NULL-safe, clears *t */

/* The buffer the source fills before transfer_begin. */
struct check_target *transfer_target(struct transfer *t);
CURL *transfer_easy(const struct transfer *t);

/* Prepares the check of transfer_target(t). 0: add transfer_easy(t) to the multi
 * handle. -1: the check ended before it started (invalid regex, libcurl refused the
 * URL); r holds its result. */
int transfer_begin(struct transfer *t, struct check_result *r) MUSTCHECK;

/* The loop's socket callback saw libcurl ask to watch s for what (CURL_POLL_*) on
 * behalf of t: tells when the check's TCP connection is up (timeout vs connect). */
void transfer_note_poll(struct transfer *t, curl_socket_t s, int what);

/* The transfer finished with code (it was already removed from the multi handle). */
void transfer_finish(struct transfer *t, CURLcode code, struct check_result *r);
/* The check could not be run after transfer_begin (e.g. the multi handle refused it):
 * r becomes an `other` failure with message why. */
void transfer_abort(struct transfer *t, const char *why, struct check_result *r);

/* An easy handle that starts a TLS handshake with https://127.0.0.1:port/ using the
 * same CA settings as the checks: the first TLS connection of a multi handle loads the
 * CA store (30-100 ms of CPU, synchronously); a loop runs this once, before its first
 * check starts, so that the load is inside no check's recorded time. */
CURL *transfer_tls_warmup_new(const struct transfer_conf *conf, unsigned port);

#endif
