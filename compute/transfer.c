/* compute/transfer.c: a check slot around a reused curl easy handle. See transfer.h. */
#include "transfer.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "classify.h"
#include "clock.h"
#include "rx.h"
#include "ssrf.h"
#include "utf8.h"

struct transfer {
    CURL *easy;
    const struct transfer_conf *conf;
    struct check_target target;
    int64_t started_ms;
    /* what the callbacks saw during this check */
    uint64_t body_bytes;   /* body bytes received (kept or not) */
    uint64_t header_bytes; /* header bytes of the current response */
    bool socket_opened, blocked, body_too_large, headers_too_large;
    bool tcp_connected;       /* the latest connection of this check is established */
    curl_socket_t sockets[2]; /* the latest sockets opened (happy eyeballs: two) */
    unsigned nsock;
    char blocked_addr[INET6_ADDRSTRLEN];
    /* the body, kept only when the URL has a regex */
    bool keep_body;
    char *body;
    size_t body_cap;
    /* the compiled regex of the current URL (reused when the next URL has the same) */
    struct rx *rx;
    char rx_pattern[RX_MAX_PATTERN + 1];
    char rx_error[CHECK_MESSAGE_MAX];
    char errbuf[CURL_ERROR_SIZE];
    int64_t cert_expires_s; /* the leaf certificate's notAfter, 0 = none seen */
};

static int set_slot_options(struct transfer *t);

/* ---- the leaf certificate's expiry ---------------------------------------------
 * OpenSSL's verify callback sees every certificate of the chain as it is checked; at
 * depth 0 (the server's own) it reads notAfter into the transfer. This costs one
 * ASN1_TIME conversion per https check, where CURLOPT_CERTINFO would print the whole
 * chain to text (PEM and all) for every check. The transfer travels to the callback
 * through an ex_data slot of the SSL_CTX libcurl makes per connection. */
static int ctx_index = -1;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_index_init(void)
{
    ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int on_verify(int preverify_ok, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct transfer *t = ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index) : NULL;
    X509 *cert = X509_STORE_CTX_get_current_cert(xs);
    struct tm tm;

    if (t && cert && X509_STORE_CTX_get_error_depth(xs) == 0 &&
        ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
        t->cert_expires_s = (int64_t)timegm(&tm);
    return preverify_ok; /* libcurl's verdict stands */
}

static CURLcode on_ssl_ctx(CURL *e, void *ctx, void *ud)
{
    SSL_CTX *c = ctx;

    (void)e;
    if (ctx_index < 0 || SSL_CTX_set_ex_data(c, ctx_index, ud) != 1)
        return CURLE_OK; /* no expiry recorded; the check itself goes on */
    SSL_CTX_set_verify(c, SSL_CTX_get_verify_mode(c), on_verify);
    return CURLE_OK;
}

/* CA_BUNDLE replaces the system bundle; CA_PATH adds a hashed directory (libcurl then
 * cannot cache the CA store, see transfer.h). */
static int set_ca(CURL *e, const struct transfer_conf *c)
{
    int bad = 0;

    if (c->ca_bundle && c->ca_bundle[0])
        bad |= curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_bundle) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_CAPATH, c->ca_path && c->ca_path[0] ? c->ca_path : NULL) !=
           CURLE_OK;
    return bad ? -1 : 0;
}

int transfer_new(const struct transfer_conf *conf, struct transfer **out)
{
    struct transfer *t = NULL;
    int rc = -1;

    *out = NULL;
    if (!(t = calloc(1, sizeof(*t))))
        goto out;
    t->conf = conf;
    if (!(t->easy = curl_easy_init()))
        goto out;
    if (set_slot_options(t) != 0)
        goto out;
    *out = t;
    t = NULL;
    rc = 0;
out:
    transfer_free(&t);
    return rc;
}

void transfer_free(struct transfer **t)
{
    if (!t || !*t)
        return;
    if ((*t)->easy)
        curl_easy_cleanup((*t)->easy);
    rx_free(&(*t)->rx);
    free((*t)->body);
    free(*t);
    *t = NULL;
}

struct check_target *transfer_target(struct transfer *t)
{
    return &t->target;
}

CURL *transfer_easy(const struct transfer *t)
{
    return t->easy;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * nmemb;

    if (len > t->conf->max_body_bytes - t->body_bytes) {
        t->body_too_large = true;
        return CURL_WRITEFUNC_ERROR;
    }
    if (t->keep_body) {
        size_t need = (size_t)t->body_bytes + len;
        if (need > t->body_cap) {
            size_t cap = t->body_cap ? t->body_cap : 16384;
            char *p;
            while (cap < need)
                cap *= 2;
            if (cap > t->conf->max_body_bytes)
                cap = t->conf->max_body_bytes;
            if (!(p = realloc(t->body, cap)))
                return CURL_WRITEFUNC_ERROR;
            t->body = p;
            t->body_cap = cap;
        }
        memcpy(t->body + t->body_bytes, data, len);
    }
    t->body_bytes += len;
    return len;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * nmemb;

    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
        t->header_bytes = 0; /* a new response (redirect hop, 100 Continue) */
    t->header_bytes += len;
    if (t->header_bytes > CLASSIFY_MAX_HEADER_BYTES) {
        t->headers_too_large = true;
        return 0;
    }
    return len;
}

