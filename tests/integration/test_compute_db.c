/* Integration: the compute job's MySQL modules against the real server: the run lock,
 * exactly-once batch writes and spool replay, the writer thread, the paged URL source,
 * retention, and the dead-letter record of the queue drain. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batchwrite.h"
#include "db.h"
#include "drain.h"
#include "itest.h"
#include "partition.h"
#include "retention.h"
#include "runlock.h"
#include "runrec.h"
#include "source.h"
#include "spool.h"

#define TEST_INSTALL_ID "0123456789abcdef0123456789abcdef"
#include "writer.h"

static struct config cfg;

static struct check_result result(uint64_t url, int64_t at_ms, bool ok, uint32_t ms)
{
    struct check_result r;
    memset(&r, 0, sizeof(r));
    r.url_id = url;
    r.checked_at_ms = at_ms;
    r.success = ok;
    r.http_status = ok ? 200 : 503;
    r.response_ms = ms;
    r.dns_ms = r.connect_ms = r.tls_ms = r.ttfb_ms = CHECK_MS_UNKNOWN;
    r.error = ok ? CHECK_OK : CHECK_ERR_HTTP_STATUS;
    snprintf(r.message, sizeof(r.message), "%s", ok ? "" : "HTTP status 503 'quoted' \\");
    r.regex_matched = -1;
    return r;
}

static int64_t now_ms(void)
{
    return (int64_t)time(NULL) * 1000;
}

static void test_runlock(void **state)
{
    MYSQL *a = itest_db(&cfg), *b = itest_db(&cfg);
    char err[URLMON_ERRLEN] = "", ta[40], tb[40];
    enum runlock_state st;
    bool held = false;

    itest_reset(&cfg);
    assert_int_equal(runlock_token(ta, sizeof(ta)), 0);
    assert_int_equal(runlock_token(tb, sizeof(tb)), 0);
    assert_int_equal(strlen(ta), RUNLOCK_TOKEN_LEN);
    assert_string_not_equal(ta, tb);
    assert_int_equal(runlock_acquire(a, "0/1", ta, 100, 600, &st, err, sizeof(err)), 0);
    assert_int_equal(st, RUNLOCK_ACQUIRED);
    assert_int_equal(runlock_acquire(b, "0/1", tb, 100, 600, &st, err, sizeof(err)), 0);
    assert_int_equal(st, RUNLOCK_BUSY);
    /* another shard is independent */
    assert_int_equal(runlock_acquire(b, "1/2", tb, 100, 600, &st, err, sizeof(err)), 0);
    assert_int_equal(st, RUNLOCK_ACQUIRED);
    assert_int_equal(runlock_renew(a, "0/1", ta, &held, err, sizeof(err)), 0);
    assert_true(held);
    assert_int_equal(runlock_renew(b, "0/1", tb, &held, err, sizeof(err)), 0);
    assert_false(held);
    /* released with the slot done: the same slot is refused, the next one taken */
    assert_int_equal(runlock_release(a, "0/1", ta, 100, 600, err, sizeof(err)), 0);
    assert_int_equal(runlock_acquire(b, "0/1", tb, 100, 600, &st, err, sizeof(err)), 0);
    assert_int_equal(st, RUNLOCK_SLOT_DONE);
    assert_int_equal(runlock_acquire(b, "0/1", tb, 101, 600, &st, err, sizeof(err)), 0);
    assert_int_equal(st, RUNLOCK_ACQUIRED);
    /* an expired lease (a crashed owner) is taken over; the old owner learns it */
    itest_sql(a, "UPDATE run_locks SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND"
                 " WHERE shard_key = '0/1'");
    assert_int_equal(runlock_acquire(a, "0/1", ta, 101, 600, &st, err, sizeof(err)), 0);
    assert_int_equal(st, RUNLOCK_ACQUIRED);
    assert_int_equal(runlock_renew(b, "0/1", tb, &held, err, sizeof(err)), 0);
    assert_false(held);
    /* released without a slot (nothing checked): the slot can be run again */
    assert_int_equal(runlock_release(a, "0/1", ta, -1, 600, err, sizeof(err)), 0);
    assert_int_equal(itest_sql_long(a, "SELECT last_slot FROM run_locks WHERE shard_key='0/1'"),
                     100);
    assert_int_equal(runlock_acquire(a, "0/1", ta, 101, 600, &st, err, sizeof(err)), 0);
    assert_int_equal(st, RUNLOCK_ACQUIRED);
    /* a release by someone else changes nothing */
    assert_int_equal(runlock_release(b, "0/1", tb, 101, 600, err, sizeof(err)), 0);
    assert_int_equal(runlock_renew(a, "0/1", ta, &held, err, sizeof(err)), 0);
    assert_true(held);
    mysql_close(a);
    mysql_close(b);
}

