/* api/u64map.c: open addressing, linear probing, doubling at 50% load. */
#include "u64map.h"

#include <stdlib.h>
#include <string.h>

struct slot {
    uint64_t key; /* 0 = empty */
    size_t index;
};

struct u64map {
    struct slot *slots;
    size_t mask, count;
};

static size_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)x;
}

static int alloc_slots(struct u64map *m, size_t cap)
{
    if (!(m->slots = calloc(cap, sizeof(*m->slots))))
        return -1;
    m->mask = cap - 1;
    return 0;
}

int u64map_open(size_t expected, struct u64map **out)
{
    struct u64map *m = calloc(1, sizeof(*m));
    size_t cap = 64;

    *out = NULL;
    if (!m)
        return -1;
    while (cap < expected * 2 && cap < ((size_t)1 << 40))
        cap *= 2;
    if (alloc_slots(m, cap) != 0) {
        free(m);
        return -1;
    }
    *out = m;
    return 0;
}

void u64map_free(struct u64map **m)
{
    if (!m || !*m)
        return;
    free((*m)->slots);
    free(*m);
    *m = NULL;
}

static struct slot *probe(const struct u64map *m, uint64_t key)
{
    size_t i = hash64(key) & m->mask;

    while (m->slots[i].key && m->slots[i].key != key)
        i = (i + 1) & m->mask;
    return &m->slots[i];
}

static int grow(struct u64map *m)
{
    struct slot *old = m->slots;
    size_t oldcap = m->mask + 1, i;

    if (alloc_slots(m, oldcap * 2) != 0) {
        m->slots = old;
        return -1;
    }
    for (i = 0; i < oldcap; i++)
        if (old[i].key)
            *probe(m, old[i].key) = old[i];
    free(old);
    return 0;
}

int u64map_index(struct u64map *m, uint64_t key, size_t *index)
{
    struct slot *s;

    if (key == 0)
        return -1;
    s = probe(m, key);
    if (!s->key) {
        if ((m->count + 1) * 2 > m->mask + 1) {
            if (grow(m) != 0)
                return -1;
            s = probe(m, key);
        }
        s->key = key;
        s->index = m->count++;
    }
    *index = s->index;
    return 0;
}

int u64map_find(const struct u64map *m, uint64_t key, size_t *index)
{
    const struct slot *s;

    if (key == 0)
        return -1;
    s = probe(m, key);
    if (!s->key)
        return -1;
    *index = s->index;
    return 0;
}

size_t u64map_count(const struct u64map *m)
{
    return m->count;
}

void u64map_clear(struct u64map *m)
{
    size_t i;

    for (i = 0; i <= m->mask; i++)
        m->slots[i].key = 0;
    m->count = 0;
}

int u64map_assign(struct u64map *dst, const struct u64map *src)
{
    if (dst->mask != src->mask) {
        struct slot *old = dst->slots;
        if (alloc_slots(dst, src->mask + 1) != 0) {
            dst->slots = old;
            u64map_clear(dst);
            return -1;
        }
        free(old);
    }
    memcpy(dst->slots, src->slots, (src->mask + 1) * sizeof(*src->slots));
    dst->count = src->count;
    return 0;
}
