/* compute/partconv.c: see partconv.h. */
#include "partconv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "partition.h"
#include "stmt.h"

#define CONV_LOCK "urlmon_partconv"
#define OLD_NAME "checks_unpartitioned"
#define MAX_RETRIES 20
#define DDL_LOCK_WAIT_S "3"
#define DDL_TRIES 300

/* The primary key (url_id, checked_at, run_id), migration 6: the copy's order. */
#define PK_MATCH "url_id = OLD.url_id AND checked_at = OLD.checked_at AND run_id = OLD.run_id"
/* rows after the cursor (?, ?, ?) in key order; the expanded form every optimizer turns
 * into ranges of the primary key (a row constructor comparison is not always) */
#define AFTER                                                                                      \
    "(url_id > ? OR (url_id = ? AND checked_at > ?) OR (url_id = ? AND checked_at = ?"             \
    " AND run_id > ?))"
#define UPTO                                                                                       \
    "(url_id < ? OR (url_id = ? AND checked_at < ?) OR (url_id = ? AND checked_at = ?"             \
    " AND run_id <= ?))"

struct key {
    uint64_t url_id, run_id;
    char at[40]; /* checked_at as text, microseconds */
    bool set;
};

struct conv {
    MYSQL *conn;
    char cols[2048]; /* `a`, `b`, ... */
    char news[2048]; /* NEW.`a`, NEW.`b`, ... */
    char *err;
    size_t errlen;
};

/* Runs a statement; one that timed out waiting for a metadata lock (the session waits
 * DDL_LOCK_WAIT_S: a DDL statement waiting for a long read makes every new statement on
 * checks queue behind it, so it rather gives way and tries again) is retried. */
static int exec(struct conv *c, const char *what, const char *sql)
{
    char e[URLMON_ERRLEN];
    unsigned tries;

    for (tries = 0;; tries++) {
        if (db_exec(c->conn, sql, e, sizeof(e)) == 0)
            return 0;
        if (mysql_errno(c->conn) != 1205 || tries >= DDL_TRIES)
            break;
        log_warn("partition-checks: %s: waiting for a long transaction on checks", what);
        sleep(1);
    }
    snprintf(c->err, c->errlen, "%s: %.200s", what, e);
    return -1;
}

static int one_u64(struct conv *c, const char *sql, struct stmt_params *p, uint64_t *out)
{
    struct stmt_result res = {0};

    res.want_first = true;
    if (stmt_run(c->conn, sql, p, &res, c->err, c->errlen) != 0)
        return -1;
    *out = res.first;
    return 0;
}

static int col_row(void *arg, const struct stmt_row *row, char *err, size_t errlen)
{
    struct conv *c = arg;
    const char *name = row->val[0] ? row->val[0] : "";
    size_t i, lc = strlen(c->cols), ln = strlen(c->news);
    int n1, n2;

    for (i = 0; name[i]; i++)
        if (!(isalnum((unsigned char)name[i]) || name[i] == '_')) {
            snprintf(err, errlen, "checks has a column named '%.64s': not converted", name);
            return -1;
        }
    n1 = snprintf(c->cols + lc, sizeof(c->cols) - lc, "%s`%s`", lc ? ", " : "", name);
    n2 = snprintf(c->news + ln, sizeof(c->news) - ln, "%sNEW.`%s`", ln ? ", " : "", name);
    if (!*name || n1 < 0 || (size_t)n1 >= sizeof(c->cols) - lc || n2 < 0 ||
        (size_t)n2 >= sizeof(c->news) - ln) {
        snprintf(err, errlen, "too many columns in checks");
        return -1;
    }
    return 0;
}

static int read_columns(struct conv *c)
{
    static const char sql[] =
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
        " AND TABLE_NAME = 'checks' AND EXTRA NOT LIKE '%GENERATED%' ORDER BY ORDINAL_POSITION";
    MYSQL_STMT *st = NULL;
    int rc = -1;

    c->cols[0] = c->news[0] = '\0';
    if (stmt_prepare(c->conn, sql, &st, c->err, c->errlen) != 0 ||
        stmt_execute(st, NULL, 0, c->err, c->errlen) != 0 ||
        stmt_fetch_rows(st, col_row, c, c->err, c->errlen) != 0)
        goto out;
    rc = c->cols[0] ? 0 : -1;
    if (rc)
        snprintf(c->err, c->errlen, "checks has no columns");
out:
    stmt_close(&st);
    return rc;
}

