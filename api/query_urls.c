/* api/query_urls.c: the monitored URLs: list, one URL in detail, its checks, PUT/PATCH,
 * DELETE. */
#include "query_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "urlpatch.h"
#include "window.h"

/* state: a deactivated URL is unknown; cert_days_left: whole days (negative = expired) */
#define URL_COLS                                                                                   \
    "id, name, url, regex, active, created_at, deactivated_at, check_interval,"                    \
    " IF(active = 1, state, 'unknown'), IF(active = 1, state_since, NULL), fail_threshold,"        \
    " success_threshold, cert_expires_at,"                                                         \
    " FLOOR(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), cert_expires_at) / 86400)"
#define CHECK_COLS                                                                                 \
    "run_id, checked_at, success, http_status, response_ms, dns_ms, connect_ms, tls_ms, "          \
    "ttfb_ms, error_class, error_message, regex_matched, regex_match"

static const char list_sql[] = "SELECT " URL_COLS " FROM urls WHERE id > ? ORDER BY id LIMIT ?";
static const char list_active_sql[] =
    "SELECT " URL_COLS " FROM urls WHERE active = ? AND id > ? ORDER BY id LIMIT ?";
static const char one_sql[] = "SELECT " URL_COLS " FROM urls WHERE id = ?";
static const char latest_sql[] =
    "SELECT " CHECK_COLS " FROM checks WHERE url_id = ? ORDER BY checked_at DESC LIMIT 1";
/* History pages: newest first along the key (url_id, checked_at, run_id); the cursor is
 * the last check's checked_at in ms since the epoch (column 13): the service mode checks a
 * URL several times per run, so run ids cannot page. */
#define CHECK_CURSOR ", CAST(ROUND(UNIX_TIMESTAMP(checked_at) * 1000) AS UNSIGNED)"
static const char checks_sql[] = "SELECT " CHECK_COLS CHECK_CURSOR " FROM checks WHERE url_id = ?"
                                 " ORDER BY checked_at DESC, run_id DESC LIMIT ?";
static const char checks_before_sql[] = "SELECT " CHECK_COLS CHECK_CURSOR " FROM checks"
                                        " WHERE url_id = ? AND checked_at < FROM_UNIXTIME(? / 1000)"
                                        " ORDER BY checked_at DESC, run_id DESC LIMIT ?";
static const char times_sql[] = "SELECT response_ms FROM checks"
                                " WHERE url_id = ? AND checked_at >= ? AND success = 1"
                                " ORDER BY response_ms";
/* Assignments run left to right: deactivated_at and updated_at see the old active, so
 * a second DELETE keeps the first deactivation time. */
static const char deactivate_sql[] =
    "UPDATE urls SET deactivated_at = IF(active = 1, UTC_TIMESTAMP(3), deactivated_at),"
    " updated_at = IF(active = 1, UTC_TIMESTAMP(3), updated_at), active = 0 WHERE id = ?";

struct one;
static int load_url(struct qctx *q, struct one *o);

static int oom(struct qctx *q)
{
    snprintf(q->err, sizeof(q->err), "out of memory");
    return QRES_ERR;
}

