/* Integration: the API's windowed counts at chosen instants against a straightforward
 * count of raw checks.
 *
 * The API answers a window [now - span, now] from rollups plus raw checks at its start
 * (api/window.h), and reads the partial hour at the start (and, for hour windows, the
 * current hour) from whichever side is cheaper, or from raw checks kept in process
 * (api/tally.c, query_summary). Which side depends on the minute of the hour, so the
 * HTTP tests (which use the real clock) cover one side per run. Here "now" is a
 * parameter: for starts early and late in an hour, on the hour, on each threshold the
 * code uses (:15, :20, :30) and a millisecond either side, every per-URL count of the
 * top lists (tally_window) and the summary (query_run) must equal
 * COUNT ... FROM checks WHERE checked_at >= start. The rollups are built from the same
 * checks by the compute job's rollup code (compute/rollup.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db.h"
#include "itest.h"
#include "query.h"
#include "rollup.h"
#include "sqlbuf.h"
#include "tally.h"
#include "u64map.h"
#include "window.h"

#define NURLS 8
#define DENSE_STEP_MS 37000 /* dense checks every 37 s per URL around each window start */

static struct config cfg;

/* 2026-03-10 00:00:00 UTC: the day every "now" below falls on. */
static int64_t day0_ms(void)
{
    struct tm tm = {0};

    tm.tm_year = 2026 - 1900;
    tm.tm_mon = 2;
    tm.tm_mday = 10;
    return (int64_t)timegm(&tm) * 1000;
}

static const int64_t spans[] = {QUERY_SPAN_HOUR_MS, QUERY_SPAN_WEEK_MS, QUERY_SPAN_MONTH_MS};

/* Offsets of "now" from day0: the window starts at the same minute of the hour. */
static const int64_t now_offsets[] = {
    10 * WINDOW_HOUR_MS + 10 * 60000 + 13250,      /* 10:10:13.250, first half */
    10 * WINDOW_HOUR_MS + 15 * 60000 - 1,          /* 10:14:59.999 */
    10 * WINDOW_HOUR_MS + 15 * 60000,              /* 10:15:00.000 */
    10 * WINDOW_HOUR_MS + 20 * 60000 - 1,          /* 10:19:59.999 */
    10 * WINDOW_HOUR_MS + 20 * 60000,              /* 10:20:00.000 */
    10 * WINDOW_HOUR_MS + 30 * 60000 - 1,          /* 10:29:59.999 */
    10 * WINDOW_HOUR_MS + 30 * 60000,              /* 10:30:00.000, the half hour */
    10 * WINDOW_HOUR_MS + 30 * 60000 + 1,          /* 10:30:00.001 */
    10 * WINDOW_HOUR_MS + 47 * 60000 + 31500,      /* 10:47:31.500, second half */
    11 * WINDOW_HOUR_MS,                           /* 11:00:00.000, on the hour */
    11 * WINDOW_HOUR_MS + 1,                       /* 11:00:00.001 */
    5 * 60000,                                     /* 00:05, first hour of a day */
    23 * WINDOW_HOUR_MS + 59 * 60000 + 59000 + 999 /* 23:59:59.999, last hour */
};

static void fmt_time(int64_t ms, char *buf, size_t len)
{
    clock_utc_format(ms, CLOCK_UTC_SQL_MS, buf, len);
}

/* Buffers rows of INSERT INTO checks and sends them 500 at a time. */
struct inserter {
    MYSQL *conn;
    char *sql;
    size_t len, cap;
    unsigned rows;
    uint64_t run_id;
};

static void ins_flush(struct inserter *in)
{
    if (in->rows == 0)
        return;
    itest_sql(in->conn, in->sql);
    in->rows = 0;
    in->len = 0;
}

static void ins_add(struct inserter *in, uint64_t url_id, int64_t ms, int success)
{
    char when[32], row[160];
    int n;

    fmt_time(ms, when, sizeof(when));
    n = snprintf(row, sizeof(row), "%s(%" PRIu64 ",%" PRIu64 ",'%s',%d,%d)",
                 in->rows ? ","
                          : "INSERT INTO checks (url_id,run_id,checked_at,success,"
                            "response_ms) VALUES ",
                 url_id, ++in->run_id, when, success, 100 + (int)(url_id * 3));
    assert_true(n > 0 && (size_t)n < sizeof(row));
    if (in->len + (size_t)n + 1 > in->cap) {
        in->cap = (in->cap + (size_t)n + 1) * 2;
        assert_non_null(in->sql = realloc(in->sql, in->cap));
    }
    memcpy(in->sql + in->len, row, (size_t)n + 1);
    in->len += (size_t)n;
    if (++in->rows == 500)
        ins_flush(in);
}