/* Removes what a conversion adds to checks (the triggers first: then no write goes to
 * checks_new any more). */
static int undo(struct conv *c)
{
    return exec(c, "dropping the mirror triggers", "DROP TRIGGER IF EXISTS checks_pc_ins") ||
           exec(c, "dropping the mirror triggers", "DROP TRIGGER IF EXISTS checks_pc_upd") ||
           exec(c, "dropping the mirror triggers", "DROP TRIGGER IF EXISTS checks_pc_del") ||
           exec(c, "dropping checks_new", "DROP TABLE IF EXISTS checks_new");
}

static int create_new(struct conv *c, int64_t now_s, unsigned raw_days)
{
    char sql[16384];
    uint64_t oldest = 0, any = 0;
    int64_t first = now_s - (int64_t)raw_days * PARTITION_DAY_S;

    if (one_u64(c, "SELECT COUNT(*) FROM (SELECT 1 FROM checks LIMIT 1) t", NULL, &any) != 0)
        return -1;
    if (any && one_u64(c,
                       "SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', MIN(checked_at))"
                       " FROM checks",
                       NULL, &oldest) != 0)
        return -1;
    if (!any || (int64_t)oldest > first)
        first = any ? (int64_t)oldest : now_s;
    if ((int64_t)oldest > now_s)
        first = now_s;
    memcpy(sql, "ALTER TABLE checks_new ", 23);
    if (partition_clause(first, now_s + PARTITION_AHEAD_DAYS * PARTITION_DAY_S, sql + 23,
                         sizeof(sql) - 23) != 0) {
        snprintf(c->err, c->errlen, "partition statement too long");
        return -1;
    }
    return exec(c, "creating checks_new", "CREATE TABLE checks_new LIKE checks") ||
           exec(c, "partitioning checks_new", sql);
}

static int create_triggers(struct conv *c)
{
    char sql[8192];

    snprintf(sql, sizeof(sql),
             "CREATE TRIGGER checks_pc_ins AFTER INSERT ON checks FOR EACH ROW"
             " INSERT IGNORE INTO checks_new (%s) VALUES (%s)",
             c->cols, c->news);
    if (exec(c, "creating the INSERT mirror trigger (needs the TRIGGER privilege)", sql) != 0)
        return -1;
    snprintf(sql, sizeof(sql),
             "CREATE TRIGGER checks_pc_upd AFTER UPDATE ON checks FOR EACH ROW BEGIN"
             " DELETE FROM checks_new WHERE " PK_MATCH "; REPLACE INTO checks_new (%s) VALUES (%s);"
             " END",
             c->cols, c->news);
    if (exec(c, "creating the UPDATE mirror trigger", sql) != 0)
        return -1;
    return exec(c, "creating the DELETE mirror trigger",
                "CREATE TRIGGER checks_pc_del AFTER DELETE ON checks FOR EACH ROW"
                " DELETE FROM checks_new WHERE " PK_MATCH);
}

static int key_row(void *arg, const struct stmt_row *row, char *err, size_t errlen)
{
    struct key *k = arg;

    (void)err;
    (void)errlen;
    k->url_id = row->val[0] ? strtoull(row->val[0], NULL, 10) : 0;
    snprintf(k->at, sizeof(k->at), "%s", row->val[1] ? row->val[1] : "");
    k->run_id = row->val[2] ? strtoull(row->val[2], NULL, 10) : 0;
    k->set = true;
    return 0;
}

static void bind_key(struct stmt_params *p, const struct key *k)
{
    stmt_param_u64(p, &k->url_id);
    stmt_param_u64(p, &k->url_id);
    stmt_param_str(p, k->at);
    stmt_param_u64(p, &k->url_id);
    stmt_param_str(p, k->at);
    stmt_param_u64(p, &k->run_id);
}