/* Called for every connection attempt with the address about to be connected. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct transfer *t = ud;
    curl_socket_t s = CURL_SOCKET_BAD;

    t->socket_opened = true;
    t->tcp_connected = false; /* a new connection (first, happy eyeballs or redirect hop) */
    if (!t->conf->allow_private_targets && ssrf_sockaddr_blocked(&a->addr, (socklen_t)a->addrlen)) {
        const void *ip = NULL;
        t->blocked = true;
        if (a->family == AF_INET)
            ip = &((const struct sockaddr_in *)(const void *)&a->addr)->sin_addr;
        else if (a->family == AF_INET6)
            ip = &((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr;
        if (!ip || !inet_ntop(a->family, ip, t->blocked_addr, sizeof(t->blocked_addr)))
            t->blocked_addr[0] = '\0';
        goto out; /* libcurl fails the attempt as "could not connect" */
    }
    s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (s != CURL_SOCKET_BAD)
        t->sockets[t->nsock++ % 2] = s;
out:
    return s;
}

void transfer_note_poll(struct transfer *t, curl_socket_t s, int what)
{
    /* libcurl waits for a connecting socket to become writable; it asks for readability
     * only once TCP is up (the request or the TLS ClientHello went out) */
    if ((what & CURL_POLL_IN) && !t->tcp_connected && t->nsock > 0 &&
        (t->sockets[0] == s || t->sockets[1] == s))
        t->tcp_connected = true;
}

static void result_reset(const struct transfer *t, struct check_result *r)
{
    r->url_id = t->target.url_id;
    r->checked_at_ms = t->started_ms;
    r->success = false;
    r->http_status = 0;
    r->response_ms = 0;
    r->dns_ms = r->connect_ms = r->tls_ms = r->ttfb_ms = CHECK_MS_UNKNOWN;
    r->error = CHECK_ERR_OTHER;
    r->message[0] = '\0';
    r->regex_matched = t->target.regex[0] ? 0 : -1;
    r->regex_match[0] = '\0';
    r->cert_expires_s = 0;
}

/* Compiles the URL's regex unless the previous check of this slot had the same. */
static int prepare_regex(struct transfer *t)
{
    size_t len = strnlen(t->target.regex, sizeof(t->target.regex) - 1);
    int rc = 0;

    if (t->rx && strcmp(t->rx_pattern, t->target.regex) == 0)
        goto out;
    rx_free(&t->rx);
    t->rx_pattern[0] = '\0';
    if ((rc = rx_compile(t->target.regex, len, &t->rx, t->rx_error, sizeof(t->rx_error))) != 0)
        goto out;
    memcpy(t->rx_pattern, t->target.regex, len);
    t->rx_pattern[len] = '\0';
out:
    return rc;
}

/* The options every check of this slot shares: set once, when the slot is made. An easy
 * handle keeps its options from one transfer to the next, so a check only sets its URL
 * (a curl_easy_reset and about 25 setopt calls less per check). */
static int set_slot_options(struct transfer *t)
{
    const struct transfer_conf *c = t->conf;
    CURL *e = t->easy;
    int bad = 0;

    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)t) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    /* a check that times out while getaddrinfo() still runs must not wait for it: without
     * this libcurl joins the resolver thread and the whole loop stalls until the lookup
     * gives up (seconds); with it the thread is detached and frees itself when done */
    bad |= curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK;
    /* verify against the CA bundle only: with a CA path set (Debian's default) libcurl
     * does not cache the CA store and re-reads the whole bundle for every TLS connection
     * (~100 ms of CPU); without it the store is loaded once per multi handle */
    bad |= set_ca(e, c) != 0;
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "urlmon/" URLMON_VERSION) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms) != CURLE_OK;
    if (c->max_redirects > 0) {
        bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)c->max_redirects) != CURLE_OK;
    }
    bad |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
    bad |=
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body_bytes) != CURLE_OK;
    if (c->share)
        bad |= curl_easy_setopt(e, CURLOPT_SHARE, c->share) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)t) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)t) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, (void *)t) != CURLE_OK;
    (void)pthread_once(&ctx_once, ctx_index_init);
    bad |= curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, (void *)t) != CURLE_OK;
    return bad ? -1 : 0;
}