/* Each URL fails at its own rate, so the counts differ per URL and per side of a start. */
static int outcome(uint64_t url_id, uint64_t k)
{
    return ((k * 2654435761u + url_id * 40503u) >> 7) % (url_id + 1) != 0;
}

static void build_rollups(MYSQL *conn);

static int hour_is_dense(int64_t h, const int64_t *dense, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (dense[i] == h)
            return 1;
    return 0;
}

/* Checks: dense in the hours around every window start (the hour before, the hour of
 * the start and the next), one per URL every 3 hours elsewhere over 31 days, and one
 * on each start instant and one a millisecond before it. Then the rollups. */
static void load_data(MYSQL *conn)
{
    int64_t d0 = day0_ms(), dense[ARRAY_LEN(now_offsets) * ARRAY_LEN(spans) * 3], h, t;
    struct inserter in = {conn, NULL, 0, 0, 0, 0};
    size_t ndense = 0, i, j, k;
    uint64_t u, seq = 0;

    for (i = 0; i < ARRAY_LEN(now_offsets); i++)
        for (j = 0; j < ARRAY_LEN(spans); j++)
            for (k = 0; k < 3; k++) {
                h = window_floor(d0 + now_offsets[i] - spans[j], WINDOW_HOUR_MS) +
                    ((int64_t)k - 1) * WINDOW_HOUR_MS;
                if (!hour_is_dense(h, dense, ndense))
                    dense[ndense++] = h;
            }
    for (u = 1; u <= NURLS; u++) {
        char sql[200];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO urls (id, name, url, created_at, updated_at) VALUES (%" PRIu64
                 ", 'edge %" PRIu64 "', 'https://edge%" PRIu64 ".example/', NOW(), NOW())",
                 u, u, u);
        itest_sql(conn, sql);
    }
    for (u = 1; u <= NURLS; u++) {
        for (i = 0; i < ndense; i++)
            for (t = dense[i] + (int64_t)u * 1301; t < dense[i] + WINDOW_HOUR_MS;
                 t += DENSE_STEP_MS)
                ins_add(&in, u, t, outcome(u, ++seq));
        for (h = d0 - 31 * WINDOW_DAY_MS; h < d0 + WINDOW_DAY_MS; h += 3 * WINDOW_HOUR_MS)
            if (!hour_is_dense(h, dense, ndense))
                ins_add(&in, u, h + (int64_t)u * 60000, outcome(u, ++seq));
    }
    for (i = 0; i < ARRAY_LEN(now_offsets); i++)
        for (j = 0; j < ARRAY_LEN(spans); j++) {
            t = d0 + now_offsets[i] - spans[j];
            ins_add(&in, 1 + (i + j) % NURLS, t, (int)((i + j) % 2));
            ins_add(&in, 1 + (i + j + 3) % NURLS, t - 1, (int)((i + j + 1) % 2));
        }
    ins_flush(&in);
    free(in.sql);
    build_rollups(conn);
}

/* The rollups of everything in checks, written by the compute job's own rollup code
 * (compute/rollup.c: rollup_build_checks, then the writer's rollup_sql upserts). */