struct race {
    char token[40];
    enum runlock_state st;
};

static void *race_one(void *arg)
{
    struct race *r = arg;
    char err[URLMON_ERRLEN];
    MYSQL *c = db_connect(&cfg, err, sizeof(err));

    if (!c || runlock_acquire(c, "race", r->token, 5, 600, &r->st, err, sizeof(err)) != 0)
        r->st = (enum runlock_state) - 1;
    db_close(&c);
    return NULL;
}

/* Many instances at the same moment: exactly one gets the lease. */
static void test_runlock_race(void **state)
{
    struct race rs[16];
    pthread_t th[16];
    int i, won = 0, busy = 0;

    itest_reset(&cfg);
    for (i = 0; i < 16; i++) {
        assert_int_equal(runlock_token(rs[i].token, sizeof(rs[i].token)), 0);
        assert_int_equal(pthread_create(&th[i], NULL, race_one, &rs[i]), 0);
    }
    for (i = 0; i < 16; i++) {
        pthread_join(th[i], NULL);
        won += rs[i].st == RUNLOCK_ACQUIRED;
        busy += rs[i].st == RUNLOCK_BUSY;
    }
    assert_int_equal(won, 1);
    assert_int_equal(busy, 15);
}

#define RESTART_ROUNDS 300
#define RESTART_RACERS 4

struct restart {
    MYSQL *conn;
    pthread_barrier_t *go;
    int64_t slot;
    enum runlock_state st;
    int rc;
    char err[URLMON_ERRLEN];
};

static void *restart_one(void *arg)
{
    struct restart *r = arg;
    char token[40];

    r->rc = runlock_token(token, sizeof(token));
    pthread_barrier_wait(r->go);
    if (r->rc == 0)
        r->rc =
            runlock_acquire(r->conn, "0/1", token, r->slot, 600, &r->st, r->err, sizeof(r->err));
    return NULL;
}

/* Instances started together on connections already open (as compute does after its
 * connect), just after the shard's lock row was deleted while a reader's snapshot keeps
 * InnoDB from purging it (the tests reset tables between runs; a busy server lags its
 * purge). Starting together there once made InnoDB pick one of them as a deadlock
 * victim: that instance exited 1 without "already in progress". Every round: exactly
 * one takes the lease, the others see it busy, none fails. */
static void test_runlock_race_deleted_row(void **state)
{
    struct restart rs[RESTART_RACERS];
    pthread_t th[RESTART_RACERS];
    pthread_barrier_t go;
    MYSQL *admin = itest_db(&cfg), *reader = itest_db(&cfg);
    int round, i, won, busy, failed = 0;

    itest_reset(&cfg);
    itest_sql(reader, "START TRANSACTION WITH CONSISTENT SNAPSHOT");
    (void)itest_sql_long(reader, "SELECT COUNT(*) FROM run_locks");
    for (i = 0; i < RESTART_RACERS; i++)
        rs[i].conn = itest_db(&cfg);
    for (round = 0; round < RESTART_ROUNDS; round++) {
        itest_sql(admin, "INSERT IGNORE INTO run_locks (shard_key) VALUES ('0/1')");
        itest_sql(admin, "DELETE FROM run_locks");
        assert_int_equal(pthread_barrier_init(&go, NULL, RESTART_RACERS), 0);
        for (i = 0; i < RESTART_RACERS; i++) {
            rs[i].go = &go;
            rs[i].slot = 1000 + round;
            rs[i].rc = -1;
            rs[i].err[0] = '\0';
            assert_int_equal(pthread_create(&th[i], NULL, restart_one, &rs[i]), 0);
        }
        won = busy = 0;
        for (i = 0; i < RESTART_RACERS; i++) {
            pthread_join(th[i], NULL);
            if (rs[i].rc != 0) {
                print_message("round %d: racer %d failed: %s\n", round, i, rs[i].err);
                failed++;
                continue;
            }
            won += rs[i].st == RUNLOCK_ACQUIRED;
            busy += rs[i].st == RUNLOCK_BUSY;
        }
        pthread_barrier_destroy(&go);
        if (failed == 0) {
            assert_int_equal(won, 1);
            assert_int_equal(busy, RESTART_RACERS - 1);
        }
    }
    itest_sql(reader, "COMMIT");
    for (i = 0; i < RESTART_RACERS; i++)
        mysql_close(rs[i].conn);
    mysql_close(reader);
    mysql_close(admin);
    assert_int_equal(failed, 0);
}