int transfer_begin(struct transfer *t, struct check_result *r)
{
    int rc = -1;

    t->started_ms = clock_wall_ms();
    t->body_bytes = t->header_bytes = 0;
    t->socket_opened = t->blocked = t->body_too_large = t->headers_too_large = false;
    t->tcp_connected = false;
    t->sockets[0] = t->sockets[1] = CURL_SOCKET_BAD;
    t->nsock = 0;
    t->blocked_addr[0] = '\0';
    t->errbuf[0] = '\0';
    t->cert_expires_s = 0;
    t->target.url[sizeof(t->target.url) - 1] = '\0';
    t->target.regex[sizeof(t->target.regex) - 1] = '\0';
    t->keep_body = t->target.regex[0] != '\0';
    if (t->keep_body && prepare_regex(t) != 0) {
        struct classify_in in = {.regex = CLASSIFY_RX_INVALID, .regex_error = t->rx_error};
        result_reset(t, r);
        r->error = classify_check(&in, r->message, sizeof(r->message));
        goto out;
    }
    if (curl_easy_setopt(t->easy, CURLOPT_URL, t->target.url) != CURLE_OK) {
        transfer_abort(t, "libcurl refused the URL", r);
        goto out;
    }
    rc = 0;
out:
    return rc;
}

CURL *transfer_tls_warmup_new(const struct transfer_conf *conf, unsigned port)
{
    char url[64];
    CURL *e = curl_easy_init();
    int bad = 0;

    if (!e)
        goto out;
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/", port);
    bad |= curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK;
    bad |= set_ca(e, conf) != 0;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
    if (bad) {
        curl_easy_cleanup(e);
        e = NULL;
    }
out:
    return e;
}

void transfer_abort(struct transfer *t, const char *why, struct check_result *r)
{
    result_reset(t, r);
    r->error = CHECK_ERR_OTHER;
    snprintf(r->message, sizeof(r->message), "%s", why);
    r->message[utf8_prefix(r->message, strlen(r->message))] = '\0';
}

static enum classify_regex run_regex(struct transfer *t, struct check_result *r)
{
    int m = rx_match(t->rx, t->body, (size_t)t->body_bytes, r->regex_match, sizeof(r->regex_match),
                     t->rx_error, sizeof(t->rx_error));

    if (m == RX_MATCH) {
        r->regex_match[utf8_prefix(r->regex_match, strlen(r->regex_match))] = '\0';
        r->regex_matched = 1;
        return CLASSIFY_RX_MATCH;
    }
    r->regex_match[0] = '\0';
    r->regex_matched = 0;
    return m == RX_NOMATCH ? CLASSIFY_RX_NOMATCH : CLASSIFY_RX_ERROR;
}

void transfer_finish(struct transfer *t, CURLcode code, struct check_result *r)
{
    curl_off_t nl = 0, conn = 0, app = 0, st = 0, total = 0;
    long status = 0;
    struct classify_in in = {0};

    result_reset(t, r);
    if (curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        status = 0;
    if (curl_easy_getinfo(t->easy, CURLINFO_NAMELOOKUP_TIME_T, &nl) != CURLE_OK)
        nl = 0;
    if (curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &conn) != CURLE_OK)
        conn = 0;
    if (curl_easy_getinfo(t->easy, CURLINFO_APPCONNECT_TIME_T, &app) != CURLE_OK)
        app = 0;
    if (curl_easy_getinfo(t->easy, CURLINFO_STARTTRANSFER_TIME_T, &st) != CURLE_OK)
        st = 0;
    if (curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total) != CURLE_OK)
        total = 0;
    classify_times(nl, conn, app, st, total, r);
    r->http_status = (int)status;

    in.curl_code = code;
    in.http_status = status;
    in.socket_opened = t->socket_opened;
    in.tcp_connected = t->tcp_connected;
    in.blocked = t->blocked;
    in.body_too_large = t->body_too_large;
    in.headers_too_large = t->headers_too_large;
    in.regex = CLASSIFY_RX_NONE;
    if (t->keep_body && code == CURLE_OK)
        in.regex = run_regex(t, r);
    in.regex_error = t->rx_error;
    in.curl_error = t->errbuf;
    in.blocked_addr = t->blocked_addr;
    in.max_redirects = t->conf->max_redirects;
    in.max_body_bytes = t->conf->max_body_bytes;
    in.timeout_ms = t->conf->timeout_ms;
    r->error = classify_check(&in, r->message, sizeof(r->message));
    r->success = r->error == CHECK_OK;
    r->cert_expires_s = t->cert_expires_s;

    if (t->body_cap > TRANSFER_BODY_KEEP) {
        free(t->body);
        t->body = NULL;
        t->body_cap = 0;
    }
}
