/* compute/runlock.c: see runlock.h. All statements are prepared. */
#include "runlock.h"

#include <mysqld_error.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "stmt.h"

/* Times a statement is run when InnoDB picks it as a deadlock victim. */
#define RUNLOCK_DEADLOCK_TRIES 5

/* stmt_run with the module named in the error; *affected (may be NULL) receives the
 * matched rows.
 *
 * Each statement is a transaction of its own (autocommit), so a deadlock victim is
 * simply run again, as InnoDB asks. Instances starting together deadlock on the
 * INSERT IGNORE when the shard's row was deleted and not yet purged: both take a
 * shared lock on the delete-marked record, then both wait to insert. */
static int run_stmt(MYSQL *conn, const char *sql, struct stmt_params *p, uint64_t *affected,
                    char *err, size_t errlen)
{
    struct stmt_result res = {0};
    char e[URLMON_ERRLEN];
    unsigned tries = 1;
    int ex;

    while ((ex = stmt_run(conn, sql, p, &res, e, sizeof(e))) != 0 &&
           res.err_no == ER_LOCK_DEADLOCK && tries < RUNLOCK_DEADLOCK_TRIES) {
        res.err_no = 0;
        tries++;
    }
    if (ex != 0) {
        snprintf(err, errlen, "run lock: %.200s", e);
        return -1;
    }
    if (affected)
        *affected = res.affected;
    return 0;
}

int runlock_token(char *buf, size_t len)
{
    unsigned char raw[RUNLOCK_TOKEN_LEN / 2];
    size_t i;

    if (len < RUNLOCK_TOKEN_LEN + 1 || getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -1;
    for (i = 0; i < sizeof(raw); i++)
        snprintf(buf + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Why the lease could not be taken: the slot is done, or someone holds it. */
static int why_not(MYSQL *conn, const char *key, int64_t slot, unsigned interval_s,
                   enum runlock_state *st, char *err, size_t errlen)
{
    struct stmt_params p;
    uint64_t n = 0;

    stmt_params_init(&p);
    stmt_param_i64(&p, &slot);
    stmt_param_u32(&p, &interval_s);
    stmt_param_str(&p, key);

    /* A no-op UPDATE that matches only when the slot is done (CLIENT_FOUND_ROWS makes
     * matched rows count), which spares a result set. */
    if (run_stmt(conn,
                 "UPDATE run_locks SET last_slot = last_slot WHERE last_slot >= ?"
                 " AND last_interval = ? AND shard_key = ?",
                 &p, &n, err, errlen) != 0)
        return -1;
    *st = n > 0 ? RUNLOCK_SLOT_DONE : RUNLOCK_BUSY;
    return 0;
}

/* The lease's UPDATE: free or expired; the slotted runs add "and this slot not done". */
#define LEASE_SQL                                                                                  \
    "UPDATE run_locks SET owner = ?, expires_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"            \
    " WHERE shard_key = ? AND (owner IS NULL OR expires_at < UTC_TIMESTAMP(3))"
static const char lease_sql[] = LEASE_SQL;
static const char lease_slot_sql[] =
    LEASE_SQL " AND (last_slot IS NULL OR NOT (last_interval <=> ?) OR last_slot < ?)";

/* Takes the shard's lease for owner; with slot (and interval_s) only while that slot is
 * not done. *got: whether it was taken. */
static int take_lease(MYSQL *conn, const char *shard_key, const char *owner,
                      const unsigned *interval_s, const int64_t *slot, bool *got, char *err,
                      size_t errlen)
{
    int lease = RUNLOCK_LEASE_SECONDS;
    struct stmt_params key, p;
    uint64_t n = 0;

    stmt_params_init(&key);
    stmt_param_str(&key, shard_key);
    stmt_params_init(&p);
    stmt_param_str(&p, owner);
    stmt_param_int(&p, &lease);
    stmt_param_str(&p, shard_key);
    if (slot) {
        stmt_param_u32(&p, interval_s);
        stmt_param_i64(&p, slot);
    }
    if (run_stmt(conn, "INSERT IGNORE INTO run_locks (shard_key) VALUES (?)", &key, NULL, err,
                 errlen) != 0 ||
        run_stmt(conn, slot ? lease_slot_sql : lease_sql, &p, &n, err, errlen) != 0)
        return -1;
    *got = n == 1;
    return 0;
}

int runlock_acquire(MYSQL *conn, const char *shard_key, const char *owner, int64_t slot,
                    unsigned interval_s, enum runlock_state *st, char *err, size_t errlen)
{
    bool got = false;

    if (take_lease(conn, shard_key, owner, &interval_s, &slot, &got, err, errlen) != 0)
        return -1;
    if (got) {
        *st = RUNLOCK_ACQUIRED;
        return 0;
    }
    return why_not(conn, shard_key, slot, interval_s, st, err, errlen);
}

int runlock_acquire_service(MYSQL *conn, const char *shard_key, const char *owner, bool *got,
                            char *err, size_t errlen)
{
    return take_lease(conn, shard_key, owner, NULL, NULL, got, err, errlen);
}

int runlock_renew(MYSQL *conn, const char *shard_key, const char *owner, bool *held, char *err,
                  size_t errlen)
{
    int lease = RUNLOCK_LEASE_SECONDS;
    struct stmt_params p;
    uint64_t n = 0;

    stmt_params_init(&p);
    stmt_param_int(&p, &lease);
    stmt_param_str(&p, shard_key);
    stmt_param_str(&p, owner);
    if (run_stmt(conn,
                 "UPDATE run_locks SET expires_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"
                 " WHERE shard_key = ? AND owner = ?",
                 &p, &n, err, errlen) != 0)
        return -1;
    *held = n == 1;
    return 0;
}

int runlock_release(MYSQL *conn, const char *shard_key, const char *owner, int64_t slot_done,
                    unsigned interval_s, char *err, size_t errlen)
{
    struct stmt_params p;

    stmt_params_init(&p);
    stmt_param_i64(&p, &slot_done);
    stmt_param_u32(&p, &interval_s);
    stmt_param_i64(&p, &slot_done);
    stmt_param_i64(&p, &slot_done);
    stmt_param_i64(&p, &slot_done);
    stmt_param_u32(&p, &interval_s);
    stmt_param_str(&p, shard_key);
    stmt_param_str(&p, owner);
    /* slots count in units of their interval: a slot recorded under another interval
     * is replaced, never compared (SET assigns left to right: last_slot reads the old
     * last_interval) */
    return run_stmt(conn,
                    "UPDATE run_locks SET owner = NULL, expires_at = NULL,"
                    " last_slot = IF(? >= 0, IF(last_interval <=> ?,"
                    " GREATEST(COALESCE(last_slot, -1), ?), ?), last_slot),"
                    " last_interval = IF(? >= 0, ?, last_interval)"
                    " WHERE shard_key = ? AND owner = ?",
                    &p, NULL, err, errlen);
}