static void test_batch_exactly_once(void **state)
{
    MYSQL *c = itest_db(&cfg);
    struct sqlbuf *buf = NULL;
    struct check_result rows[3];
    char err[URLMON_ERRLEN] = "";
    int64_t t = now_ms();

    itest_reset(&cfg);
    assert_int_equal(sqlbuf_new(&buf), 0);
    rows[0] = result(1, t, true, 10);
    rows[1] = result(2, t, false, 20);
    rows[2] = result(3, t, true, 30);
    assert_int_equal(batchwrite_commit(c, buf, NULL, 9, 0, rows, 3, err, sizeof(err)),
                     BATCHWRITE_OK);
    /* the same batch again (a lost COMMIT acknowledgement, a replay): nothing changes */
    assert_int_equal(batchwrite_commit(c, buf, NULL, 9, 0, rows, 3, err, sizeof(err)),
                     BATCHWRITE_DUPLICATE);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM checks"), 3);
    assert_int_equal(itest_sql_long(c, "SELECT SUM(success_count) FROM rollup_hourly"), 2);
    assert_int_equal(itest_sql_long(c, "SELECT SUM(fail_count) FROM rollup_daily"), 1);
    assert_int_equal(itest_sql_long(c, "SELECT SUM(response_ms_sum) FROM rollup_hourly"), 60);
    assert_int_equal(
        itest_sql_long(c, "SELECT success_count + fail_count FROM rollup_hourly_total"), 3);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM checks WHERE error_message ="
                                       " 'HTTP status 503 ''quoted'' \\\\'"),
                     1);
    /* a second batch of the run adds to the same rollup rows */
    rows[0].url_id = 4;
    assert_int_equal(batchwrite_commit(c, buf, NULL, 9, 1, rows, 1, err, sizeof(err)),
                     BATCHWRITE_OK);
    assert_int_equal(itest_sql_long(c, "SELECT success_count FROM rollup_hourly_total"), 3);
    /* a batch MySQL refuses (url_id 2 twice in one run) leaves nothing behind */
    rows[0].url_id = 2;
    assert_int_equal(batchwrite_commit(c, buf, NULL, 9, 2, rows, 1, err, sizeof(err)),
                     BATCHWRITE_FAILED);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM result_batches"), 2);
    assert_int_equal(itest_sql_long(c, "SELECT success_count FROM rollup_hourly_total"), 3);
    sqlbuf_free(&buf);
    mysql_close(c);
}

static void test_spool_replay(void **state)
{
    MYSQL *c = itest_db(&cfg);
    struct sqlbuf *buf = NULL;
    struct check_result rows[50];
    struct replay_stats st;
    char err[URLMON_ERRLEN] = "", dir[] = "/tmp/urlmon-itest-spool-XXXXXX", bad[300];
    char id[SPOOL_ID_LEN + 1], foreign[300];
    int64_t t = now_ms();
    FILE *f;
    int i;

    itest_reset(&cfg);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(sqlbuf_new(&buf), 0);
    /* this database's identity, made at migrate */
    assert_int_equal(batchwrite_install_id(c, id, sizeof(id), err, sizeof(err)), 0);
    assert_int_equal(strlen(id), SPOOL_ID_LEN);
    assert_string_not_equal(id, TEST_INSTALL_ID);
    for (i = 0; i < 50; i++)
        rows[i] = result((uint64_t)i + 1, t, i % 5 != 0, (uint32_t)i);
    assert_int_equal(spool_write(dir, id, 5, 0, rows, 20, err, sizeof(err)), 0);
    assert_int_equal(spool_write(dir, id, 5, 1, rows + 20, 30, err, sizeof(err)), 0);
    /* another database's batch in the same folder (issue 12 item 5): left in place */
    assert_int_equal(spool_write(dir, TEST_INSTALL_ID, 7, 0, rows, 10, err, sizeof(err)), 0);
    snprintf(foreign, sizeof(foreign), "%s/batch-00000000000000000007-0000000000.spool", dir);
    /* batch 0 already made it before MySQL went away: the replay must not double it */
    assert_int_equal(batchwrite_commit(c, buf, NULL, 5, 0, rows, 20, err, sizeof(err)),
                     BATCHWRITE_OK);
    snprintf(bad, sizeof(bad), "%s/batch-00000000000000000005-0000000002.spool", dir);
    f = fopen(bad, "wb");
    assert_non_null(f);
    fputs("garbage", f);
    fclose(f);
    assert_int_equal(batchwrite_replay(c, buf, NULL, dir, &st, err, sizeof(err)), 0);
    assert_int_equal(st.batches, 2);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.rows, 30);
    assert_int_equal(st.damaged, 1);
    assert_int_equal(st.foreign, 1);
    assert_int_equal(access(foreign, F_OK), 0);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM checks WHERE run_id = 7"), 0);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM checks"), 50);
    assert_int_equal(itest_sql_long(c, "SELECT SUM(success_count + fail_count) FROM rollup_daily"),
                     50);
    assert_int_equal(access(bad, F_OK), 0); /* the damaged file stays for a human */
    /* again: nothing left to do */
    assert_int_equal(batchwrite_replay(c, buf, NULL, dir, &st, err, sizeof(err)), 0);
    assert_int_equal(st.batches, 0);
    unlink(bad);
    unlink(foreign);
    rmdir(dir);
    sqlbuf_free(&buf);
    mysql_close(c);
}

