/* api/flight.c: a small chained hash map from string to job. */
#include "flight.h"

#include <stdlib.h>
#include <string.h>

#define NBUCKETS 64

struct entry {
    struct entry *next;
    void *job;
    char key[]; /* NUL-terminated */
};

struct flight {
    struct entry *buckets[NBUCKETS];
    size_t count;
};

static size_t hash_str(const char *s)
{
    size_t h = 5381;

    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h % NBUCKETS;
}

int flight_open(struct flight **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -1;
}

void flight_free(struct flight **f)
{
    size_t i;

    if (!f || !*f)
        return;
    for (i = 0; i < NBUCKETS; i++) {
        while ((*f)->buckets[i]) {
            struct entry *e = (*f)->buckets[i];
            (*f)->buckets[i] = e->next;
            free(e);
        }
    }
    free(*f);
    *f = NULL;
}

void *flight_get(const struct flight *f, const char *key)
{
    const struct entry *e;

    for (e = f->buckets[hash_str(key)]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e->job;
    return NULL;
}

int flight_put(struct flight *f, const char *key, void *job)
{
    size_t len = strlen(key), b = hash_str(key);
    struct entry *e = malloc(sizeof(*e) + len + 1);

    if (!e)
        return -1;
    memcpy(e->key, key, len + 1);
    e->job = job;
    e->next = f->buckets[b];
    f->buckets[b] = e;
    f->count++;
    return 0;
}

void flight_del(struct flight *f, const char *key)
{
    struct entry **pp = &f->buckets[hash_str(key)];

    while (*pp) {
        if (strcmp((*pp)->key, key) == 0) {
            struct entry *e = *pp;
            *pp = e->next;
            free(e);
            f->count--;
            return;
        }
        pp = &(*pp)->next;
    }
}

size_t flight_count(const struct flight *f)
{
    return f->count;
}
