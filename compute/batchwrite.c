/* compute/batchwrite.c: see batchwrite.h. */
#include "batchwrite.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "batchsql.h"
#include "db.h"
#include "log.h"
#include "rollup.h"
#include "spool.h"

#define ER_DUP_ENTRY_NO 1062

static int exec(MYSQL *conn, const struct sqlbuf *b, char *err, size_t errlen)
{
    if (mysql_real_query(conn, sqlbuf_str(b), sqlbuf_len(b)) != 0) {
        snprintf(err, errlen, "%s", mysql_error(conn));
        return -1;
    }
    return 0;
}

static int write_rows(MYSQL *conn, struct sqlbuf *buf, uint64_t run_id,
                      const struct check_result *r, size_t n, char *err, size_t errlen)
{
    size_t done = 0;
    long got;

    while (done < n) {
        if ((got = batchsql_checks(buf, conn, run_id, r + done, n - done, BATCHSQL_MAX_BYTES)) <=
            0) {
            snprintf(err, errlen, "out of memory building the INSERT");
            return -1;
        }
        if (exec(conn, buf, err, errlen) != 0)
            return -1;
        done += (size_t)got;
    }
    return 0;
}

static int write_rollups(MYSQL *conn, struct sqlbuf *buf, const struct check_result *r, size_t n,
                         char *err, size_t errlen)
{
    static const enum rollup_kind kinds[] = {ROLLUP_HOURLY, ROLLUP_DAILY, ROLLUP_HOURLY_TOTAL};
    struct rollup *ru = NULL;
    size_t k, from;
    long got;
    int rc = -1;

    if (rollup_build(r, n, &ru) != 0) {
        snprintf(err, errlen, "out of memory aggregating rollups");
        goto out;
    }
    for (k = 0; k < ARRAY_LEN(kinds); k++) {
        for (from = 0; (got = rollup_sql(buf, ru, kinds[k], from, BATCHSQL_MAX_BYTES)) != 0;
             from += (size_t)got) {
            if (got < 0) {
                snprintf(err, errlen, "out of memory building rollups");
                goto out;
            }
            if (exec(conn, buf, err, errlen) != 0)
                goto out;
        }
    }
    rc = 0;
out:
    rollup_free(&ru);
    return rc;
}

/* The run's row counts what the checks table holds of it, in the same transaction as
 * the rows (direct or replayed from the spool): the two always agree. */