/* Daily partitions (partition.h): a result older than every day partition (a late spool
 * replay) and one from a clock 10 days ahead are written like any other, land in the
 * oldest partition and in p_future, and the replay of the same batch adds nothing. The
 * old one then goes by the row DELETE of retention (it is not a whole day). */
/* The due test of a run (source.h, SOURCE_DUE_SQL, the count runrec_count_urls runs)
 * reads checks in the day partitions of the last MAX_INTERVAL only, not in every day of
 * the retention: EXPLAIN PARTITIONS of the statement with its parameters filled in. */
static void test_due_prunes_partitions(void **state)
{
    static const char due_sql[] = "EXPLAIN PARTITIONS SELECT COUNT(*) FROM urls u WHERE u.active = "
                                  "1 AND u.id % ? = ?" SOURCE_DUE_SQL;
    MYSQL *c = itest_db(&cfg);
    MYSQL_RES *res;
    MYSQL_ROW row;
    char err[URLMON_ERRLEN] = "", sql[1024], old[16], today[16], *o = sql;
    int64_t now_s = now_ms() / 1000, slot = now_s - now_s % 600;
    long long vals[] = {1, 0, slot, slot + 600, slot, slot + 600, 86400};
    size_t i, k = 0, partcol = 0;
    bool populated = true, found = false;
    struct tm tm;
    time_t t;

    (void)state;
    itest_reset(&cfg);
    if (partition_is_partitioned(c, "checks", &found, err, sizeof(err)) == 0 && found)
        itest_sql(c, "ALTER TABLE checks REMOVE PARTITIONING");
    assert_int_equal(partition_setup(c, now_s, now_s - 35 * 86400, &populated, err, sizeof(err)),
                     0);
    for (i = 0; due_sql[i]; i++) { /* the parameters, in order, as literals */
        if (due_sql[i] == '?')
            o += snprintf(o, sizeof(sql) - (size_t)(o - sql), "%lld", vals[k++]);
        else
            *o++ = due_sql[i];
        assert_true((size_t)(o - sql) < sizeof(sql) - 24);
    }
    *o = '\0';
    assert_int_equal(k, sizeof(vals) / sizeof(vals[0]));
    t = (time_t)(now_s - 20 * 86400);
    gmtime_r(&t, &tm);
    strftime(old, sizeof(old), "p%Y%m%d", &tm);
    t = (time_t)now_s;
    gmtime_r(&t, &tm);
    strftime(today, sizeof(today), "p%Y%m%d", &tm);
    assert_int_equal(mysql_query(c, sql), 0);
    assert_non_null(res = mysql_store_result(c));
    for (i = 0; i < mysql_num_fields(res); i++)
        if (strcmp(mysql_fetch_fields(res)[i].name, "partitions") == 0)
            partcol = i;
    assert_true(partcol > 0);
    found = false;
    while ((row = mysql_fetch_row(res))) {
        if (!row[2] || strcmp(row[2], "c") != 0)
            continue;
        found = true;
        assert_non_null(row[partcol]);
        assert_non_null(strstr(row[partcol], today));
        assert_null(strstr(row[partcol], old)); /* 20 days back: beyond MAX_INTERVAL */
    }
    assert_true(found);
    mysql_free_result(res);
    mysql_close(c);
}