/* The key of the last row of the next chunk after cur; end->set false = fewer rows left. */
static int chunk_end(struct conv *c, const struct key *cur, struct key *end)
{
    char sql[512];
    MYSQL_STMT *st = NULL;
    struct stmt_params p;
    int rc = -1;

    snprintf(sql, sizeof(sql),
             "SELECT url_id, DATE_FORMAT(checked_at, '%%Y-%%m-%%d %%H:%%i:%%s.%%f'), run_id"
             " FROM checks FORCE INDEX (PRIMARY) %s ORDER BY url_id, checked_at, run_id"
             " LIMIT 1 OFFSET %d",
             cur->set ? "WHERE " AFTER : "", PARTCONV_CHUNK - 1);
    memset(end, 0, sizeof(*end));
    stmt_params_init(&p);
    if (cur->set)
        bind_key(&p, cur);
    if (stmt_prepare(c->conn, sql, &st, c->err, c->errlen) != 0 ||
        stmt_execute_params(st, &p, c->err, c->errlen) != 0 ||
        stmt_fetch_rows(st, key_row, end, c->err, c->errlen) != 0)
        goto out;
    rc = 0;
out:
    stmt_close(&st);
    return rc;
}

/* Copies the rows after cur up to end (all of them when !end->set). *retry: a deadlock
 * or lock wait timeout with a writer (the chunk is simply copied again). */
static int copy_chunk(struct conv *c, const struct key *cur, const struct key *end,
                      uint64_t *copied, bool *retry)
{
    char sql[4096];
    MYSQL_STMT *st = NULL;
    struct stmt_params p;
    unsigned e;
    int rc = -1;

    *retry = false;
    snprintf(sql, sizeof(sql),
             "INSERT IGNORE INTO checks_new (%s) SELECT %s FROM checks FORCE INDEX (PRIMARY)"
             " WHERE %s%s%s",
             c->cols, c->cols, cur->set ? AFTER : "1 = 1", end->set ? " AND " : "",
             end->set ? UPTO : "");
    stmt_params_init(&p);
    if (cur->set)
        bind_key(&p, cur);
    if (end->set)
        bind_key(&p, end);
    if (stmt_prepare(c->conn, sql, &st, c->err, c->errlen) != 0)
        goto out;
    if (stmt_execute_params(st, &p, c->err, c->errlen) != 0) {
        e = mysql_stmt_errno(st);
        *retry = e == 1213 || e == 1205;
        goto out;
    }
    *copied += mysql_stmt_affected_rows(st);
    rc = 0;
out:
    stmt_close(&st);
    return rc;
}

static int copy_rows(struct conv *c, atomic_int *stop, struct partconv_stats *st)
{
    struct key cur, end;
    bool retry;
    unsigned tries;

    memset(&cur, 0, sizeof(cur));
    for (;;) {
        if (stop && *stop) {
            snprintf(c->err, c->errlen, "interrupted");
            return -1;
        }
        for (tries = 0;; tries++) {
            if (chunk_end(c, &cur, &end) == 0 &&
                copy_chunk(c, &cur, &end, &st->copied, &retry) == 0)
                break;
            if (!retry || tries >= MAX_RETRIES)
                return -1;
            usleep(100000);
        }
        st->chunks++;
        if (st->chunks % 100 == 0)
            log_info("partition-checks: %llu rows copied", (unsigned long long)st->copied);
        if (!end.set)
            return 0;
        cur = end;
    }
}

static int swap_and_check(struct conv *c, int64_t now_s, unsigned raw_days, bool keep_old,
                          struct partconv_stats *st)
{
    struct stmt_params p;
    char cutoff[40];
    int64_t cut = now_s - (int64_t)raw_days * PARTITION_DAY_S - PARTITION_DAY_S;
    double t0 = clock_mono_s();

