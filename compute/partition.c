/* compute/partition.c: see partition.h. */
#include "partition.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db.h"
#include "stmt.h"

#define MAX_PARTS 1024 /* MySQL allows 8192; 1024 days is far beyond any retention */

struct parts {
    unsigned n;               /* day partitions, in order */
    int64_t day_s[MAX_PARTS]; /* their day (00:00 UTC) */
    uint64_t rows[MAX_PARTS]; /* InnoDB's row estimate */
    bool future;              /* p_future exists */
    bool partitioned;         /* any partition at all */
};

static const char parts_sql[] =
    "SELECT PARTITION_NAME, COALESCE(TABLE_ROWS, 0) FROM information_schema.PARTITIONS"
    " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY PARTITION_ORDINAL_POSITION";

static int64_t day_floor(int64_t s)
{
    return (s >= 0 ? s / PARTITION_DAY_S : (s - PARTITION_DAY_S + 1) / PARTITION_DAY_S) *
           PARTITION_DAY_S;
}

/* "p20261207" -> 2026-12-07 00:00 UTC; -1 when it is no day partition. */
static int64_t name_day(const char *name)
{
    struct tm tm;
    unsigned y, m, d;
    char tail;

    if (sscanf(name, "p%4u%2u%2u%c", &y, &m, &d, &tail) != 3 || strlen(name) != 9 || y < 1970 ||
        m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)m - 1;
    tm.tm_mday = (int)d;
    return (int64_t)timegm(&tm);
}

