/* compute/retention.c: see retention.h. */
#include "retention.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "stmt.h"

struct target {
    const char *sql; /* one ? for the cutoff */
    bool raw;        /* raw retention (else rollup retention) */
    bool date_only;  /* the column is a DATE */
    int which;       /* 0 checks, 1 rollups, 2 batches, 3 runs, 4 alerting */
};

static const struct target targets[] = {
    {"DELETE FROM checks WHERE checked_at < ? LIMIT 5000", true, false, 0},
    {"DELETE FROM rollup_hourly WHERE bucket < ? LIMIT 5000", false, false, 1},
    {"DELETE FROM rollup_daily WHERE bucket < ? LIMIT 5000", false, true, 1},
    {"DELETE FROM rollup_hourly_total WHERE bucket < ? LIMIT 5000", false, false, 1},
    {"DELETE FROM result_batches WHERE written_at < ? LIMIT 5000", true, false, 2},
    {"DELETE FROM runs WHERE started_at < ? AND status <> 'running' LIMIT 5000", true, false, 3},
    {"DELETE FROM outbox WHERE state <> 'pending' AND done_at < ? LIMIT 5000", true, false, 4},
    {"DELETE FROM incidents WHERE closed_at < ? LIMIT 5000", false, false, 4},
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

int retention_run(MYSQL *conn, int64_t now_s, unsigned raw_days, unsigned rollup_days,
                  atomic_int *stop, struct retention_stats *st, char *err, size_t errlen)
{
    uint64_t *counts[5];
    char cutoff[64];
    size_t i;

    memset(st, 0, sizeof(*st));
    counts[0] = &st->checks;
    counts[1] = &st->rollups;
    counts[2] = &st->batches;
    counts[3] = &st->runs;
    counts[4] = &st->alerting;
    for (i = 0; i < ARRAY_LEN(targets) && !(stop && *stop); i++) {
        unsigned days = targets[i].raw ? raw_days : rollup_days;
        clock_utc_format((now_s - (int64_t)days * 86400) * 1000,
                         targets[i].date_only ? CLOCK_UTC_DATE : CLOCK_UTC_SQL, cutoff,
                         sizeof(cutoff));
        if (clean_one(conn, &targets[i], cutoff, stop, counts[targets[i].which], err, errlen) != 0)
            return -1;
    }
    return 0;
}
