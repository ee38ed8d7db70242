/* compute/spool.h: result batches parked on disk while MySQL is unreachable.
 *
 * One file per batch, named batch-<run_id>-<batch_no>.spool (zero-padded, so name
 * order is run order then batch order). spool_write writes a temporary file, fsyncs
 * it, renames it into place and fsyncs the directory: a file that exists is complete.
 * The batch keeps its run_id and batch_no, so replaying it goes through the same
 * exactly-once check (result_batches) as a direct write. The format is versioned
 * binary with explicit little-endian fields; a file that does not parse is reported,
 * never replayed. */
#ifndef URLMON_SPOOL_H
#define URLMON_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "common.h"

struct spool_batch {
    uint64_t run_id;
    uint32_t batch_no;
    size_t n;
    struct check_result *rows; /* malloc'd; spool_batch_clear frees */
};

/* Creates dir (and parents) when missing, then writes the batch. */
int spool_write(const char *dir, uint64_t run_id, uint32_t batch_no, const struct check_result *r,
                size_t n, char *err, size_t errlen) MUSTCHECK;
int spool_read(const char *path, struct spool_batch *b, char *err, size_t errlen) MUSTCHECK;
void spool_batch_clear(struct spool_batch *b);

/* The spool files in dir in replay order, as malloc'd full paths (*paths NULL and
 * *n 0 when the directory is missing or empty). */
int spool_list(const char *dir, char ***paths, size_t *n, char *err, size_t errlen) MUSTCHECK;
void spool_list_free(char ***paths, size_t n);

#endif
