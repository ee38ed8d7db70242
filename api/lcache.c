/* api/lcache.c: a small chained hash map from key to (body, expiry). */
#include "lcache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 64

struct entry {
    struct entry *next;
    int64_t expires_ms;
    size_t keylen, len;
    char data[]; /* key, NUL, body */
};

struct lcache {
    struct entry *buckets[NBUCKETS];
    size_t count, bytes, max_entries, max_bytes;
};

static size_t hash_mem(const char *s, size_t len)
{
    size_t h = 5381, i;

    for (i = 0; i < len; i++)
        h = h * 33 + (unsigned char)s[i];
    return h % NBUCKETS;
}

static size_t entry_bytes(const struct entry *e)
{
    return e->keylen + e->len;
}

static char *entry_body(struct entry *e)
{
    return e->data + e->keylen + 1;
}

/* One more entry of need bytes (key + body) stays within the bounds. */
static bool fits(const struct lcache *lc, size_t need)
{
    return lc->count < lc->max_entries && lc->bytes + need <= lc->max_bytes;
}

int lcache_open(size_t max_entries, size_t max_bytes, struct lcache **out)
{
    struct lcache *lc = calloc(1, sizeof(*lc));

    *out = lc;
    if (!lc)
        return -1;
    lc->max_entries = max_entries;
    lc->max_bytes = max_bytes;
    return 0;
}

void lcache_clear(struct lcache *lc)
{
    size_t i;

    for (i = 0; i < NBUCKETS; i++) {
        while (lc->buckets[i]) {
            struct entry *e = lc->buckets[i];
            lc->buckets[i] = e->next;
            free(e);
        }
    }
    lc->count = 0;
    lc->bytes = 0;
}

void lcache_free(struct lcache **lc)
{
    if (!lc || !*lc)
        return;
    lcache_clear(*lc);
    free(*lc);
    *lc = NULL;
}

/* The link pointing at key's entry (or at the NULL ending its bucket). */
static struct entry **find(struct lcache *lc, const char *key, size_t keylen)
{
    struct entry **pp = &lc->buckets[hash_mem(key, keylen)];

    while (*pp && ((*pp)->keylen != keylen || memcmp((*pp)->data, key, keylen) != 0))
        pp = &(*pp)->next;
    return pp;
}

static void unlink_entry(struct lcache *lc, struct entry **pp)
{
    struct entry *e = *pp;

    *pp = e->next;
    lc->count--;
    lc->bytes -= entry_bytes(e);
    free(e);
}

const char *lcache_get(struct lcache *lc, const char *key, int64_t now_ms, size_t *len)
{
    struct entry **pp = find(lc, key, strlen(key));

    if (!*pp)
        return NULL;
    if (now_ms >= (*pp)->expires_ms) {
        unlink_entry(lc, pp);
        return NULL;
    }
    *len = (*pp)->len;
    return entry_body(*pp);
}

static void drop_expired(struct lcache *lc, int64_t now_ms)
{
    size_t i;

    for (i = 0; i < NBUCKETS; i++) {
        struct entry **pp = &lc->buckets[i];
        while (*pp) {
            if (now_ms >= (*pp)->expires_ms)
                unlink_entry(lc, pp);
            else
                pp = &(*pp)->next;
        }
    }
}

int lcache_put(struct lcache *lc, const char *key, const char *body, size_t len, int64_t expires_ms,
               int64_t now_ms)
{
    size_t keylen = strlen(key);
    struct entry **pp, *e;

    lcache_drop(lc, key, keylen);
    if (now_ms >= expires_ms || keylen + len > lc->max_bytes)
        return 1;
    if (!fits(lc, keylen + len))
        drop_expired(lc, now_ms);
    if (!fits(lc, keylen + len))
        return 1;
    if (!(e = malloc(sizeof(*e) + keylen + 1 + len)))
        return -1;
    memcpy(e->data, key, keylen + 1);
    e->keylen = keylen;
    if (len)
        memcpy(entry_body(e), body, len);
    e->len = len;
    e->expires_ms = expires_ms;
    pp = find(lc, key, keylen); /* the end of key's bucket: it was dropped above */
    e->next = NULL;
    *pp = e;
    lc->count++;
    lc->bytes += entry_bytes(e);
    return 0;
}

void lcache_drop(struct lcache *lc, const char *key, size_t keylen)
{
    struct entry **pp = find(lc, key, keylen);

    if (*pp)
        unlink_entry(lc, pp);
}

size_t lcache_count(const struct lcache *lc)
{
    return lc->count;
}

size_t lcache_bytes(const struct lcache *lc)
{
    return lc->bytes;
}