static void test_partitioned_replay(void **state)
{
    MYSQL *c = itest_db(&cfg);
    struct sqlbuf *buf = NULL;
    struct check_result rows[3];
    struct replay_stats st;
    struct retention_stats rs;
    struct retention_days keep = {35, 35, 400};
    char err[URLMON_ERRLEN] = "", dir[] = "/tmp/urlmon-itest-spool-XXXXXX";
    char id[SPOOL_ID_LEN + 1];
    int64_t t = now_ms(), now_s = t / 1000;
    bool populated = true, yes = false;

    itest_reset(&cfg);
    assert_int_equal(partition_setup(c, now_s, now_s - 35 * 86400, &populated, err, sizeof(err)),
                     0);
    assert_false(populated);
    assert_int_equal(partition_is_partitioned(c, "checks", &yes, err, sizeof(err)), 0);
    assert_true(yes);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(sqlbuf_new(&buf), 0);
    assert_int_equal(batchwrite_install_id(c, id, sizeof(id), err, sizeof(err)), 0);
    rows[0] = result(1, t - INT64_C(60) * 86400000, true, 5);
    rows[1] = result(2, t, false, 6);
    rows[2] = result(3, t + INT64_C(10) * 86400000, true, 7);
    assert_int_equal(spool_write(dir, id, 30, 0, rows, 3, err, sizeof(err)), 0);
    assert_int_equal(batchwrite_commit(c, buf, NULL, 30, 0, rows, 3, err, sizeof(err)),
                     BATCHWRITE_OK);
    assert_int_equal(batchwrite_replay(c, buf, NULL, dir, &st, err, sizeof(err)), 0);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.rows, 0);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM checks"), 3);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM checks PARTITION (p_future)"), 1);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM checks WHERE url_id = 1 AND"
                                       " checked_at < UTC_TIMESTAMP() - INTERVAL 59 DAY"),
                     1);
    assert_int_equal(itest_sql_long(c, "SELECT SUM(success_count + fail_count) FROM rollup_daily"),
                     3);
    assert_int_equal(retention_run(c, now_s, &keep, NULL, &rs, err, sizeof(err)), 0);
    assert_int_equal(rs.checks, 1);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM checks WHERE url_id = 1"), 0);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM checks"), 2);
    rmdir(dir);
    sqlbuf_free(&buf);
    mysql_close(c);
}

/* Alerting state in the batch transaction: one failure opens nothing, two open one
 * incident; the same batch again (lost COMMIT acknowledgement) or replayed from the spool
 * after a crash opens no second one; recovery closes it once. */
static void test_alert_exactly_once(void **state)
{
    MYSQL *c = itest_db(&cfg);
    struct sqlbuf *buf = NULL;
    struct check_result r[2];
    struct replay_stats st;
    char err[URLMON_ERRLEN] = "", dir[] = "/tmp/urlmon-itest-alert-XXXXXX";
    char id[SPOOL_ID_LEN + 1];
    int64_t t = now_ms() - 600000;

    itest_reset(&cfg);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(sqlbuf_new(&buf), 0);
    assert_int_equal(batchwrite_install_id(c, id, sizeof(id), err, sizeof(err)), 0);
    itest_sql(c, "INSERT INTO urls (id, name, url, created_at, updated_at) VALUES"
                 " (1, 'a', 'http://a.example/', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3)),"
                 " (2, 'b', 'http://b.example/', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))");
    itest_sql(c, "UPDATE urls SET fail_threshold = 3 WHERE id = 2");
    /* run 20 ok, 21 fails, 22 ok: a single failure between successes */
    r[0] = result(1, t, true, 5);
    r[1] = result(2, t, true, 5);
    assert_int_equal(batchwrite_commit(c, buf, NULL, 20, 0, r, 2, err, sizeof(err)), BATCHWRITE_OK);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM urls WHERE state = 'up'"), 2);
    r[0] = result(1, t + 60000, false, 5);
    r[1] = result(2, t + 60000, false, 5);
    assert_int_equal(batchwrite_commit(c, buf, NULL, 21, 0, r, 2, err, sizeof(err)), BATCHWRITE_OK);
    r[0] = result(1, t + 120000, true, 5);
    r[1] = result(2, t + 120000, true, 5);
    assert_int_equal(batchwrite_commit(c, buf, NULL, 22, 0, r, 2, err, sizeof(err)), BATCHWRITE_OK);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM incidents"), 0);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM outbox"), 0);
    /* runs 23 and 24 fail: URL 1 (threshold 2) goes down, URL 2 (threshold 3) not yet */
    r[0] = result(1, t + 180000, false, 5);
    r[1] = result(2, t + 180000, false, 5);
    assert_int_equal(batchwrite_commit(c, buf, NULL, 23, 0, r, 2, err, sizeof(err)), BATCHWRITE_OK);
    r[0] = result(1, t + 240000, false, 5);
    r[1] = result(2, t + 240000, false, 5);
    r[0].http_status = 500;
    /* run 24's batch is spooled (MySQL away), then written, then replayed again */
    assert_int_equal(spool_write(dir, id, 24, 0, r, 2, err, sizeof(err)), 0);
    assert_int_equal(batchwrite_commit(c, buf, NULL, 24, 0, r, 2, err, sizeof(err)), BATCHWRITE_OK);
    assert_int_equal(batchwrite_commit(c, buf, NULL, 24, 0, r, 2, err, sizeof(err)),
                     BATCHWRITE_DUPLICATE);
    assert_int_equal(batchwrite_replay(c, buf, NULL, dir, &st, err, sizeof(err)), 0);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM incidents"), 1);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM outbox"), 1);
    /* the incident starts at the first failed check (run 23) with its status */
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM incidents i JOIN urls u"
                                       " ON u.incident_id = i.id WHERE i.url_id = 1"
                                       " AND i.kind = 'down' AND i.open_run_id = 24"
                                       " AND i.http_status = 503 AND i.error_class = 'http_status'"
                                       " AND i.closed_at IS NULL AND u.state = 'down'"
                                       " AND u.state_since = i.opened_at"
                                       " AND i.detected_at > i.opened_at"),
                     1);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM outbox WHERE type ="
                                       " 'incident_opened' AND event_id = CONCAT('urlmon-',"
                                       " incident_id, '-incident_opened')"),
                     1);
    assert_int_equal(itest_sql_long(c, "SELECT consec_fail FROM urls WHERE id = 2"), 2);
    /* run 25 succeeds: closed once, even when the batch comes again */
    r[0] = result(1, t + 300000, true, 5);
    r[1] = result(2, t + 300000, true, 5);
    assert_int_equal(spool_write(dir, id, 25, 0, r, 2, err, sizeof(err)), 0);
    assert_int_equal(batchwrite_replay(c, buf, NULL, dir, &st, err, sizeof(err)), 0);
    assert_int_equal(batchwrite_commit(c, buf, NULL, 25, 0, r, 2, err, sizeof(err)),
                     BATCHWRITE_DUPLICATE);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM incidents WHERE closed_at IS NOT NULL"
                                       " AND close_run_id = 25"),
                     1);
    assert_int_equal(
        itest_sql_long(c, "SELECT COUNT(*) FROM outbox WHERE type = 'incident_closed'"), 1);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM urls WHERE state = 'up' AND"
                                       " incident_id IS NULL AND consec_fail = 0"),
                     2);
    rmdir(dir);
    sqlbuf_free(&buf);
    mysql_close(c);
}