static int count_in_run(MYSQL *conn, struct sqlbuf *buf, uint64_t run_id,
                        const struct check_result *r, size_t n, char *err, size_t errlen)
{
    size_t i, ok = 0;

    for (i = 0; i < n; i++)
        ok += r[i].success ? 1 : 0;
    sqlbuf_reset(buf);
    if (sqlbuf_printf(buf,
                      "UPDATE runs SET urls_checked = urls_checked + %zu, successes = successes + "
                      "%zu, failures = failures + %zu WHERE id = %" PRIu64,
                      n, ok, n - ok, run_id) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return exec(conn, buf, err, errlen);
}

int batchwrite_commit(MYSQL *conn, struct sqlbuf *buf, const struct alert_rules *rules,
                      uint64_t run_id, uint32_t batch_no, const struct check_result *r, size_t n,
                      char *err, size_t errlen)
{
    int res = BATCHWRITE_FAILED;

    sqlbuf_reset(buf);
    if (db_exec(conn, "START TRANSACTION", err, errlen) != 0)
        goto fail;
    if (sqlbuf_printf(buf,
                      "INSERT INTO result_batches (run_id, batch_no, rows_written, written_at)"
                      " VALUES (%" PRIu64 ", %" PRIu32 ", %zu, UTC_TIMESTAMP(3))",
                      run_id, batch_no, n) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (exec(conn, buf, err, errlen) != 0) {
        if (mysql_errno(conn) == ER_DUP_ENTRY_NO) {
            res = BATCHWRITE_DUPLICATE;
            (void)mysql_rollback(conn);
            return res;
        }
        goto fail;
    }
    if (write_rows(conn, buf, run_id, r, n, err, errlen) != 0 ||
        write_rollups(conn, buf, r, n, err, errlen) != 0 ||
        count_in_run(conn, buf, run_id, r, n, err, errlen) != 0 ||
        alertwrite_apply(conn, buf, rules, run_id, r, n, NULL, err, errlen) != 0)
        goto fail;
    if (mysql_commit(conn) != 0) {
        snprintf(err, errlen, "COMMIT: %s", mysql_error(conn));
        goto fail;
    }
    return BATCHWRITE_OK;
fail:
    if (db_error_is_transient(conn))
        res = BATCHWRITE_RETRY;
    (void)mysql_rollback(conn);
    return res;
}

int batchwrite_install_id(MYSQL *conn, char *id, size_t idlen, char *err, size_t errlen)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = -1;

    if (mysql_query(conn, "SELECT install_id FROM install WHERE id = 1") != 0 ||
        !(res = mysql_store_result(conn))) {
        snprintf(err, errlen, "reading the install id: %s", mysql_error(conn));
        goto out;
    }
    if (!(row = mysql_fetch_row(res)) || !row[0] || strlen(row[0]) != SPOOL_ID_LEN) {
        snprintf(err, errlen, "the database has no install id (run urlmon-compute migrate)");
        goto out;
    }
    snprintf(id, idlen, "%s", row[0]);
    rc = 0;
out:
    if (res)
        mysql_free_result(res);
    return rc;
}

/* One file: 1 = left in place (damaged, refused or foreign), 0 = done and deleted, -1 =
 * MySQL went away. */
static int replay_one(MYSQL *conn, struct sqlbuf *buf, const struct alert_rules *rules,
                      const char *path, const char *install_id, struct replay_stats *st, char *err,
                      size_t errlen)
{
    struct spool_batch b;
    char why[URLMON_ERRLEN];
    int res, rc = 1;

    if ((res = spool_read(path, &b, why, sizeof(why))) != 0) {
        if (res == SPOOL_FOREIGN) {
            log_warn("%s: left in place", why);
            st->foreign++;
        } else {
            log_error("%s", why);
            st->damaged++;
        }
        return 1;
    }
    if (strcmp(b.install_id, install_id) != 0) {
        log_warn("spool file %s belongs to another database (install id %s; this one is %s): "
                 "left in place",
                 path, b.install_id, install_id);
        st->foreign++;
        spool_batch_clear(&b);
        return 1;
    }
    res = batchwrite_commit(conn, buf, rules, b.run_id, b.batch_no, b.rows, b.n, why, sizeof(why));
    if (res == BATCHWRITE_RETRY) {
        snprintf(err, errlen, "%s", why);
        rc = -1;
    } else if (res == BATCHWRITE_FAILED)
        log_error("spooled batch %s refused by MySQL (left in place): %s", path, why);
    else {
        if (unlink(path) != 0 && errno != ENOENT)
            log_error("cannot delete replayed spool file %s: %s", path, strerror(errno));
        st->batches++;
        if (res == BATCHWRITE_OK)
            st->rows += b.n;
        else
            st->duplicates++;
        rc = 0;
    }
    spool_batch_clear(&b);
    return rc;
}

int batchwrite_replay(MYSQL *conn, struct sqlbuf *buf, const struct alert_rules *rules,
                      const char *dir, struct replay_stats *st, char *err, size_t errlen)
{
    char **paths = NULL;
    size_t n = 0, i;
    int rc = -1;

    char id[SPOOL_ID_LEN + 1];

    memset(st, 0, sizeof(*st));
    if (spool_list(dir, &paths, &n, err, errlen) != 0)
        goto out;
    if (n > 0 && batchwrite_install_id(conn, id, sizeof(id), err, errlen) != 0)
        goto out;
    for (i = 0; i < n; i++)
        if (replay_one(conn, buf, rules, paths[i], id, st, err, errlen) < 0)
            goto out;
    if (st->batches > 0)
        log_info("spool: replayed %lu batches (%lu rows; %lu already written)", st->batches,
                 st->rows, st->duplicates);
    rc = 0;
out:
    spool_list_free(&paths, n);
    return rc;
}