static void build_rollups(MYSQL *conn)
{
    static const enum rollup_kind kinds[] = {ROLLUP_HOURLY, ROLLUP_DAILY, ROLLUP_HOURLY_TOTAL};
    struct rollup_check *c = NULL;
    struct rollup *ru = NULL;
    struct sqlbuf *buf = NULL;
    MYSQL_RES *res;
    MYSQL_ROW row;
    size_t n = 0, cap = 0, k, from;
    long got;

    itest_sql(conn, "DELETE FROM rollup_hourly");
    itest_sql(conn, "DELETE FROM rollup_daily");
    itest_sql(conn, "DELETE FROM rollup_hourly_total");
    itest_sql(conn, "SET time_zone = '+00:00'");
    assert_int_equal(mysql_query(conn, "SELECT url_id, ROUND(UNIX_TIMESTAMP(checked_at) * 1000),"
                                       " success, response_ms FROM checks"),
                     0);
    assert_non_null(res = mysql_store_result(conn));
    while ((row = mysql_fetch_row(res))) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            assert_non_null(c = realloc(c, cap * sizeof(*c)));
        }
        c[n].url_id = strtoull(row[0], NULL, 10);
        c[n].checked_at_ms = strtoll(row[1], NULL, 10);
        c[n].success = row[2][0] == '1';
        c[n].response_ms = row[3] ? (uint32_t)strtoul(row[3], NULL, 10) : CHECK_MS_UNKNOWN;
        c[n].count = 1;
        n++;
    }
    mysql_free_result(res);
    assert_int_equal(rollup_build_checks(c, n, &ru), 0);
    assert_int_equal(sqlbuf_new(&buf), 0);
    for (k = 0; k < ARRAY_LEN(kinds); k++)
        for (from = 0; (got = rollup_sql(buf, ru, kinds[k], from, 1u << 20)) != 0;
             from += (size_t)got) {
            assert_true(got > 0);
            itest_sql(conn, sqlbuf_str(buf));
        }
    sqlbuf_free(&buf);
    rollup_free(&ru);
    free(c);
}

/* The straightforward answer: per-URL counts of raw checks from start on. */
static void expect_counts(MYSQL *conn, int64_t start_ms, uint64_t succ[NURLS + 1],
                          uint64_t fail[NURLS + 1])
{
    char when[32], sql[200];
    MYSQL_RES *res;
    MYSQL_ROW row;

    memset(succ, 0, sizeof(uint64_t) * (NURLS + 1));
    memset(fail, 0, sizeof(uint64_t) * (NURLS + 1));
    fmt_time(start_ms, when, sizeof(when));
    snprintf(sql, sizeof(sql),
             "SELECT url_id, SUM(success = 1), SUM(success = 0) FROM checks"
             " WHERE checked_at >= '%s' GROUP BY url_id",
             when);
    if (mysql_query(conn, sql) != 0 || !(res = mysql_store_result(conn)))
        fail_msg("%s: %s", sql, mysql_error(conn));
    while ((row = mysql_fetch_row(res))) {
        uint64_t u = strtoull(row[0], NULL, 10);
        assert_true(u >= 1 && u <= NURLS);
        succ[u] = strtoull(row[1], NULL, 10);
        fail[u] = strtoull(row[2], NULL, 10);
    }
    mysql_free_result(res);
}

/* tally_window at now over span must give exactly the raw checks' counts. */
static void compare_window(MYSQL *conn, struct tally *t, int64_t now, int64_t span)
{
    uint64_t succ[NURLS + 1], fail[NURLS + 1], u;
    char err[URLMON_ERRLEN] = "", when[32];
    struct tally_counts c;
    size_t seen = 0, k;

    fmt_time(now - span, when, sizeof(when));
    expect_counts(conn, now - span, succ, fail);
    assert_int_equal(tally_counts_init(&c), 0);
    if (tally_window(t, conn, now, span, &c, err, sizeof(err)) != 0)
        fail_msg("tally_window: %s", err);
    for (u = 1; u <= NURLS; u++) {
        uint64_t s = 0, f = 0;
        if (u64map_find(c.index, u, &k) == 0) {
            s = c.succ[k];
            f = c.fail[k];
            seen++;
        }
        if (s != succ[u] || f != fail[u])
            fail_msg("start %s span %" PRId64 " h, URL %" PRIu64 ": %" PRIu64 " ok / %" PRIu64
                     " failed, raw checks say %" PRIu64 " / %" PRIu64,
                     when, span / WINDOW_HOUR_MS, u, s, f, succ[u], fail[u]);
    }
    assert_int_equal(seen, c.n); /* no URL outside 1..NURLS */
    tally_counts_free(&c);
}