    if (exec(c, "swapping the tables",
             "RENAME TABLE checks TO " OLD_NAME ", checks_new TO checks") != 0)
        return -1;
    st->swap_s = clock_mono_s() - t0;
    st->old_kept = true;
    if (exec(c, "dropping the mirror triggers", "DROP TRIGGER IF EXISTS checks_pc_ins") ||
        exec(c, "dropping the mirror triggers", "DROP TRIGGER IF EXISTS checks_pc_upd") ||
        exec(c, "dropping the mirror triggers", "DROP TRIGGER IF EXISTS checks_pc_del") ||
        one_u64(c, "SELECT COUNT(*) FROM " OLD_NAME, NULL, &st->old_rows) != 0 ||
        one_u64(c, "SELECT COUNT(*) FROM checks", NULL, &st->new_rows) != 0)
        return -1;
    /* every row of the old table is in the new one (but those retention may have
     * deleted from the new table since: older than RETENTION_DAYS + 1 day) */
    clock_utc_format(cut * 1000, CLOCK_UTC_SQL, cutoff, sizeof(cutoff));
    stmt_params_init(&p);
    stmt_param_str(&p, cutoff);
    if (one_u64(c,
                "SELECT COUNT(*) FROM " OLD_NAME " o WHERE o.checked_at >= ? AND NOT EXISTS"
                " (SELECT 1 FROM checks n WHERE n.url_id = o.url_id AND n.checked_at ="
                " o.checked_at AND n.run_id = o.run_id)",
                &p, &st->missing) != 0)
        return -1;
    if (st->missing) {
        snprintf(c->err, c->errlen,
                 "%llu rows of " OLD_NAME " are not in the new checks: " OLD_NAME " is kept",
                 (unsigned long long)st->missing);
        return -1;
    }
    if (keep_old)
        return 0;
    if (exec(c, "dropping " OLD_NAME, "DROP TABLE " OLD_NAME) != 0)
        return -1;
    st->old_kept = false;
    return 0;
}

int partconv_run(MYSQL *conn, int64_t now_s, unsigned raw_days, bool keep_old, atomic_int *stop,
                 struct partconv_stats *st, char *err, size_t errlen)
{
    struct conv c = {conn, "", "", err, errlen};
    char unlock_err[URLMON_ERRLEN]; /* the lock ends with the session anyway */
    uint64_t locked = 0, exists = 0;
    bool yes = false, added = false;
    double t0;
    int rc = -1;

    memset(st, 0, sizeof(*st));
    if (one_u64(&c, "SELECT GET_LOCK('" CONV_LOCK "', 0)", NULL, &locked) != 0)
        return -1;
    if (locked != 1) {
        snprintf(err, errlen, "another partition-checks runs (lock %s busy)", CONV_LOCK);
        return -1;
    }
    if (partition_is_partitioned(conn, "checks", &yes, err, errlen) != 0)
        goto out;
    if (yes) {
        st->already = true;
        rc = 0;
        goto out;
    }
    if (one_u64(&c,
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
                " AND TABLE_NAME = '" OLD_NAME "'",
                NULL, &exists) != 0)
        goto out;
    if (exists) {
        snprintf(err, errlen, OLD_NAME " exists (an earlier conversion kept it): drop it first");
        goto out;
    }
    if (exec(&c, "session settings", "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ") !=
            0 ||
        exec(&c, "session settings", "SET SESSION lock_wait_timeout = " DDL_LOCK_WAIT_S) != 0 ||
        read_columns(&c) != 0 || undo(&c) != 0)
        goto out;
    added = true;
    if (create_new(&c, now_s, raw_days) != 0 || create_triggers(&c) != 0)
        goto out;
    log_info("partition-checks: checks_new and the mirror triggers in place; copying");
    t0 = clock_mono_s();
    if (copy_rows(&c, stop, st) != 0)
        goto out;
    st->copy_s = clock_mono_s() - t0;
    added = false; /* from the swap on, the new table is checks */
    if (swap_and_check(&c, now_s, raw_days, keep_old, st) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0 && added) {
        char keep[URLMON_ERRLEN];

        snprintf(keep, sizeof(keep), "%s", err);
        if (undo(&c) != 0)
            log_error("partition-checks: cleaning up: %s", err);
        snprintf(err, errlen, "%s", keep);
    }
    (void)!db_exec(conn, "DO RELEASE_LOCK('" CONV_LOCK "')", unlock_err, sizeof(unlock_err));
    return rc;
}
