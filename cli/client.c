/* cli/client.c: see client.h. */
#include "client.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_S 5L
#define TIMEOUT_S 60L

struct client {
    CURL *curl;
    char *base; /* without a trailing slash */
    char *auth; /* "Authorization: Bearer ..." or NULL */
};

struct buf {
    char *data;
    size_t len, cap;
    bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t add = size * n;

    if (b->len + add > CLIENT_MAX_BODY) {
        b->too_big = true;
        return 0;
    }
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *d;
        while (cap < b->len + add + 1)
            cap *= 2;
        if (!(d = realloc(b->data, cap)))
            return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

int client_open(const char *base, const char *token, struct client **out, char *err, size_t errlen)
{
    struct client *c = NULL;
    size_t n;
    int rc = -1;

    *out = NULL;
    if (!base || !*base)
        base = CLIENT_DEFAULT_API;
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
        snprintf(err, errlen, "URLMON_API: \"%.100s\" is not an http:// or https:// URL", base);
        goto out;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c = calloc(1, sizeof(*c))) ||
        !(c->curl = curl_easy_init()) || !(c->base = strdup(base))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    n = strlen(c->base);
    while (n > 0 && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    if (token && *token) {
        size_t len = strlen(token) + sizeof("Authorization: Bearer ");
        if (!(c->auth = malloc(len))) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        snprintf(c->auth, len, "Authorization: Bearer %s", token);
    }
    *out = c;
    c = NULL;
    rc = 0;
out:
    client_free(&c);
    return rc;
}

void client_free(struct client **c)
{
    if (!c || !*c)
        return;
    if ((*c)->curl)
        curl_easy_cleanup((*c)->curl);
    if ((*c)->auth) {
        memset((*c)->auth, 0, strlen((*c)->auth)); /* the token */
        free((*c)->auth);
    }
    free((*c)->base);
    free(*c);
    *c = NULL;
}

const char *client_base(const struct client *c)
{
    return c->base;
}

int client_request(struct client *c, const char *method, const char *path, const char *ctype,
                   const char *body, long *status, char **resp, char *err, size_t errlen)
{
    struct curl_slist *headers = NULL, *h;
    struct buf b = {NULL, 0, 0, false};
    char *url = NULL, ctbuf[128];
    size_t len = strlen(c->base) + strlen(path) + 1;
    CURLcode cc;
    int rc = -1;

    *status = 0;
    *resp = NULL;
    if (!(url = malloc(len))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    snprintf(url, len, "%s%s", c->base, path);
    if (c->auth && !(headers = curl_slist_append(headers, c->auth)))
        goto oom;
    if (body && ctype) {
        snprintf(ctbuf, sizeof(ctbuf), "Content-Type: %s", ctype);
        if (!(h = curl_slist_append(headers, ctbuf)))
            goto oom;
        headers = h;
    }
    if (!(h = curl_slist_append(headers, "Accept: application/json")))
        goto oom;
    headers = h;
    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, TIMEOUT_S);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "urlmon/" URLMON_VERSION);
    if (body) {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c->curl, CURLOPT_NOBODY, 1L);
    if ((cc = curl_easy_perform(c->curl)) != CURLE_OK) {
        snprintf(err, errlen, "cannot reach the API at %.200s: %s%s", c->base,
                 curl_easy_strerror(cc), b.too_big ? " (answer over 64 MiB)" : "");
        goto out;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
    if (!b.data && !(b.data = calloc(1, 1)))
        goto oom;
    *resp = b.data;
    b.data = NULL;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    curl_slist_free_all(headers);
    free(b.data);
    free(url);
    return rc;
}
