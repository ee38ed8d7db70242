/* api/ui.h: the dashboard (GET /) and the API docs (GET /docs) as static files.
 *
 * The files (api/ui/, Chart.js from Debian's libjs-chart.js, swagger-ui-dist from npm)
 * are compiled into the binary by api/uigen.c, each with its gzip'd form and a strong
 * ETag. ui_serve answers GET/HEAD with the right Content-Type, an ETag
 * (`Cache-Control: no-cache`: revalidate each time, 304 on If-None-Match), gzip when
 * Accept-Encoding allows it and a Content-Security-Policy that allows the same origin
 * only. Nothing is read from disk at run time. */
#ifndef URLMON_UI_H
#define URLMON_UI_H

#include <stdbool.h>
#include <stddef.h>

struct ui_asset {
    const char *path;  /* "/", "/docs", "/ui/app.js", ... */
    const char *ctype; /* Content-Type */
    const char *body;
    size_t len;
    const char *gz; /* the same bytes, gzip -9n */
    size_t gzlen;
    const char *etag; /* "\"<16 hex digits>\"" of body */
};

/* Generated (api/uigen.c). */
extern const struct ui_asset ui_assets[];
extern const size_t ui_assets_count;

/* The Content-Security-Policy every asset is served with. */
#define UI_CSP                                                                                     \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "                    \
    "frame-ancestors 'none'; form-action 'self'"

/* The asset at path (one trailing slash allowed, as for the JSON routes), or NULL. */
const struct ui_asset *ui_find(const char *path);
/* True when an Accept-Encoding value (may be NULL) accepts gzip (q > 0). */
bool ui_accepts_gzip(const char *accept_encoding);
/* True when an If-None-Match value (may be NULL) names etag (or its -gz variant) or is
 * "*" (weak comparison, RFC 9110 13.1.2). */
bool ui_etag_matches(const char *if_none_match, const char *etag);

struct rq;
/* Answers rq (GET or HEAD; anything else 405) with asset a. */
void ui_serve(struct rq *rq, const struct ui_asset *a, unsigned method);

#endif
