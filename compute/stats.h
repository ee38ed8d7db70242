/* compute/stats.h: response-time percentiles from a fixed-size histogram.
 *
 * Memory does not grow with the number of values: 0..1023 ms are counted exactly,
 * larger values in 64 logarithmic sub-buckets per power of two (error under 1.6 %).
 * Not thread-safe: one owner (the writer thread) adds values. */
#ifndef URLMON_STATS_H
#define URLMON_STATS_H

#include <stdint.h>

#include "common.h"

struct stats_hist;

int stats_hist_new(struct stats_hist **out) MUSTCHECK;
void stats_hist_free(struct stats_hist **h);
void stats_hist_add(struct stats_hist *h, uint32_t ms);
uint64_t stats_hist_count(const struct stats_hist *h);
/* The nearest-rank percentile p (0 < p <= 100): the smallest recorded value (to the
 * bucket's precision) such that at least p % of the values are <= it. Returns 0, or
 * -1 when the histogram is empty or p is out of range. */
int stats_hist_percentile(const struct stats_hist *h, double p, uint32_t *out) MUSTCHECK;

#endif
