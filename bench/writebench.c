/* bench/writebench.c: the compute job's result writer (compute/writer.h) alone.
 *
 * Opens a run (runrec_begin, as the job does), starts the writer, feeds it --rows
 * synthetic results for distinct url ids as fast as writer_sink takes them (one
 * producer thread: the queue's backpressure sets the pace), then writer_finish. Prints
 * one JSON line: rows/s from the first result handed over to the last batch
 * committed, and the rows of the run found in `checks` afterwards. Settings come from
 * the environment like the job's (DB_*, BATCH_SIZE, SPOOL_DIR, ...).
 *
 *   bench_writebench [--rows N] [--fail-every K]
 *
 * 1 in K results (default 50) is a failure with an error class and message, the rest
 * succeed with a status and phase times, so rows have the job's real shape. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "checker.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "runrec.h"
#include "writer.h"

static int parse_ulong(const char *opt, const char *val, unsigned long *out)
{
    char *end = NULL;

    errno = 0;
    *out = strtoul(val, &end, 10);
    if (errno || !*val || *end || *out == 0) {
        fprintf(stderr, "bench_writebench: %s %s: want a positive number\n", opt, val);
        return -1;
    }
    return 0;
}

static void fill(struct check_result *r, unsigned long i, unsigned long fail_every, int64_t t)
{
    memset(r, 0, sizeof(*r));
    r->url_id = (uint64_t)i + 1;
    r->checked_at_ms = t + (int64_t)(i % 600000);
    r->response_ms = 40 + (uint32_t)(i % 400);
    r->dns_ms = 0;
    r->connect_ms = 1;
    r->tls_ms = CHECK_MS_UNKNOWN;
    r->ttfb_ms = r->response_ms - 2;
    r->regex_matched = -1;
    if (fail_every && i % fail_every == fail_every - 1) {
        r->success = false;
        r->http_status = 500;
        r->error = CHECK_ERR_HTTP_STATUS;
        snprintf(r->message, sizeof(r->message), "HTTP status 500 is not 2xx or 3xx");
    } else {
        r->success = true;
        r->http_status = 200;
        r->error = CHECK_OK;
    }
}

static long long count_rows(MYSQL *conn, uint64_t run_id)
{
    char q[128];
    long long n = -1;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;

    snprintf(q, sizeof(q), "SELECT COUNT(*) FROM checks WHERE run_id = %llu",
             (unsigned long long)run_id);
    if (mysql_query(conn, q) != 0 || !(res = mysql_store_result(conn)))
        goto out;
    if ((row = mysql_fetch_row(res)) && row[0])
        n = strtoll(row[0], NULL, 10);
out:
    if (res)
        mysql_free_result(res);
    return n;
}

int main(int argc, char **argv)
{
    struct config cfg;
    struct writer *w = NULL;
    struct writer_totals tot;
    struct check_result r;
    MYSQL *conn = NULL;
    char err[URLMON_ERRLEN] = "";
    unsigned long rows = 100000, fail_every = 50, i;
    uint64_t run_id = 0;
    int64_t t_ms;
    double t0, t1;
    long long found;
    int a, rc = 1, fin, lib = 0;

    memset(&tot, 0, sizeof(tot));
    for (a = 1; a < argc; a++) {
        const char *val = a + 1 < argc ? argv[a + 1] : NULL;
        if (!val) {
            fprintf(stderr, "usage: bench_writebench [--rows N] [--fail-every K]\n");
            goto out;
        }
        if (strcmp(argv[a], "--rows") == 0 && parse_ulong(argv[a], val, &rows) == 0)
            a++;
        else if (strcmp(argv[a], "--fail-every") == 0 &&
                 parse_ulong(argv[a], val, &fail_every) == 0)
            a++;
        else {
            fprintf(stderr, "usage: bench_writebench [--rows N] [--fail-every K]\n");
            goto out;
        }
    }
    if (config_load(&cfg, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_writebench: configuration error: %s\n", err);
        goto out;
    }
    log_init("bench_writebench", cfg.log_level);
    if (db_library_init() != 0) {
        fprintf(stderr, "bench_writebench: cannot initialise the MySQL client library\n");
        goto out;
    }
    lib = 1;
    if (!(conn = db_connect(&cfg, err, sizeof(err))) ||
        runrec_begin(conn, 0, 1, clock_wall_ms() / 600000, "writebench", &run_id, err,
                     sizeof(err)) != 0) {
        fprintf(stderr, "bench_writebench: %s\n", err);
        goto out;
    }
    if (writer_start(&cfg, run_id, NULL, &w, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_writebench: %s\n", err);
        goto out;
    }
    t_ms = clock_wall_ms();
    t0 = clock_mono_s();
    for (i = 0; i < rows; i++) {
        fill(&r, i, fail_every, t_ms);
        writer_sink(w, &r);
    }
    fin = writer_finish(w, &tot);
    t1 = clock_mono_s();
    found = count_rows(conn, run_id);
    printf("{\"tool\":\"writer\",\"what\":\"compute/writer.c as the job uses it: a bounded "
           "queue, BATCH_SIZE results per transaction (result_batches row, multi-row INSERT "
           "into checks, rollup_hourly/rollup_daily/rollup_hourly_total upserts, COMMIT) on "
           "one connection; synthetic results for distinct url ids, 1 in %lu failing.\","
           "\"rows\":%lu,\"batch\":%u,\"run_id\":%llu,\"wall_s\":%.4f,\"rows_per_s\":%.1f,"
           "\"written\":%llu,\"spooled\":%llu,\"lost\":%llu,\"batches\":%llu,"
           "\"rows_in_checks\":%lld,\"finish\":%d}\n",
           fail_every, rows, cfg.batch_size, (unsigned long long)run_id, t1 - t0,
           (double)rows / (t1 - t0), (unsigned long long)tot.written,
           (unsigned long long)tot.spooled, (unsigned long long)tot.lost,
           (unsigned long long)tot.batches, found, fin);
    rc = fin == 0 && found == (long long)rows ? 0 : 3;
out:
    writer_free(&w);
    db_close(&conn);
    if (lib)
        db_library_end();
    return rc;
}
