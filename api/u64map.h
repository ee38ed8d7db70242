/* api/u64map.h: a growable hash map from a non-zero 64-bit key (a URL id) to a dense
 * index 0..n-1, for per-URL counters kept in parallel arrays. Not thread-safe. */
#ifndef URLMON_U64MAP_H
#define URLMON_U64MAP_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct u64map;

int u64map_open(size_t expected, struct u64map **out) MUSTCHECK;
void u64map_free(struct u64map **m);
/* The index of key, adding it as the next index (= the count before) when absent.
 * Returns 0, or -1 on OOM or key 0. */
int u64map_index(struct u64map *m, uint64_t key, size_t *index) MUSTCHECK;
/* 0 and the index when present, -1 when absent. */
int u64map_find(const struct u64map *m, uint64_t key, size_t *index) MUSTCHECK;
size_t u64map_count(const struct u64map *m);
/* Makes dst hold exactly the keys and indexes of src. Returns 0, or -1 on OOM (dst is
 * then empty). */
int u64map_assign(struct u64map *dst, const struct u64map *src) MUSTCHECK;
void u64map_clear(struct u64map *m);

#endif
