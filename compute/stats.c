/* compute/stats.c: a log-linear histogram of milliseconds. See stats.h. */
#include "stats.h"

#include <stdlib.h>

#define EXACT 1024u   /* values below are their own bucket */
#define SUB_BITS 6u   /* 64 sub-buckets per power of two above EXACT */
#define FIRST_EXP 10u /* log2(EXACT) */
#define LAST_EXP 31u  /* uint32_t values */
#define NBUCKETS (EXACT + (LAST_EXP - FIRST_EXP + 1) * (1u << SUB_BITS))

struct stats_hist {
    uint64_t count;
    uint64_t buckets[NBUCKETS];
};

int stats_hist_new(struct stats_hist **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -1;
}

void stats_hist_free(struct stats_hist **h)
{
    if (h && *h) {
        free(*h);
        *h = NULL;
    }
}

static unsigned bucket_of(uint32_t v)
{
    unsigned e;

    if (v < EXACT)
        return v;
    e = 31u - (unsigned)__builtin_clz(v); /* FIRST_EXP..LAST_EXP */
    return EXACT + (e - FIRST_EXP) * (1u << SUB_BITS) +
           ((v >> (e - SUB_BITS)) & ((1u << SUB_BITS) - 1u));
}

/* A representative value of bucket b: the middle of its range. */
static uint32_t value_of(unsigned b)
{
    unsigned e, sub;
    uint64_t lo, width;

    if (b < EXACT)
        return b;
    e = FIRST_EXP + (b - EXACT) / (1u << SUB_BITS);
    sub = (b - EXACT) % (1u << SUB_BITS);
    width = (uint64_t)1 << (e - SUB_BITS);
    lo = ((uint64_t)1 << e) + (uint64_t)sub * width;
    return (uint32_t)(lo + (width - 1) / 2);
}

void stats_hist_add(struct stats_hist *h, uint32_t ms)
{
    h->buckets[bucket_of(ms)]++;
    h->count++;
}

uint64_t stats_hist_count(const struct stats_hist *h)
{
    return h->count;
}

int stats_hist_percentile(const struct stats_hist *h, double p, uint32_t *out)
{
    uint64_t rank, seen = 0, hundredths;
    unsigned b;

    if (h->count == 0 || !(p > 0.0) || p > 100.0)
        return -1;
    /* ceil(p / 100 * count) in integers, with p to 1/100 of a percent */
    hundredths = (uint64_t)(p * 100.0 + 0.5);
    rank = (hundredths * h->count + 9999u) / 10000u;
    if (rank < 1)
        rank = 1;
    for (b = 0; b < NBUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            *out = value_of(b);
            return 0;
        }
    }
    return -1; /* not reached: the buckets sum to count */
}