struct feeder {
    struct writer *w;
    uint64_t first, count;
};

static void *feed(void *arg)
{
    struct feeder *f = arg;
    uint64_t i;
    for (i = 0; i < f->count; i++) {
        struct check_result r = result(f->first + i, now_ms(), i % 3 != 0, (uint32_t)(i % 500));
        writer_sink(f->w, &r);
    }
    return NULL;
}

/* Four threads feed 20,000 results through the writer (BATCH_SIZE 700). */
static void test_writer_threads(void **state)
{
    struct config c2 = cfg;
    struct writer *w = NULL;
    struct writer_totals t;
    struct feeder fs[4];
    pthread_t th[4];
    char err[URLMON_ERRLEN] = "";
    MYSQL *c = itest_db(&cfg);
    int i;

    itest_reset(&cfg);
    c2.batch_size = 700;
    snprintf(c2.spool_dir, sizeof(c2.spool_dir), "/tmp/urlmon-itest-writer-%ld", (long)getpid());
    assert_int_equal(writer_start(&c2, 77, NULL, &w, err, sizeof(err)), 0);
    for (i = 0; i < 4; i++) {
        fs[i] = (struct feeder){w, (uint64_t)i * 5000 + 1, 5000};
        assert_int_equal(pthread_create(&th[i], NULL, feed, &fs[i]), 0);
    }
    for (i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(writer_finish(w, &t), 0);
    writer_free(&w);
    assert_null(w);
    assert_int_equal(t.results, 20000);
    assert_int_equal(t.written, 20000);
    assert_int_equal(t.spooled + t.lost, 0);
    assert_true(t.have_percentiles);
    assert_true(t.p50 <= t.p95 && t.p95 <= t.p99 && t.p99 <= 500);
    assert_int_equal(t.failures, 4 * 1667);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(DISTINCT url_id) FROM checks WHERE run_id=77"),
                     20000);
    assert_int_equal(itest_sql_long(c, "SELECT SUM(rows_written) FROM result_batches"), 20000);
    assert_int_equal(itest_sql_long(c, "SELECT MAX(rows_written) FROM result_batches"), 700);
    assert_int_equal(itest_sql_long(c, "SELECT SUM(fail_count) FROM rollup_hourly_total"),
                     4 * 1667);
    mysql_close(c);
}

/* 12,345 URLs over three pages, two shards: each URL of the shard exactly once, in
 * id order, inactive ones left out. */
