/* api/ptrmap.c: pointer-keyed open-addressing hash map. */
#include "ptrmap.h"

#include <stdint.h>
#include <stdlib.h>

struct slot {
    const void *key; /* NULL = empty */
    void *val;
};

struct ptrmap {
    struct slot *slots;
    size_t mask;  /* capacity - 1, capacity a power of two */
    size_t count; /* keys stored */
    size_t max;   /* keys allowed */
};

static size_t hash_ptr(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;

    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)x;
}

int ptrmap_open(size_t max_entries, struct ptrmap **out)
{
    struct ptrmap *m = NULL;
    size_t cap = 16;

    *out = NULL;
    if (max_entries == 0 || max_entries > SIZE_MAX / 4 / sizeof(struct slot))
        return -1;
    while (cap < max_entries * 2)
        cap *= 2;
    if (!(m = calloc(1, sizeof(*m))))
        return -1;
    if (!(m->slots = calloc(cap, sizeof(*m->slots)))) {
        free(m);
        return -1;
    }
    m->mask = cap - 1;
    m->max = max_entries;
    *out = m;
    return 0;
}

void ptrmap_free(struct ptrmap **m)
{
    if (!m || !*m)
        return;
    free((*m)->slots);
    free(*m);
    *m = NULL;
}

static size_t find(const struct ptrmap *m, const void *key)
{
    size_t i = hash_ptr(key) & m->mask;

    while (m->slots[i].key && m->slots[i].key != key)
        i = (i + 1) & m->mask;
    return i;
}

int ptrmap_put(struct ptrmap *m, const void *key, void *val)
{
    size_t i;

    if (!key)
        return -1;
    i = find(m, key);
    if (!m->slots[i].key) {
        if (m->count >= m->max)
            return -1;
        m->slots[i].key = key;
        m->count++;
    }
    m->slots[i].val = val;
    return 0;
}

void *ptrmap_get(const struct ptrmap *m, const void *key)
{
    size_t i;

    if (!key)
        return NULL;
    i = find(m, key);
    return m->slots[i].key ? m->slots[i].val : NULL;
}

void *ptrmap_del(struct ptrmap *m, const void *key)
{
    size_t i, j;
    void *val;

    if (!key)
        return NULL;
    i = find(m, key);
    if (!m->slots[i].key)
        return NULL;
    val = m->slots[i].val;
    /* Backward shift: pull later entries of the cluster into the hole when their home
     * slot does not lie cyclically in (hole, j]. */
    j = i;
    for (;;) {
        size_t home;
        j = (j + 1) & m->mask;
        if (!m->slots[j].key)
            break;
        home = hash_ptr(m->slots[j].key) & m->mask;
        if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = NULL;
    m->slots[i].val = NULL;
    m->count--;
    return val;
}

size_t ptrmap_count(const struct ptrmap *m)
{
    return m->count;
}
