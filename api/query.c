/* api/query.c: runs one route's MySQL work on a worker thread (query.h): borrows a
 * connection, dispatches to query_stats.c / query_urls.c, retries once on a fresh
 * connection, renders the answer. */
#include "query_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "log.h"

#define ACQUIRE_TIMEOUT_MS 3000

static int one_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    *(bool *)arg = row->ncols == 1 && row->val[0] && strcmp(row->val[0], "1") == 0;
    return 0;
}

static int ping(struct qctx *q)
{
    bool ok = false;
    int rc = sqlq_run(q->conn, "SELECT 1", NULL, 0, one_row, &ok, NULL, q->err, sizeof(q->err));

    if (rc == 0 && !ok) {
        snprintf(q->err, sizeof(q->err), "SELECT 1 did not answer 1");
        rc = QRES_ERR;
    }
    q->status = 200;
    if (rc == 0 && !(q->root = cJSON_CreateObject()))
        rc = QRES_ERR;
    return rc;
}

static int dispatch(struct qctx *q, enum query_kind kind)
{
    switch (kind) {
    case QUERY_TOP:
        return query_top(q, q->r->span);
    case QUERY_SUMMARY:
        return query_summary(q);
    case QUERY_LIST:
        return query_list(q);
    case QUERY_DETAIL:
        return query_detail(q);
    case QUERY_CHECKS:
        return query_checks(q);
    case QUERY_DEACTIVATE:
        return query_deactivate(q);
    case QUERY_UPDATE:
        return query_update(q);
    case QUERY_PING:
        return ping(q);
    case QUERY_DASH_URLS:
        return dashq_urls(q);
    case QUERY_DASH_URL:
        return dashq_url(q);
    case QUERY_DASH_PCT:
        return dashq_percentiles(q);
    case QUERY_INCIDENTS:
    case QUERY_URL_INCIDENTS:
        return query_incidents(q, kind == QUERY_URL_INCIDENTS);
    case QUERY_ALERT_METRICS:
        return query_alert_metrics(q);
    }
    snprintf(q->err, sizeof(q->err), "unknown query kind %d", (int)kind);
    return QRES_ERR;
}

static void set_error(struct query_out *out, int status, const char *msg)
{
    out->status = status;
    out->body = jsonx_error("%s", msg);
    out->len = out->body ? strlen(out->body) : 0;
}

void query_run(const struct query_env *env, enum query_kind kind, const struct route_req *r,
               struct urlpatch *patch, int64_t now_ms, struct query_out *out)
{
    struct qctx q;
    struct timespec t0;
    int attempt, rc = QRES_CONN;

    memset(out, 0, sizeof(*out));
    memset(&q, 0, sizeof(q));
    q.r = r;
    q.patch = patch;
    q.now_ms = now_ms;
    q.tally = env->tally;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (attempt = 0; attempt < 2 && rc == QRES_CONN; attempt++) {
        cJSON_Delete(q.root);
        q.root = NULL;
        if (!(q.conn = dbpool_acquire(env->pool, ACQUIRE_TIMEOUT_MS, q.err, sizeof(q.err))))
            break;
        rc = dispatch(&q, kind);
        dbpool_release(env->pool, q.conn, rc == QRES_CONN);
        q.conn = NULL;
    }
    out->db_seconds = mono_since_s(&t0);
    if (rc == QRES_OK && q.root) {
        out->status = q.status;
        out->body = jsonx_print_free(q.root);
        q.root = NULL;
        out->len = out->body ? strlen(out->body) : 0;
        if (!out->body)
            set_error(out, 500, "internal error: out of memory");
    } else if (rc == QRES_ERR) {
        log_error("%s: %s", route_label(r->id), q.err);
        set_error(out, 500, "internal error");
    } else {
        log_warn("%s: MySQL unavailable: %s", route_label(r->id), q.err);
        set_error(out, 503, "mysql: unavailable");
    }
    cJSON_Delete(q.root);
}