static void test_source_paging(void **state)
{
    MYSQL *c = itest_db(&cfg);
    struct check_target *t = malloc(sizeof(*t));
    struct source *s = NULL;
    char err[URLMON_ERRLEN] = "";
    uint64_t prev = 0, n = 0, total = 0;
    unsigned k;

    assert_non_null(t);
    itest_reset(&cfg);
    itest_sql(c, "INSERT INTO urls (name, url, regex, active, created_at, updated_at)"
                 " SELECT CONCAT('n', seq), CONCAT('http://h', seq, '.example/'),"
                 " IF(seq % 7 = 0, 'a+', NULL), seq % 100 <> 0, UTC_TIMESTAMP(3),"
                 " UTC_TIMESTAMP(3) FROM seq_1_to_12345");
    for (k = 0; k < 2; k++) {
        assert_int_equal(runrec_count_urls(c, k, 2, NULL, &total, err, sizeof(err)), 0);
        assert_int_equal(source_start(&cfg, k, 2, NULL, NULL, &s, err, sizeof(err)), 0);
        prev = 0;
        n = 0;
        while (source_next(s, t) == 1) {
            assert_true(t->url_id > prev);
            assert_int_equal(t->url_id % 2, k);
            prev = t->url_id;
            n++;
        }
        assert_int_equal(source_next(s, t), 0); /* stays exhausted */
        assert_true(source_exhausted(s));
        assert_int_equal(source_status(s, err, sizeof(err)), 0);
        assert_int_equal(source_delivered(s), n);
        assert_int_equal(n, total);
        source_free(&s);
        assert_null(s);
    }
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM urls WHERE active = 1"), 12345 - 123);
    /* a stopped source hands out nothing more and is not exhausted */
    {
        atomic_int stop = 0;
        assert_int_equal(source_start(&cfg, 0, 1, NULL, &stop, &s, err, sizeof(err)), 0);
        assert_int_equal(source_next(s, t), 1);
        stop = 1;
        assert_int_equal(source_next(s, t), 0);
        assert_false(source_exhausted(s));
        source_free(&s);
    }
    free(t);
    mysql_close(c);
}

static void test_retention(void **state)
{
    MYSQL *c = itest_db(&cfg);
    struct retention_stats st;
    struct retention_days keep = {35, 35, 400};
    char err[URLMON_ERRLEN] = "";

    itest_reset(&cfg);
    /* 12,000 old raw rows (more than two chunks) and 10 recent ones */
    itest_sql(c, "INSERT INTO checks (url_id, run_id, checked_at, success, response_ms)"
                 " SELECT seq, 1, UTC_TIMESTAMP(3) - INTERVAL 40 DAY, 1, 5 FROM seq_1_to_12000");
    itest_sql(c, "INSERT INTO checks (url_id, run_id, checked_at, success, response_ms)"
                 " SELECT seq, 2, UTC_TIMESTAMP(3) - INTERVAL 1 DAY, 1, 5 FROM seq_1_to_10");
    itest_sql(c, "INSERT INTO rollup_hourly (bucket, url_id) VALUES"
                 " (UTC_TIMESTAMP() - INTERVAL 401 DAY, 1), (UTC_TIMESTAMP() - INTERVAL 40 DAY, 1),"
                 " (UTC_TIMESTAMP() - INTERVAL 36 DAY, 2), (UTC_TIMESTAMP() - INTERVAL 34 DAY, 1)");
    itest_sql(c, "INSERT INTO rollup_daily (bucket, url_id) VALUES"
                 " (UTC_DATE() - INTERVAL 402 DAY, 1), (UTC_DATE() - INTERVAL 399 DAY, 1)");
    itest_sql(c, "INSERT INTO rollup_hourly_total (bucket) VALUES"
                 " (UTC_TIMESTAMP() - INTERVAL 401 DAY), (UTC_TIMESTAMP())");
    itest_sql(c,
              "INSERT INTO result_batches VALUES (1, 0, 12000, UTC_TIMESTAMP(3) - INTERVAL 40 DAY),"
              " (2, 0, 10, UTC_TIMESTAMP(3))");
    itest_sql(c, "INSERT INTO runs (status, started_at) VALUES"
                 " ('done', UTC_TIMESTAMP(3) - INTERVAL 40 DAY), ('done', UTC_TIMESTAMP(3)),"
                 " ('running', UTC_TIMESTAMP(3) - INTERVAL 40 DAY)");
    /* alerting: delivered events after RETENTION_DAYS (pending ones stay), closed
     * incidents after ROLLUP_RETENTION_DAYS (open ones stay) */
    itest_sql(c,
              "INSERT INTO outbox (event_id, type, url_id, incident_id, created_at, next_at,"
              " state, done_at) VALUES"
              " ('a', 'incident_opened', 1, 1, UTC_TIMESTAMP(), UTC_TIMESTAMP(), 'sent',"
              " UTC_TIMESTAMP() - INTERVAL 40 DAY),"
              " ('b', 'incident_closed', 1, 1, UTC_TIMESTAMP(), UTC_TIMESTAMP(), 'pending', NULL),"
              " ('c', 'incident_opened', 1, 2, UTC_TIMESTAMP(), UTC_TIMESTAMP(), 'sent',"
              " UTC_TIMESTAMP())");
    itest_sql(c, "INSERT INTO incidents (url_id, kind, url, name, opened_at, detected_at,"
                 " closed_at, open_run_id) VALUES"
                 " (1, 'down', 'http://a/', 'a', UTC_TIMESTAMP(), UTC_TIMESTAMP(),"
                 " UTC_TIMESTAMP() - INTERVAL 401 DAY, 1),"
                 " (1, 'down', 'http://a/', 'a', UTC_TIMESTAMP(), UTC_TIMESTAMP(), NULL, 2)");
    assert_int_equal(retention_run(c, (int64_t)time(NULL), &keep, NULL, &st, err, sizeof(err)), 0);
    assert_int_equal(st.checks, 12000);
    /* rollup_hourly after HOURLY_RETENTION_DAYS (35): 401, 40 and 36 days old go, 34 stays */
    assert_int_equal(st.rollups, 5);
    assert_int_equal(st.batches, 1);
    assert_int_equal(st.runs, 1);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM checks"), 10);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM rollup_hourly"), 1);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM rollup_daily"), 1);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM runs"), 2);
    assert_int_equal(st.alerting, 2);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM outbox"), 2);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM incidents"), 1);
    mysql_close(c);
}

