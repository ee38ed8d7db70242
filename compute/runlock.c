/* compute/runlock.c: see runlock.h. All statements are prepared. */
#include "runlock.h"

#include <mysqld_error.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* Times a statement is run when InnoDB picks it as a deadlock victim. */
#define RUNLOCK_DEADLOCK_TRIES 5

struct param {
    enum enum_field_types type;
    const void *buf;
    unsigned long len; /* strings */
};

/* Runs sql with params; *affected (may be NULL) receives the matched rows.
 *
 * Each statement is a transaction of its own (autocommit), so a deadlock victim is
 * simply run again, as InnoDB asks. Instances starting together deadlock on the
 * INSERT IGNORE when the shard's row was deleted and not yet purged: both take a
 * shared lock on the delete-marked record, then both wait to insert. */
static int run_stmt(MYSQL *conn, const char *sql, const struct param *p, unsigned np,
                    uint64_t *affected, char *err, size_t errlen)
{
    MYSQL_STMT *st = mysql_stmt_init(conn);
    MYSQL_BIND b[4];
    unsigned i, tries = 1;
    int rc = -1, ex;

    memset(b, 0, sizeof(b));
    for (i = 0; i < np && i < ARRAY_LEN(b); i++) {
        b[i].buffer_type = p[i].type;
        b[i].buffer = (void *)p[i].buf;
        if (p[i].type == MYSQL_TYPE_STRING) {
            b[i].buffer_length = p[i].len;
            b[i].length = (unsigned long *)&p[i].len;
        }
    }
    if (!st || mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0 ||
        mysql_stmt_bind_param(st, b) != 0) {
        snprintf(err, errlen, "run lock: %s", st ? mysql_stmt_error(st) : "out of memory");
        goto out;
    }
    while ((ex = mysql_stmt_execute(st)) != 0 && mysql_stmt_errno(st) == ER_LOCK_DEADLOCK &&
           tries < RUNLOCK_DEADLOCK_TRIES)
        tries++;
    if (ex != 0) {
        snprintf(err, errlen, "run lock: %s", mysql_stmt_error(st));
        goto out;
    }
    if (affected)
        *affected = (uint64_t)mysql_stmt_affected_rows(st);
    rc = 0;
out:
    if (st)
        mysql_stmt_close(st);
    return rc;
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
static int why_not(MYSQL *conn, const char *key, int64_t slot, enum runlock_state *st, char *err,
                   size_t errlen)
{
    struct param p[2] = {{MYSQL_TYPE_LONGLONG, &slot, 0}, {MYSQL_TYPE_STRING, key, strlen(key)}};
    uint64_t n = 0;

    /* A no-op UPDATE that matches only when the slot is done (CLIENT_FOUND_ROWS makes
     * matched rows count), which spares a result set. */
    if (run_stmt(
            conn,
            "UPDATE run_locks SET last_slot = last_slot WHERE last_slot >= ? AND shard_key = ?", p,
            2, &n, err, errlen) != 0)
        return -1;
    *st = n > 0 ? RUNLOCK_SLOT_DONE : RUNLOCK_BUSY;
    return 0;
}

int runlock_acquire(MYSQL *conn, const char *shard_key, const char *owner, int64_t slot,
                    enum runlock_state *st, char *err, size_t errlen)
{
    int lease = RUNLOCK_LEASE_SECONDS;
    struct param key = {MYSQL_TYPE_STRING, shard_key, strlen(shard_key)};
    struct param p[4] = {{MYSQL_TYPE_STRING, owner, strlen(owner)},
                         {MYSQL_TYPE_LONG, &lease, 0},
                         key,
                         {MYSQL_TYPE_LONGLONG, &slot, 0}};
    uint64_t n = 0;

    if (run_stmt(conn, "INSERT IGNORE INTO run_locks (shard_key) VALUES (?)", &key, 1, NULL, err,
                 errlen) != 0 ||
        run_stmt(conn,
                 "UPDATE run_locks SET owner = ?,"
                 " expires_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"
                 " WHERE shard_key = ? AND (owner IS NULL OR expires_at < UTC_TIMESTAMP(3))"
                 " AND (last_slot IS NULL OR last_slot < ?)",
                 p, 4, &n, err, errlen) != 0)
        return -1;
    if (n == 1) {
        *st = RUNLOCK_ACQUIRED;
        return 0;
    }
    return why_not(conn, shard_key, slot, st, err, errlen);
}

int runlock_renew(MYSQL *conn, const char *shard_key, const char *owner, bool *held, char *err,
                  size_t errlen)
{
    int lease = RUNLOCK_LEASE_SECONDS;
    struct param p[3] = {{MYSQL_TYPE_LONG, &lease, 0},
                         {MYSQL_TYPE_STRING, shard_key, strlen(shard_key)},
                         {MYSQL_TYPE_STRING, owner, strlen(owner)}};
    uint64_t n = 0;

    if (run_stmt(conn,
                 "UPDATE run_locks SET expires_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"
                 " WHERE shard_key = ? AND owner = ?",
                 p, 3, &n, err, errlen) != 0)
        return -1;
    *held = n == 1;
    return 0;
}

int runlock_release(MYSQL *conn, const char *shard_key, const char *owner, int64_t slot_done,
                    char *err, size_t errlen)
{
    struct param p[4] = {{MYSQL_TYPE_LONGLONG, &slot_done, 0},
                         {MYSQL_TYPE_LONGLONG, &slot_done, 0},
                         {MYSQL_TYPE_STRING, shard_key, strlen(shard_key)},
                         {MYSQL_TYPE_STRING, owner, strlen(owner)}};

    return run_stmt(conn,
                    "UPDATE run_locks SET owner = NULL, expires_at = NULL,"
                    " last_slot = IF(? >= 0, GREATEST(COALESCE(last_slot, -1), ?), last_slot)"
                    " WHERE shard_key = ? AND owner = ?",
                    p, 4, NULL, err, errlen);
}
