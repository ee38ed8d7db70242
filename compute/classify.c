/* compute/classify.c: transfer facts -> success, error class, message. See classify.h. */
#include "classify.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

static void put(char *msg, size_t msglen, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Formats into msg and cuts the result back to whole UTF-8 characters. */
static void put(char *msg, size_t msglen, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (msglen == 0)
        return;
    va_start(ap, fmt);
    n = vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
    if (n < 0) {
        msg[0] = '\0';
        return;
    }
    msg[utf8_prefix(msg, strnlen(msg, msglen - 1))] = '\0';
}

static const char *curl_text(const struct classify_in *in)
{
    if (in->curl_error && in->curl_error[0])
        return in->curl_error;
    return curl_easy_strerror((CURLcode)in->curl_code);
}

static bool is_tls(int code)
{
    switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return true;
    default:
        return false;
    }
}

/* The transfer completed: judge status and regex. */
static enum check_error completed(const struct classify_in *in, char *msg, size_t msglen)
{
    if (in->http_status < 200 || in->http_status > 399) {
        put(msg, msglen, "HTTP status %ld", in->http_status);
        return CHECK_ERR_HTTP_STATUS;
    }
    switch (in->regex) {
    case CLASSIFY_RX_NONE:
    case CLASSIFY_RX_MATCH:
        put(msg, msglen, "%s", "");
        return CHECK_OK;
    case CLASSIFY_RX_NOMATCH:
        put(msg, msglen, "body does not match the regex");
        return CHECK_ERR_REGEX_MISMATCH;
    case CLASSIFY_RX_INVALID:
    case CLASSIFY_RX_ERROR:
    default:
        put(msg, msglen, "regex: %s", in->regex_error ? in->regex_error : "match failed");
        return CHECK_ERR_OTHER;
    }
}

enum check_error classify_check(const struct classify_in *in, char *msg, size_t msglen)
{
    int code = in->curl_code;

    if (in->regex == CLASSIFY_RX_INVALID) { /* the check never started */
        put(msg, msglen, "invalid regex: %s", in->regex_error ? in->regex_error : "");
        return CHECK_ERR_OTHER;
    }
    if (code == CURLE_OK)
        return completed(in, msg, msglen);
    if (in->blocked && code == CURLE_COULDNT_CONNECT) {
        put(msg, msglen, "%s is a private or reserved address (SSRF guard)",
            in->blocked_addr && in->blocked_addr[0] ? in->blocked_addr : "the address");
        return CHECK_ERR_BLOCKED;
    }
    if (in->body_too_large || code == CURLE_FILESIZE_EXCEEDED) {
        put(msg, msglen, "body larger than %u bytes", in->max_body_bytes);
        return CHECK_ERR_TOO_LARGE;
    }
    if (in->headers_too_large) {
        put(msg, msglen, "response headers larger than %u bytes", CLASSIFY_MAX_HEADER_BYTES);
        return CHECK_ERR_OTHER;
    }
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
        put(msg, msglen, "%s", curl_text(in));
        return CHECK_ERR_DNS;
    case CURLE_COULDNT_CONNECT:
        put(msg, msglen, "%s", curl_text(in));
        return CHECK_ERR_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        if (!in->socket_opened) {
            put(msg, msglen, "name not resolved in time: %s", curl_text(in));
            return CHECK_ERR_DNS;
        }
        if (!in->tcp_connected) {
            put(msg, msglen, "%s", curl_text(in));
            return CHECK_ERR_CONNECT;
        }
        /* libcurl counts the TLS handshake as part of connecting */
        if (strncmp(curl_text(in), "Connection timed out", 20) == 0)
            put(msg, msglen, "TLS handshake not finished: %s", curl_text(in));
        else
            put(msg, msglen, "%s", curl_text(in));
        return CHECK_ERR_TIMEOUT;
    case CURLE_TOO_MANY_REDIRECTS:
        put(msg, msglen, "redirect loop (more than %u redirects)", in->max_redirects);
        return CHECK_ERR_OTHER;
    default:
        break;
    }
    put(msg, msglen, "%s", curl_text(in));
    return is_tls(code) ? CHECK_ERR_TLS : CHECK_ERR_OTHER;
}

static uint32_t to_ms(int64_t us)
{
    if (us < 0)
        us = 0;
    if (us / 1000 >= (int64_t)CHECK_MS_UNKNOWN)
        return CHECK_MS_UNKNOWN - 1;
    return (uint32_t)(us / 1000);
}

void classify_times(int64_t namelookup_us, int64_t connect_us, int64_t appconnect_us,
                    int64_t starttransfer_us, int64_t total_us, struct check_result *r)
{
    int64_t ready = appconnect_us > connect_us ? appconnect_us : connect_us;

    r->dns_ms = namelookup_us > 0 ? to_ms(namelookup_us) : CHECK_MS_UNKNOWN;
    r->connect_ms = connect_us > 0 ? to_ms(connect_us - namelookup_us) : CHECK_MS_UNKNOWN;
    r->tls_ms = appconnect_us > 0 ? to_ms(appconnect_us - connect_us) : CHECK_MS_UNKNOWN;
    r->ttfb_ms =
        starttransfer_us > 0 && ready > 0 ? to_ms(starttransfer_us - ready) : CHECK_MS_UNKNOWN;
    r->response_ms = to_ms(total_us);
}
