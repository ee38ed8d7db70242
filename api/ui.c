/* api/ui.c: serves the embedded dashboard and API-docs files (see ui.h). */
#include "ui.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api_int.h"
#include "rq.h"

const struct ui_asset *ui_find(const char *path)
{
    size_t i, n;

    if (!path)
        return NULL;
    n = strlen(path);
    for (i = 0; i < ui_assets_count; i++) {
        const char *p = ui_assets[i].path;
        size_t pn = strlen(p);
        if (n == pn && memcmp(path, p, n) == 0)
            return &ui_assets[i];
        /* one trailing slash: "/docs/" = "/docs" */
        if (pn > 1 && n == pn + 1 && path[pn] == '/' && memcmp(path, p, pn) == 0)
            return &ui_assets[i];
    }
    return NULL;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* One comma-separated element of a header: [s, *end). */
static const char *next_item(const char *s, const char **end)
{
    const char *e;

    s = skip_ws(s);
    e = strchr(s, ',');
    *end = e ? e : s + strlen(s);
    return s;
}

/* q=0 (0, 0.0, 0.00, 0.000) in the parameters of one Accept-Encoding element. */
static bool q_zero(const char *params, const char *end)
{
    const char *p = params;

    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *t = skip_ws(p);
        const char *stop = semi ? semi : end;
        if (stop - t >= 2 && (t[0] == 'q' || t[0] == 'Q') && t[1] == '=') {
            const char *v = t + 2;
            if (v < stop && *v == '0') {
                v++;
                if (v < stop && *v == '.')
                    v++;
                while (v < stop && *v == '0')
                    v++;
                v = skip_ws(v);
                return v >= stop;
            }
            return false;
        }
        p = semi ? semi + 1 : end;
    }
    return false;
}

bool ui_accepts_gzip(const char *ae)
{
    const char *s = ae, *end;

    if (!ae)
        return false;
    while (*s) {
        const char *item = next_item(s, &end);
        const char *semi = memchr(item, ';', (size_t)(end - item));
        const char *tok_end = semi ? semi : end;
        while (tok_end > item && (tok_end[-1] == ' ' || tok_end[-1] == '\t'))
            tok_end--;
        if ((size_t)(tok_end - item) == 4 && strncasecmp(item, "gzip", 4) == 0)
            return !(semi && q_zero(semi + 1, end));
        s = *end ? end + 1 : end;
    }
    return false;
}

bool ui_etag_matches(const char *inm, const char *etag)
{
    const char *s = inm, *end;
    size_t elen;

    if (!inm || !etag)
        return false;
    elen = strlen(etag);
    while (*s) {
        const char *item = next_item(s, &end);
        const char *e = end;
        while (e > item && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e - item == 1 && item[0] == '*')
            return true;
        if (e - item >= 2 && item[0] == 'W' && item[1] == '/')
            item += 2;
        /* "<hex>" or "<hex>-gz": the etag without its closing quote is a prefix */
        if ((size_t)(e - item) == elen && memcmp(item, etag, elen) == 0)
            return true;
        if ((size_t)(e - item) == elen + 3 && memcmp(item, etag, elen - 1) == 0 &&
            memcmp(item + elen - 1, "-gz\"", 4) == 0)
            return true;
        s = *end ? end + 1 : end;
    }
    return false;
}

void ui_serve(struct rq *rq, const struct ui_asset *a, unsigned method)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(rq->req);
    struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);
    bool gz = ui_accepts_gzip(evhttp_find_header(in, "Accept-Encoding"));
    char etag[40];

    rq->route.id = ROUTE_UI;
    rq->route.methods = ROUTE_M_GET;
    if (method != ROUTE_M_GET) {
        rq_error(rq, 405, "method: only GET and HEAD are allowed on this page");
        return;
    }
    if (gz)
        snprintf(etag, sizeof(etag), "%.*s-gz\"", (int)strlen(a->etag) - 1, a->etag);
    else
        snprintf(etag, sizeof(etag), "%s", a->etag);
    evhttp_add_header(h, "ETag", etag);
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_add_header(h, "Vary", "Accept-Encoding");
    evhttp_add_header(h, "Content-Security-Policy", UI_CSP);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    if (ui_etag_matches(evhttp_find_header(in, "If-None-Match"), a->etag)) {
        rq_reply(rq, 304, NULL, NULL, 0, NULL);
        return;
    }
    if (gz) {
        evhttp_add_header(h, "Content-Encoding", "gzip");
        rq_reply(rq, 200, a->ctype, a->gz, a->gzlen, NULL);
    } else {
        rq_reply(rq, 200, a->ctype, a->body, a->len, NULL);
    }
}