static cJSON *url_json(const struct sqlq_row *row)
{
    cJSON *o = cJSON_CreateObject();

    if (!o || qjson_raw(o, "id", row->val[0]) != 0 || qjson_str(o, "name", row->val[1]) != 0 ||
        qjson_str(o, "url", row->val[2]) != 0 || qjson_str(o, "regex", row->val[3]) != 0 ||
        qjson_bool(o, "active", row->val[4]) != 0 || qjson_time(o, "created", row->val[5]) != 0 ||
        qjson_time(o, "deactivated", row->val[6]) != 0 ||
        qjson_raw(o, "interval", row->val[7]) != 0 || qjson_str(o, "state", row->val[8]) != 0 ||
        qjson_time(o, "since", row->val[9]) != 0 ||
        qjson_raw(o, "fail_threshold", row->val[10]) != 0 ||
        qjson_raw(o, "success_threshold", row->val[11]) != 0 ||
        qjson_time(o, "cert_expires_at", row->val[12]) != 0 ||
        qjson_raw(o, "cert_days_left", row->val[13]) != 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *check_json(const struct sqlq_row *row)
{
    cJSON *o = cJSON_CreateObject();

    if (!o || qjson_raw(o, "run_id", row->val[0]) != 0 ||
        qjson_time(o, "checked_at", row->val[1]) != 0 ||
        qjson_bool(o, "success", row->val[2]) != 0 ||
        qjson_raw(o, "http_status", row->val[3]) != 0 ||
        qjson_raw(o, "response_ms", row->val[4]) != 0 || qjson_raw(o, "dns_ms", row->val[5]) != 0 ||
        qjson_raw(o, "connect_ms", row->val[6]) != 0 || qjson_raw(o, "tls_ms", row->val[7]) != 0 ||
        qjson_raw(o, "ttfb_ms", row->val[8]) != 0 ||
        qjson_str(o, "error_class", row->val[9]) != 0 ||
        qjson_str(o, "error_message", row->val[10]) != 0 ||
        qjson_bool(o, "regex_matched", row->val[11]) != 0 ||
        qjson_str(o, "regex_match", row->val[12]) != 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Collects up to `limit` items into an array and remembers the key of the last one
 * (column key_col) and whether one more row exists. */
int query_page_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    struct page *p = arg;
    cJSON *item;

    if (++p->seen > p->limit)
        return 0; /* the probe row: there is a next page */
    if (!(item = p->to_json(row)) || !cJSON_AddItemToArray(p->items, item)) {
        cJSON_Delete(item);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(p->last, sizeof(p->last), "%s", row->val[p->key_col] ? row->val[p->key_col] : "0");
    return 0;
}

int query_page_finish(struct qctx *q, struct page *p, const char *cursor_name)
{
    q->status = 200;
    if (!(q->root = cJSON_CreateObject()))
        return oom(q);
    cJSON_AddItemToObject(q->root, "items", p->items);
    p->items = NULL;
    if (p->seen > p->limit ? qjson_str(q->root, cursor_name, p->last) != 0
                           : qjson_str(q->root, cursor_name, NULL) != 0)
        return oom(q);
    return QRES_OK;
}

int query_list(struct qctx *q)
{
    struct page p = {.to_json = url_json, .limit = q->r->limit};
    uint64_t after = q->r->cursor;
    int active = q->r->active, probe = (int)q->r->limit + 1, rc;
    MYSQL_BIND b[3];

    if (!(p.items = cJSON_CreateArray()))
        return oom(q);
    if (active >= 0) {
        sqlq_bind_int(&b[0], &active);
        sqlq_bind_u64(&b[1], &after);
        sqlq_bind_int(&b[2], &probe);
        rc = sqlq_run(q->conn, list_active_sql, b, 3, query_page_row, &p, NULL, q->err,
                      sizeof(q->err));
    } else {
        sqlq_bind_u64(&b[0], &after);
        sqlq_bind_int(&b[1], &probe);
        rc = sqlq_run(q->conn, list_sql, b, 2, query_page_row, &p, NULL, q->err, sizeof(q->err));
    }
    if (rc == 0)
        rc = query_page_finish(q, &p, "next_cursor");
    cJSON_Delete(p.items);
    return rc;
}

/* Reads one URL row into *obj (NULL when there is none). */
struct one {
    cJSON *obj;
};

static int one_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    struct one *o = arg;

    if (o->obj)
        return 0;
    if (!(o->obj = url_json(row))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int query_url_exists(struct qctx *q)
{
    struct one o = {NULL};
    int rc = load_url(q, &o);

    if (rc == 0)
        rc = o.obj ? 1 : 0;
    cJSON_Delete(o.obj);
    return rc;
}

static int load_url(struct qctx *q, struct one *o)
{
    uint64_t id = q->r->url_id;
    MYSQL_BIND b[1];

    sqlq_bind_u64(&b[0], &id);
    return sqlq_run(q->conn, one_sql, b, 1, one_row, o, NULL, q->err, sizeof(q->err));
}

static int latest_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    cJSON **out = arg;

    if (!(*out = check_json(row))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

struct times {
    uint32_t *v;
    size_t n, cap;
};

static int time_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    struct times *t = arg;

    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        uint32_t *v = realloc(t->v, cap * sizeof(*v));
        if (!v) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = row->val[0] ? (uint32_t)strtoul(row->val[0], NULL, 10) : 0;
    return 0;
}

/* Nearest-rank percentile of sorted values. */
static int add_percentiles(cJSON *o, const struct times *t)
{
    static const struct {
        const char *name;
        unsigned pct;
    } ps[] = {{"p50", 50}, {"p95", 95}};
    size_t i;

    for (i = 0; i < ARRAY_LEN(ps); i++) {
        if (t->n == 0) {
            if (!cJSON_AddNullToObject(o, ps[i].name))
                return -1;
        } else {
            size_t rank = (t->n * ps[i].pct + 99) / 100;
            if (!cJSON_AddNumberToObject(o, ps[i].name, t->v[rank ? rank - 1 : 0]))
                return -1;
        }
    }
    return cJSON_AddNumberToObject(o, "samples", (double)t->n) ? 0 : -1;
}

static int add_uptime(struct qctx *q, cJSON *o)
{
    static const struct {
        const char *name;
        int64_t span;
    } spans[] = {{"24h", WINDOW_DAY_MS}, {"7d", 7 * WINDOW_DAY_MS}, {"30d", 30 * WINDOW_DAY_MS}};
    cJSON *u = cJSON_AddObjectToObject(o, "uptime");
    size_t i;
    int rc;

    if (!u)
        return oom(q);
    for (i = 0; i < ARRAY_LEN(spans); i++) {
        uint64_t s = 0, f = 0;
        if ((rc = query_window_counts(q, q->r->url_id, spans[i].span, &s, &f)) != 0)
            return rc;
        if (s + f == 0
                ? !cJSON_AddNullToObject(u, spans[i].name)
                : !cJSON_AddNumberToObject(u, spans[i].name,
                                           round(100000.0 * (double)s / (double)(s + f)) / 1000))
            return oom(q);
    }
    return QRES_OK;
}

int query_detail(struct qctx *q)
{
    struct one o = {NULL};
    struct times t = {NULL, 0, 0};
    cJSON *latest = NULL, *rt;
    uint64_t id = q->r->url_id;
    MYSQL_TIME since;
    MYSQL_BIND b[2];
    int rc;

    if ((rc = load_url(q, &o)) != 0)
        goto out;
    if (!o.obj) {
        rc = qjson_error(q, 404, "id: no such URL");
        goto out;
    }
    sqlq_bind_u64(&b[0], &id);
    if ((rc = sqlq_run(q->conn, latest_sql, b, 1, latest_row, &latest, NULL, q->err,
                       sizeof(q->err))) != 0)
        goto out;
    cJSON_AddItemToObject(o.obj, "latest_check", latest ? latest : cJSON_CreateNull());
    latest = NULL;
    if ((rc = add_uptime(q, o.obj)) != 0)
        goto out;
    sqlq_time(q->now_ms - WINDOW_DAY_MS, false, &since);
    sqlq_bind_u64(&b[0], &id);
    sqlq_bind_time(&b[1], &since);
    if ((rc = sqlq_run(q->conn, times_sql, b, 2, time_row, &t, NULL, q->err, sizeof(q->err))) != 0)
        goto out;
    if (!(rt = cJSON_AddObjectToObject(o.obj, "response_ms_24h")) || add_percentiles(rt, &t) != 0) {
        rc = oom(q);
        goto out;
    }
    q->status = 200;
    q->root = o.obj;
    o.obj = NULL;
    rc = QRES_OK;
out:
    free(t.v);
    cJSON_Delete(latest);
    cJSON_Delete(o.obj);
    return rc;
}

int query_checks(struct qctx *q)
{
    struct page p = {.to_json = check_json, .limit = q->r->limit, .key_col = 13};
    struct one o = {NULL};
    uint64_t id = q->r->url_id, before = q->r->cursor;
    int probe = (int)q->r->limit + 1, rc;
    MYSQL_BIND b[3];

    if ((rc = load_url(q, &o)) != 0)
        goto out;
    if (!o.obj) {
        rc = qjson_error(q, 404, "id: no such URL");
        goto out;
    }
    if (!(p.items = cJSON_CreateArray())) {
        rc = oom(q);
        goto out;
    }
    sqlq_bind_u64(&b[0], &id);
    if (before) {
        sqlq_bind_u64(&b[1], &before);
        sqlq_bind_int(&b[2], &probe);
        rc = sqlq_run(q->conn, checks_before_sql, b, 3, query_page_row, &p, NULL, q->err,
                      sizeof(q->err));
    } else {
        sqlq_bind_int(&b[1], &probe);
        rc = sqlq_run(q->conn, checks_sql, b, 2, query_page_row, &p, NULL, q->err, sizeof(q->err));
    }
    if (rc != 0)
        goto out;
    rc = query_page_finish(q, &p, "next_before");
out:
    cJSON_Delete(p.items);
    cJSON_Delete(o.obj);
    return rc;
}

int query_deactivate(struct qctx *q)
{
    struct one o = {NULL};
    uint64_t id = q->r->url_id, matched = 0;
    MYSQL_BIND b[1];
    int rc;

    sqlq_bind_u64(&b[0], &id);
    if ((rc = sqlq_run(q->conn, deactivate_sql, b, 1, NULL, NULL, &matched, q->err,
                       sizeof(q->err))) != 0)
        goto out;
    if (matched == 0) {
        rc = qjson_error(q, 404, "id: no such URL");
        goto out;
    }
    if ((rc = load_url(q, &o)) != 0)
        goto out;
    if (!o.obj) {
        rc = qjson_error(q, 404, "id: no such URL");
        goto out;
    }
    q->status = 200;
    q->root = o.obj;
    o.obj = NULL;
out:
    cJSON_Delete(o.obj);
    return rc;
}

/* PUT/PATCH: one UPDATE of the columns the body names (urlpatch.h), then the URL as
 * GET /urls/{id} shows it. Running it twice leaves the same row (safe to retry). */
int query_update(struct qctx *q)
{
    MYSQL_BIND b[URLPATCH_MAX_FIELDS + 1];
    uint64_t id = q->r->url_id, matched = 0;
    unsigned n = urlpatch_count(q->patch);
    char sql[512];
    int rc;

    if (n > 0) {
        if (urlpatch_sql(q->patch, sql, sizeof(sql)) != 0) {
            snprintf(q->err, sizeof(q->err), "the UPDATE does not fit %zu bytes", sizeof(sql));
            return QRES_ERR;
        }
        urlpatch_bind(q->patch, b);
        sqlq_bind_u64(&b[n], &id);
        if ((rc = sqlq_run(q->conn, sql, b, n + 1, NULL, NULL, &matched, q->err, sizeof(q->err))) !=
            0)
            return rc;
        if (matched == 0)
            return qjson_error(q, 404, "id: no such URL");
    }
    return query_detail(q);
}
