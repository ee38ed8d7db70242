/* api/ptrmap.h: a fixed-capacity hash map from pointer to pointer.
 *
 * Open addressing with linear probing and backward-shift deletion; no allocation
 * after ptrmap_open. The server maps each evhttp connection to its bookkeeping with
 * it, so lookups stay O(1) at any number of connections. Not thread-safe. */
#ifndef URLMON_PTRMAP_H
#define URLMON_PTRMAP_H

#include <stddef.h>

#include "common.h"

struct ptrmap;

/* Room for at least max_entries keys (the table is sized at twice that, or more). */
int ptrmap_open(size_t max_entries, struct ptrmap **out) MUSTCHECK;
void ptrmap_free(struct ptrmap **m);
/* Adds or replaces key (never NULL); -1 when max_entries are already stored. */
int ptrmap_put(struct ptrmap *m, const void *key, void *val) MUSTCHECK;
/* The value, or NULL when key is absent. */
void *ptrmap_get(const struct ptrmap *m, const void *key);
/* Removes key and returns its value (NULL when absent). */
void *ptrmap_del(struct ptrmap *m, const void *key);
size_t ptrmap_count(const struct ptrmap *m);

#endif
