/* compute/runrec.c: see runrec.h. */
#include "runrec.h"

#include <stdio.h>
#include <string.h>

#define MAXP 9

struct binds {
    MYSQL_BIND b[MAXP];
    unsigned long lens[MAXP];
    my_bool nulls[MAXP];
    unsigned n;
};

static void bind_u64(struct binds *bs, const uint64_t *v)
{
    MYSQL_BIND *b = &bs->b[bs->n++];
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = (void *)v;
    b->is_unsigned = 1;
}

static void bind_i64(struct binds *bs, const int64_t *v)
{
    MYSQL_BIND *b = &bs->b[bs->n++];
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = (void *)v;
}

static void bind_u32(struct binds *bs, const uint32_t *v, bool is_null)
{
    MYSQL_BIND *b = &bs->b[bs->n];
    b->buffer_type = MYSQL_TYPE_LONG;
    b->buffer = (void *)v;
    b->is_unsigned = 1;
    bs->nulls[bs->n] = is_null;
    b->is_null = &bs->nulls[bs->n];
    bs->n++;
}

static void bind_str(struct binds *bs, const char *s)
{
    MYSQL_BIND *b = &bs->b[bs->n];
    bs->lens[bs->n] = (unsigned long)strlen(s);
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = (void *)s;
    b->buffer_length = bs->lens[bs->n];
    b->length = &bs->lens[bs->n];
    bs->n++;
}

/* Executes sql; *id gets the insert id, *affected the matched rows, *one the first
 * column of the first row (each may be NULL). */
static int exec(MYSQL *conn, const char *sql, struct binds *bs, uint64_t *id, uint64_t *affected,
                uint64_t *one, char *err, size_t errlen)
{
    MYSQL_STMT *st = mysql_stmt_init(conn);
    MYSQL_BIND rb;
    unsigned long long v = 0;
    int rc = -1;

    memset(&rb, 0, sizeof(rb));
    rb.buffer_type = MYSQL_TYPE_LONGLONG;
    rb.buffer = &v;
    rb.is_unsigned = 1;
    if (!st || mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0 ||
        (bs->n > 0 && mysql_stmt_bind_param(st, bs->b) != 0) || mysql_stmt_execute(st) != 0)
        goto sqlerr;
    if (one) {
        if (mysql_stmt_bind_result(st, &rb) != 0 || mysql_stmt_fetch(st) != 0)
            goto sqlerr;
        *one = v;
    }
    if (id)
        *id = (uint64_t)mysql_stmt_insert_id(st);
    if (affected)
        *affected = (uint64_t)mysql_stmt_affected_rows(st);
    rc = 0;
    goto out;
sqlerr:
    snprintf(err, errlen, "runs: %s", st ? mysql_stmt_error(st) : "out of memory");
out:
    if (st)
        mysql_stmt_close(st);
    return rc;
}

int runrec_begin(MYSQL *conn, unsigned shard_k, unsigned shard_n, int64_t slot,
                 const char *instance, uint64_t *run_id, char *err, size_t errlen)
{
    struct binds bs;
    uint64_t k = shard_k, n = shard_n;

    memset(&bs, 0, sizeof(bs));
    bind_u64(&bs, &k);
    bind_u64(&bs, &n);
    bind_i64(&bs, &slot);
    bind_str(&bs, instance);
    return exec(conn,
                "INSERT INTO runs (shard_index, shard_count, slot, instance, status, started_at)"
                " VALUES (?, ?, ?, ?, 'running', UTC_TIMESTAMP(3))",
                &bs, run_id, NULL, NULL, err, errlen);
}

int runrec_finish(MYSQL *conn, uint64_t run_id, const struct runrec_end *e, char *err,
                  size_t errlen)
{
    struct binds bs;

    memset(&bs, 0, sizeof(bs));
    bind_str(&bs, e->status);
    bind_u64(&bs, &e->urls_total);
    bind_u32(&bs, &e->p50, !e->have_percentiles);
    bind_u32(&bs, &e->p95, !e->have_percentiles);
    bind_u32(&bs, &e->p99, !e->have_percentiles);
    bind_u64(&bs, &run_id);
    return exec(conn,
                "UPDATE runs SET finished_at = UTC_TIMESTAMP(3), status = ?, urls_total = ?,"
                " p50_ms = ?, p95_ms = ?, p99_ms = ? WHERE id = ?",
                &bs, NULL, NULL, NULL, err, errlen);
}

int runrec_fail_stale(MYSQL *conn, unsigned shard_k, unsigned shard_n, uint64_t *n, char *err,
                      size_t errlen)
{
    struct binds bs;
    uint64_t k = shard_k, cnt = shard_n;

    memset(&bs, 0, sizeof(bs));
    bind_u64(&bs, &k);
    bind_u64(&bs, &cnt);
    return exec(conn,
                "UPDATE runs SET status = 'failed', finished_at = UTC_TIMESTAMP(3)"
                " WHERE status = 'running' AND shard_index = ? AND shard_count = ?",
                &bs, NULL, n, NULL, err, errlen);
}

int runrec_count_urls(MYSQL *conn, unsigned shard_k, unsigned shard_n, uint64_t *total, char *err,
                      size_t errlen)
{
    struct binds bs;
    uint64_t k = shard_k, n = shard_n;

    memset(&bs, 0, sizeof(bs));
    bind_u64(&bs, &n);
    bind_u64(&bs, &k);
    return exec(conn, "SELECT COUNT(*) FROM urls WHERE active = 1 AND id % ? = ?", &bs, NULL, NULL,
                total, err, errlen);
}