static void day_name(int64_t day_s, char *buf, size_t len)
{
    struct tm tm;
    int ms;

    clock_utc_tm(day_s * 1000, &tm, &ms);
    snprintf(buf, len, "p%04u%02u%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u);
}

static int part_row(void *arg, const struct stmt_row *row, char *err, size_t errlen)
{
    struct parts *p = arg;
    int64_t day;

    if (!row->val[0])
        return 0; /* the one row of an unpartitioned table */
    p->partitioned = true;
    if (strcmp(row->val[0], "p_future") == 0) {
        p->future = true;
        return 0;
    }
    if ((day = name_day(row->val[0])) < 0)
        return 0; /* not ours: left alone */
    if (p->n >= MAX_PARTS) {
        snprintf(err, errlen, "checks has more than %d day partitions", MAX_PARTS);
        return -1;
    }
    p->day_s[p->n] = day;
    p->rows[p->n++] = row->val[1] ? strtoull(row->val[1], NULL, 10) : 0;
    return 0;
}

static int list_parts(MYSQL *conn, const char *table, struct parts *p, char *err, size_t errlen)
{
    MYSQL_STMT *st = NULL;
    struct stmt_params prm;
    int rc = -1;

    memset(p, 0, sizeof(*p));
    stmt_params_init(&prm);
    stmt_param_str(&prm, table);
    if (stmt_prepare(conn, parts_sql, &st, err, errlen) != 0 ||
        stmt_execute_params(st, &prm, err, errlen) != 0 ||
        stmt_fetch_rows(st, part_row, p, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    stmt_close(&st);
    return rc;
}

int partition_is_partitioned(MYSQL *conn, const char *table, bool *yes, char *err, size_t errlen)
{
    static struct parts p; /* 16 KB: not on a thread's stack */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int rc;

    pthread_mutex_lock(&lock);
    rc = list_parts(conn, table, &p, err, errlen);
    *yes = p.partitioned;
    pthread_mutex_unlock(&lock);
    return rc;
}

/* ", PARTITION pYYYYMMDD VALUES LESS THAN ('next day 00:00:00')" for each day. */
static int append_days(int64_t first_s, int64_t last_s, char *buf, size_t len, size_t *pos)
{
    char name[40], bound[32];
    int64_t d;
    int n;

    for (d = day_floor(first_s); d <= day_floor(last_s); d += PARTITION_DAY_S) {
        day_name(d, name, sizeof(name));
        clock_utc_format((d + PARTITION_DAY_S) * 1000, CLOCK_UTC_SQL, bound, sizeof(bound));
        n = snprintf(buf + *pos, len - *pos, "%sPARTITION %s VALUES LESS THAN ('%s')",
                     *pos && buf[*pos - 1] != '(' ? ", " : "", name, bound);
        if (n < 0 || (size_t)n >= len - *pos)
            return -1;
        *pos += (size_t)n;
    }
    return 0;
}

static int append_future(char *buf, size_t len, size_t *pos)
{
    int n = snprintf(buf + *pos, len - *pos, "%sPARTITION p_future VALUES LESS THAN (MAXVALUE))",
                     buf[*pos - 1] != '(' ? ", " : "");

    if (n < 0 || (size_t)n >= len - *pos)
        return -1;
    *pos += (size_t)n;
    return 0;
}

int partition_clause(int64_t first_day_s, int64_t last_day_s, char *buf, size_t len)
{
    size_t pos = 0;
    int n = snprintf(buf, len, "PARTITION BY RANGE COLUMNS(checked_at) (");

    if (n < 0 || (size_t)n >= len)
        return -1;
    pos = (size_t)n;
    if (append_days(first_day_s, last_day_s, buf, len, &pos) != 0 ||
        append_future(buf, len, &pos) != 0)
        return -1;
    return 0;
}

static int take_lock(MYSQL *conn, char *err, size_t errlen)
{
    struct stmt_result res = {0};

    res.want_first = true;
    if (stmt_run(conn, "SELECT GET_LOCK('" PARTITION_LOCK "', 60)", NULL, &res, err, errlen) != 0)
        return -1;
    if (res.first != 1) {
        snprintf(err, errlen, "another process alters the partitions of checks (lock %s busy)",
                 PARTITION_LOCK);
        return -1;
    }
    return 0;
}

static void drop_lock(MYSQL *conn)
{
    char e[URLMON_ERRLEN];

    /* a failure is harmless: the lock ends with the session anyway */
    (void)!db_exec(conn, "DO RELEASE_LOCK('" PARTITION_LOCK "')", e, sizeof(e));
}

/* Splits p_future into the missing days up to last_s (p_future stays last). */
static int add_days(MYSQL *conn, const struct parts *p, int64_t now_s, int64_t last_s,
                    unsigned *created, char *err, size_t errlen)
{
    char sql[16384], e[URLMON_ERRLEN];
    int64_t first = p->n ? p->day_s[p->n - 1] + PARTITION_DAY_S : day_floor(now_s);
    size_t pos;
    int n;

    if (!p->future || first > day_floor(last_s))
        return 0;
    if (first < day_floor(last_s) - 400 * PARTITION_DAY_S)
        first = day_floor(last_s) - 400 * PARTITION_DAY_S; /* only after a very long pause */
    n = snprintf(sql, sizeof(sql), "ALTER TABLE checks REORGANIZE PARTITION p_future INTO (");
    pos = (size_t)n;
    if (append_days(first, last_s, sql, sizeof(sql), &pos) != 0 ||
        append_future(sql, sizeof(sql), &pos) != 0) {
        snprintf(err, errlen, "partition statement too long");
        return -1;
    }
    if (db_exec(conn, sql, e, sizeof(e)) != 0) {
        snprintf(err, errlen, "adding day partitions to checks: %.200s", e);
        return -1;
    }
    *created = (unsigned)((day_floor(last_s) - first) / PARTITION_DAY_S + 1);
    return 0;
}

/* Drops the day partitions that end at or before before_s, never the newest one (the
 * table keeps at least one day besides p_future, so the range stays well-formed). */
static int drop_days(MYSQL *conn, const struct parts *p, int64_t before_s,
                     struct partition_stats *st, char *err, size_t errlen)
{
    char sql[16384], name[40], e[URLMON_ERRLEN];
    size_t pos;
    unsigned i;
    int n;

    n = snprintf(sql, sizeof(sql), "ALTER TABLE checks DROP PARTITION ");
    pos = (size_t)n;
    for (i = 0; i + 1 < p->n && p->day_s[i] + PARTITION_DAY_S <= before_s; i++) {
        day_name(p->day_s[i], name, sizeof(name));
        n = snprintf(sql + pos, sizeof(sql) - pos, "%s%s", i ? ", " : "", name);
        if (n < 0 || (size_t)n >= sizeof(sql) - pos)
            break; /* the rest next time */
        pos += (size_t)n;
        st->dropped_rows += p->rows[i];
        st->dropped++;
    }
    if (!st->dropped)
        return 0;
    if (db_exec(conn, sql, e, sizeof(e)) != 0) {
        snprintf(err, errlen, "dropping old partitions of checks: %.200s", e);
        st->dropped = 0;
        st->dropped_rows = 0;
        return -1;
    }
    return 0;
}

int partition_maintain(MYSQL *conn, int64_t now_s, unsigned ahead_days, int64_t drop_before_s,
                       struct partition_stats *st, char *err, size_t errlen)
{
    static struct parts p; /* 16 KB: not on a thread's stack; one caller at a time */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    bool locked = false;
    int rc = -1;

    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&lock);
    if (list_parts(conn, "checks", &p, err, errlen) != 0)
        goto out;
    if (!(st->partitioned = p.partitioned)) {
        rc = 0;
        goto out;
    }
    if (take_lock(conn, err, errlen) != 0)
        goto out;
    locked = true;
    /* An ALTER waits for the metadata lock of every open transaction on checks (a long
     * API read), and while it waits every new statement on checks waits behind it: give
     * up after a few seconds instead (the days ahead leave days of retries). */
    if (db_exec(conn,
                "SET @urlmon_lwt = @@SESSION.lock_wait_timeout,"
                " SESSION lock_wait_timeout = " PARTITION_LOCK_WAIT_S,
                err, errlen) != 0)
        goto out;
    /* again under the lock: another process may just have changed them */
    if (list_parts(conn, "checks", &p, err, errlen) != 0 ||
        add_days(conn, &p, now_s, now_s + (int64_t)ahead_days * PARTITION_DAY_S, &st->created, err,
                 errlen) != 0)
        goto out;
    if (drop_before_s > 0 && (list_parts(conn, "checks", &p, err, errlen) != 0 ||
                              drop_days(conn, &p, drop_before_s, st, err, errlen) != 0))
        goto out;
    st->oldest_day_s = p.n > st->dropped ? p.day_s[st->dropped] : 0;
    rc = 0;
out:
    if (locked) {
        char e[URLMON_ERRLEN];

        /* the session's own timeout again (a failure: the connection is broken anyway) */
        (void)!db_exec(conn, "SET SESSION lock_wait_timeout = @urlmon_lwt", e, sizeof(e));
        drop_lock(conn);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

int partition_setup(MYSQL *conn, int64_t now_s, int64_t first_day_s, bool *populated, char *err,
                    size_t errlen)
{
    struct partition_stats st;
    struct stmt_result res = {0};
    char sql[4096], e[URLMON_ERRLEN];
    bool yes = false;

    *populated = false;
    if (partition_is_partitioned(conn, "checks", &yes, err, errlen) != 0)
        return -1;
    if (!yes) {
        res.want_first = true;
        if (stmt_run(conn, "SELECT COUNT(*) FROM (SELECT 1 FROM checks LIMIT 1) t", NULL, &res, err,
                     errlen) != 0)
            return -1;
        if (res.first > 0) {
            *populated = true;
            return 0;
        }
        /* empty: partitioning it is instant (a row written meanwhile is copied along) */
        memcpy(sql, "ALTER TABLE checks ", 19);
        if (partition_clause(first_day_s < now_s ? first_day_s : now_s,
                             now_s + PARTITION_AHEAD_DAYS * PARTITION_DAY_S, sql + 19,
                             sizeof(sql) - 19) != 0) {
            snprintf(err, errlen, "partition statement too long");
            return -1;
        }
        if (db_exec(conn, sql, e, sizeof(e)) != 0) {
            snprintf(err, errlen, "partitioning checks: %.200s", e);
            return -1;
        }
    }
    return partition_maintain(conn, now_s, PARTITION_AHEAD_DAYS, 0, &st, err, errlen);
}