static void test_runrec(void **state)
{
    MYSQL *c = itest_db(&cfg);
    struct runrec_end e = {"done", 10, true, 5, 50, 500};
    char err[URLMON_ERRLEN] = "";
    uint64_t id = 0, id2 = 0, stale = 0;

    itest_reset(&cfg);
    assert_int_equal(runrec_begin(c, 1, 4, 1234, "box-1", &id, err, sizeof(err)), 0);
    assert_int_equal(runrec_begin(c, 2, 4, 1234, "box-1", &id2, err, sizeof(err)), 0);
    assert_true(id > 0 && id2 > id);
    assert_int_equal(runrec_fail_stale(c, 1, 4, &stale, err, sizeof(err)), 0);
    assert_int_equal(stale, 1);
    assert_int_equal(runrec_finish(c, id2, &e, err, sizeof(err)), 0);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM runs WHERE status = 'failed'"
                                       " AND shard_index = 1 AND finished_at IS NOT NULL"),
                     1);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM runs WHERE status = 'done' AND"
                                       " urls_total = 10 AND urls_checked = 0 AND successes = 0"
                                       " AND failures = 0 AND p50_ms = 5 AND p95_ms = 50 AND"
                                       " p99_ms = 500 AND slot = 1234 AND instance = 'box-1'"),
                     1);
    e.have_percentiles = false;
    assert_int_equal(runrec_finish(c, id, &e, err, sizeof(err)), 0);
    assert_int_equal(itest_sql_long(c, "SELECT COUNT(*) FROM runs WHERE p50_ms IS NULL"), 1);
    mysql_close(c);
}

static void test_dead_json(void **state)
{
    static const char entry[] = "{\"name\":\"\xff\",\"url\":\"x\0y\"}";
    char *j =
        drain_dead_json(entry, sizeof(entry) - 1, "name: is not valid UTF-8", 1700000000123LL);

    assert_non_null(j);
    assert_string_equal(j, "{\"entry\":\"{\\\"name\\\":\\\"\xef\xbf\xbd\\\",\\\"url\\\":\\\"x"
                           "\xef\xbf\xbdy\\\"}\",\"reason\":\"name: is not valid UTF-8\","
                           "\"at\":\"2023-11-14T22:13:20.123Z\"}");
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runlock),
        cmocka_unit_test(test_runlock_race),
        cmocka_unit_test(test_runlock_race_deleted_row),
        cmocka_unit_test(test_batch_exactly_once),
        cmocka_unit_test(test_spool_replay),
        cmocka_unit_test(test_partitioned_replay),
        cmocka_unit_test(test_due_prunes_partitions),
        cmocka_unit_test(test_alert_exactly_once),
        cmocka_unit_test(test_writer_threads),
        cmocka_unit_test(test_source_paging),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_runrec),
        cmocka_unit_test(test_dead_json),
    };
    itest_config(&cfg);
    if (db_library_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
