/* compute/runrec.c: see runrec.h. */
#include "runrec.h"

#include <stdio.h>
#include <string.h>

#include "stmt.h"

/* stmt_run with the table named in the error. */
static int exec(MYSQL *conn, const char *sql, struct stmt_params *p, struct stmt_result *res,
                char *err, size_t errlen)
{
    char e[URLMON_ERRLEN];

    if (stmt_run(conn, sql, p, res, e, sizeof(e)) != 0) {
        snprintf(err, errlen, "runs: %.200s", e);
        return -1;
    }
    return 0;
}

int runrec_begin(MYSQL *conn, unsigned shard_k, unsigned shard_n, int64_t slot,
                 const char *instance, uint64_t *run_id, char *err, size_t errlen)
{
    struct stmt_params p;
    struct stmt_result res = {0};
    uint64_t k = shard_k, n = shard_n;

    stmt_params_init(&p);
    stmt_param_u64(&p, &k);
    stmt_param_u64(&p, &n);
    stmt_param_i64(&p, &slot);
    stmt_param_str(&p, instance);
    if (exec(conn,
             "INSERT INTO runs (shard_index, shard_count, slot, instance, status, started_at)"
             " VALUES (?, ?, ?, ?, 'running', UTC_TIMESTAMP(3))",
             &p, &res, err, errlen) != 0)
        return -1;
    *run_id = res.insert_id;
    return 0;
}

int runrec_finish(MYSQL *conn, uint64_t run_id, const struct runrec_end *e, char *err,
                  size_t errlen)
{
    struct stmt_params p;

    stmt_params_init(&p);
    stmt_param_str(&p, e->status);
    stmt_param_u64(&p, &e->urls_total);
    stmt_param_u32(&p, &e->p50);
    stmt_param_null_if(&p, !e->have_percentiles);
    stmt_param_u32(&p, &e->p95);
    stmt_param_null_if(&p, !e->have_percentiles);
    stmt_param_u32(&p, &e->p99);
    stmt_param_null_if(&p, !e->have_percentiles);
    stmt_param_u64(&p, &run_id);
    return exec(conn,
                "UPDATE runs SET finished_at = UTC_TIMESTAMP(3), status = ?, urls_total = ?,"
                " p50_ms = ?, p95_ms = ?, p99_ms = ? WHERE id = ?",
                &p, NULL, err, errlen);
}

int runrec_fail_stale(MYSQL *conn, unsigned shard_k, unsigned shard_n, uint64_t *n, char *err,
                      size_t errlen)
{
    struct stmt_params p;
    struct stmt_result res = {0};
    uint64_t k = shard_k, cnt = shard_n;

    stmt_params_init(&p);
    stmt_param_u64(&p, &k);
    stmt_param_u64(&p, &cnt);
    if (exec(conn,
             "UPDATE runs SET status = 'failed', finished_at = UTC_TIMESTAMP(3)"
             " WHERE status = 'running' AND shard_index = ? AND shard_count = ?",
             &p, &res, err, errlen) != 0)
        return -1;
    if (n)
        *n = res.affected;
    return 0;
}

int runrec_count_urls(MYSQL *conn, unsigned shard_k, unsigned shard_n,
                      const struct source_slot *slot, uint64_t *total, char *err, size_t errlen)
{
    struct stmt_params p;
    struct stmt_result res = {.want_first = true};
    uint64_t k = shard_k, n = shard_n;
    int64_t start = slot ? slot->start_s : 0, end = slot ? slot->start_s + slot->len_s : 0;
    int64_t max = slot ? slot->max_interval_s : 0;

    stmt_params_init(&p);
    stmt_param_u64(&p, &n);
    stmt_param_u64(&p, &k);
    if (slot) {
        stmt_param_i64(&p, &start);
        stmt_param_i64(&p, &end);
        stmt_param_i64(&p, &start);
        stmt_param_i64(&p, &end);
        stmt_param_i64(&p, &max);
    }
    if (exec(conn,
             slot ? "SELECT COUNT(*) FROM urls u WHERE u.active = 1 AND u.id % ? = ?" SOURCE_DUE_SQL
                  : "SELECT COUNT(*) FROM urls WHERE active = 1 AND id % ? = ?",
             &p, &res, err, errlen) != 0)
        return -1;
    *total = res.first;
    return 0;
}
