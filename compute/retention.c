/* compute/retention.c: see retention.h. */
#include "retention.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "partition.h"
#include "stmt.h"

enum keep { KEEP_RAW, KEEP_HOURLY, KEEP_ROLLUP };

struct target {
    const char *sql; /* one ? for the cutoff */
    enum keep keep;  /* which retention applies */
    bool date_only;  /* the column is a DATE */
    int which;       /* 0 checks, 1 rollups, 2 batches, 3 runs, 4 alerting */
};

static const struct target targets[] = {
    {"DELETE FROM checks WHERE checked_at < ? LIMIT 5000", KEEP_RAW, false, 0},
    {"DELETE FROM rollup_hourly WHERE bucket < ? LIMIT 5000", KEEP_HOURLY, false, 1},
    {"DELETE FROM rollup_daily WHERE bucket < ? LIMIT 5000", KEEP_ROLLUP, true, 1},
    {"DELETE FROM rollup_hourly_total WHERE bucket < ? LIMIT 5000", KEEP_ROLLUP, false, 1},
    {"DELETE FROM result_batches WHERE written_at < ? LIMIT 5000", KEEP_RAW, false, 2},
    {"DELETE FROM runs WHERE started_at < ? AND status <> 'running' LIMIT 5000", KEEP_RAW, false,
     3},
    {"DELETE FROM outbox WHERE state <> 'pending' AND done_at < ? LIMIT 5000", KEEP_RAW, false, 4},
    {"DELETE FROM incidents WHERE closed_at < ? LIMIT 5000", KEEP_ROLLUP, false, 4},
};

/* Deletes in chunks until a chunk comes back short; *deleted grows. */
static int clean_one(MYSQL *conn, const struct target *t, const char *cutoff, atomic_int *stop,
                     uint64_t *deleted, char *err, size_t errlen)
{
    MYSQL_STMT *st = NULL;
    struct stmt_params p;
    my_ulonglong n;
    char e[URLMON_ERRLEN];
    int rc = -1;

    stmt_params_init(&p);
    stmt_param_str(&p, cutoff);
    if (stmt_prepare(conn, t->sql, &st, e, sizeof(e)) != 0)
        goto sqlerr;
    do {
        if (stmt_execute_params(st, &p, e, sizeof(e)) != 0)
            goto sqlerr;
        n = mysql_stmt_affected_rows(st);
        *deleted += n;
    } while (n >= RETENTION_CHUNK && !(stop && *stop));
    rc = 0;
    goto out;
sqlerr:
    snprintf(err, errlen, "retention (%.40s...): %.180s", t->sql, e);
out:
    stmt_close(&st);
    return rc;
}

void retention_days_of(const struct config *cfg, struct retention_days *keep)
{
    keep->raw = cfg->retention_days;
    keep->hourly = cfg->hourly_retention_days;
    keep->rollup = cfg->rollup_retention_days;
}

int retention_run(MYSQL *conn, int64_t now_s, const struct retention_days *keep, atomic_int *stop,
                  struct retention_stats *st, char *err, size_t errlen)
{
    const unsigned days_of[] = {keep->raw, keep->hourly, keep->rollup};
    uint64_t *counts[5];
    char cutoff[64], e[URLMON_ERRLEN];
    struct partition_stats ps;
    int64_t raw_cutoff_s = now_s - (int64_t)keep->raw * 86400, t0 = clock_mono_ms();
    size_t i;

    memset(st, 0, sizeof(*st));
    if (partition_maintain(conn, now_s, PARTITION_AHEAD_DAYS, raw_cutoff_s, &ps, e, sizeof(e)) !=
        0) {
        /* rows still land (p_future); the DELETE below then keeps the exact cutoff */
        log_warn("checks partitions: %s", e);
        memset(&ps, 0, sizeof(ps));
    }
    if (ps.created || ps.dropped)
        log_info("checks partitions: %u days added, %u old days dropped (~%llu rows)", ps.created,
                 ps.dropped, (unsigned long long)ps.dropped_rows);
    st->partitions_created = ps.created;
    st->partitions_dropped = ps.dropped;
    st->partition_rows = ps.dropped_rows;
    counts[0] = &st->checks;
    counts[1] = &st->rollups;
    counts[2] = &st->batches;
    counts[3] = &st->runs;
    counts[4] = &st->alerting;
    for (i = 0; i < ARRAY_LEN(targets) && !(stop && *stop); i++) {
        unsigned days = days_of[targets[i].keep];
        int64_t cutoff_s = now_s - (int64_t)days * 86400;

        if (targets[i].which == 0 && ps.partitioned)
            cutoff_s = cutoff_s - cutoff_s % 86400; /* whole days go by DROP PARTITION */
        clock_utc_format(cutoff_s * 1000, targets[i].date_only ? CLOCK_UTC_DATE : CLOCK_UTC_SQL,
                         cutoff, sizeof(cutoff));
        if (clean_one(conn, &targets[i], cutoff, stop, counts[targets[i].which], err, errlen) != 0)
            return -1;
    }
    /* one line per pass, whoever runs it: its time is what an operator (and bench/soak.sh)
     * watches as the data grows */
    log_info("retention: %.2f s, %u day partitions of checks dropped (~%llu rows), %llu checks, "
             "%llu rollup rows and %llu runs deleted",
             (double)(clock_mono_ms() - t0) / 1000.0, st->partitions_dropped,
             (unsigned long long)st->partition_rows, (unsigned long long)st->checks,
             (unsigned long long)st->rollups, (unsigned long long)st->runs);
    return 0;
}
