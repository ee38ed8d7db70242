/* compute/runlock.h: one run per shard at a time, as a lease in MySQL (run_locks).
 *
 * A row per shard ("K/N") holds the owner token, the lease expiry and the last slot a
 * run completed. runlock_acquire takes the lease with one conditional UPDATE (row
 * locked by InnoDB, so of two instances starting together exactly one matches):
 * free or expired, and last_slot below the current slot. The holder renews it
 * (runlock_renew, every RUNLOCK_RENEW_SECONDS) and releases it at the end, recording
 * the slot as done. A slot is floor(time / interval): slots of different intervals are
 * different units, so the interval is recorded with it (last_interval) and a slot is
 * only ever compared with one of the same interval; a run under another interval
 * replaces the record. A crashed holder's lease expires after RUNLOCK_LEASE_SECONDS.
 * All times are the database's clock (UTC_TIMESTAMP), so instances need not agree
 * on the time. Works without Redis. */
#ifndef URLMON_RUNLOCK_H
#define URLMON_RUNLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <mysql.h>

#include "common.h"

#define RUNLOCK_LEASE_SECONDS 90
#define RUNLOCK_RENEW_SECONDS 30
#define RUNLOCK_TOKEN_LEN 32 /* hex characters */

enum runlock_state {
    RUNLOCK_ACQUIRED,  /* we hold the lease */
    RUNLOCK_BUSY,      /* another live owner holds it: a run is in progress */
    RUNLOCK_SLOT_DONE, /* a run of this shard already completed this slot */
};

/* A random owner token (RUNLOCK_TOKEN_LEN hex characters + NUL; buf >= 33 bytes). */
int runlock_token(char *buf, size_t len) MUSTCHECK;

int runlock_acquire(MYSQL *conn, const char *shard_key, const char *owner, int64_t slot,
                    unsigned interval_s, enum runlock_state *st, char *err,
                    size_t errlen) MUSTCHECK;
/* The service mode (service.h) holds the lease for as long as it runs, whatever the
 * slots: taken when free or expired (*got), then renewed like a run's. A one-shot
 * run of the same shard meanwhile says "run already in progress". */
int runlock_acquire_service(MYSQL *conn, const char *shard_key, const char *owner, bool *got,
                            char *err, size_t errlen) MUSTCHECK;
/* Extends the lease; *held = false when it is no longer ours (expired and taken). */
int runlock_renew(MYSQL *conn, const char *shard_key, const char *owner, bool *held, char *err,
                  size_t errlen) MUSTCHECK;
/* Frees the lease; slot_done >= 0 is recorded as the last completed slot (of interval_s). */
int runlock_release(MYSQL *conn, const char *shard_key, const char *owner, int64_t slot_done,
                    unsigned interval_s, char *err, size_t errlen) MUSTCHECK;

#endif