static void test_top_counts_match_raw(void **state)
{
    MYSQL *conn = itest_db(&cfg);
    struct tally *t = NULL;
    int64_t d0 = day0_ms();
    size_t i, j;

    itest_reset(&cfg);
    load_data(conn);
    assert_int_equal(tally_open(&t), 0);
    for (i = 0; i < ARRAY_LEN(now_offsets); i++)
        for (j = 0; j < ARRAY_LEN(spans); j++)
            compare_window(conn, t, d0 + now_offsets[i], spans[j]);
    /* the same instants again, in reverse: whatever the API kept from earlier requests
     * (closed days, the first hour's raw checks) must still give the same answers */
    for (i = ARRAY_LEN(now_offsets); i-- > 0;)
        for (j = 0; j < ARRAY_LEN(spans); j++)
            compare_window(conn, t, d0 + now_offsets[i], spans[j]);
    tally_free(&t);
    mysql_close(conn);
}

/* A check written late into the hour holding the start (a spool replay) must show
 * although that hour's raw checks were read before. */
static void test_late_write_in_first_hour(void **state)
{
    MYSQL *conn = itest_db(&cfg);
    struct tally *t = NULL;
    int64_t now = day0_ms() + now_offsets[0];
    char sql[200], when[32];
    size_t j;

    itest_reset(&cfg);
    load_data(conn);
    assert_int_equal(tally_open(&t), 0);
    for (j = 0; j < ARRAY_LEN(spans); j++)
        compare_window(conn, t, now, spans[j]);
    for (j = 0; j < ARRAY_LEN(spans); j++) {
        fmt_time(now - spans[j] + 1000, when, sizeof(when)); /* inside the window */
        snprintf(sql, sizeof(sql),
                 "INSERT INTO checks (url_id, run_id, checked_at, success, response_ms)"
                 " VALUES (3, %zu, '%s', 0, 1)",
                 1000000 + 2 * j, when);
        itest_sql(conn, sql);
        fmt_time(now - spans[j] - 1000, when, sizeof(when)); /* just before it */
        snprintf(sql, sizeof(sql),
                 "INSERT INTO checks (url_id, run_id, checked_at, success, response_ms)"
                 " VALUES (4, %zu, '%s', 1, 1)",
                 1000001 + 2 * j, when);
        itest_sql(conn, sql);
    }
    build_rollups(conn);
    for (j = 0; j < ARRAY_LEN(spans); j++)
        compare_window(conn, t, now, spans[j]);
    tally_free(&t);
    mysql_close(conn);
}

static void test_summary_matches_raw(void **state)
{
    MYSQL *conn = itest_db(&cfg);
    struct query_env env = {NULL, NULL};
    struct route_req r;
    int64_t d0 = day0_ms();
    uint64_t succ[NURLS + 1], fail[NURLS + 1];
    char err[URLMON_ERRLEN] = "", want[160], when[32];
    size_t i;

    itest_reset(&cfg);
    load_data(conn);
    if (dbpool_open(&cfg, &env.pool, err, sizeof(err)) != 0)
        fail_msg("dbpool_open: %s", err);
    assert_int_equal(tally_open(&env.tally), 0);
    memset(&r, 0, sizeof(r));
    r.id = ROUTE_SUMMARY;
    for (i = 0; i < ARRAY_LEN(now_offsets); i++) {
        int64_t now = d0 + now_offsets[i];
        struct query_out out;
        uint64_t s = 0, f = 0, u;

        expect_counts(conn, now - QUERY_SPAN_MONTH_MS, succ, fail);
        for (u = 1; u <= NURLS; u++) {
            s += succ[u];
            f += fail[u];
        }
        snprintf(want, sizeof(want),
                 "[{\"status\":\"success\",\"count\":%" PRIu64 "},"
                 "{\"status\":\"fail\",\"count\":%" PRIu64 "}]",
                 s, f);
        query_run(&env, QUERY_SUMMARY, &r, NULL, now, &out);
        fmt_time(now - QUERY_SPAN_MONTH_MS, when, sizeof(when));
        assert_int_equal(out.status, 200);
        if (!out.body || strcmp(out.body, want) != 0)
            fail_msg("summary from %s: %s, raw checks say %s", when, out.body ? out.body : "(null)",
                     want);
        free(out.body);
    }
    tally_free(&env.tally);
    dbpool_free(&env.pool);
    mysql_close(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_counts_match_raw),
        cmocka_unit_test(test_late_write_in_first_hour),
        cmocka_unit_test(test_summary_matches_raw),
    };

    itest_config(&cfg);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
