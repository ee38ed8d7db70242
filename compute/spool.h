/* compute/spool.h: result batches parked on disk while MySQL is unreachable.
 *
 * Each file carries the install id of its database (a random id stored in the schema at
 * migrate): a replay only takes files of its own database and leaves others in place
 * with a warning, so two instances sharing a folder cannot mix their results.
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

#define SPOOL_ID_LEN 32 /* the database's install id (install table), hex */
#define SPOOL_FOREIGN 1 /* spool_read: the file names no database (format 1) */

struct spool_batch {
    char install_id[SPOOL_ID_LEN + 1]; /* whose database the rows belong to */
    uint64_t run_id;
    uint32_t batch_no;
    size_t n;
    struct check_result *rows; /* malloc'd; spool_batch_clear frees */
};

/* Creates dir (and parents) when missing, then writes the batch, stamped with
 * install_id (the database it belongs to). */
int spool_write(const char *dir, const char *install_id, uint64_t run_id, uint32_t batch_no,
                const struct check_result *r, size_t n, char *err, size_t errlen) MUSTCHECK;
/* 0, -1 (damaged; err), or SPOOL_FOREIGN (a format-1 file: no identity; err). The
 * caller compares b->install_id with its database's before replaying. */
int spool_read(const char *path, struct spool_batch *b, char *err, size_t errlen) MUSTCHECK;
void spool_batch_clear(struct spool_batch *b);

/* The spool files in dir in replay order, as malloc'd full paths (*paths NULL and
 * *n 0 when the directory is missing or empty). */
int spool_list(const char *dir, char ***paths, size_t *n, char *err, size_t errlen) MUSTCHECK;
void spool_list_free(char ***paths, size_t n);

/* SPOOL_DIR left empty: a folder per database, never shared with other users:
 * $STATE_DIRECTORY/spool-<host>-<port>-<db> under systemd, else
 * $TMPDIR/urlmon-<uid>/spool-<host>-<port>-<db> (both levels 0700, owner checked). */
int spool_default_dir(const char *db_address, unsigned db_port, const char *db_name, char *out,
                      size_t outlen, char *err, size_t errlen) MUSTCHECK;

#endif
