/* api/query.c: dispatch on a worker thread, the windowed statistics and JSON helpers. */
#include "query_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonx.h"
#include "log.h"
#include "tally.h"
#include "u64map.h"
#include "window.h"

#define ACQUIRE_TIMEOUT_MS 3000
#define TOP_N 10
/* Choosing between joining the candidates and walking urls in name order (query_top):
 * joining ~2,400 candidates through JSON_TABLE took 6.3 ms at 10,000 URLs, a walk of 64
 * index entries 0.1-0.3 ms. */
#define JOIN_MAX_TIED 256
#define WALK_MAX_ROWS 512

/* Names for the top list: the candidate (url_id, count) pairs go in as one JSON
 * parameter; MySQL joins urls and orders by count, then name, then url in the columns'
 * own collation, so ties are broken exactly as documented. */
static const char names_sql[] =
    "SELECT u.name, u.url, j.cnt FROM JSON_TABLE(?, '$[*]' COLUMNS ("
    " id BIGINT UNSIGNED PATH '$[0]', cnt BIGINT UNSIGNED PATH '$[1]')) AS j"
    " JOIN urls u ON u.id = j.id ORDER BY j.cnt DESC, u.name, u.url LIMIT 10";

/* The first URLs by name, url (all of them, active or not: history counts). */
static const char walk_sql[] = "SELECT id, name, url FROM urls ORDER BY name, url LIMIT ?";

static const char summary_sql[] =
    "SELECT COALESCE(SUM(s), 0), COALESCE(SUM(f), 0) FROM ("
    " SELECT SUM(success = 1) AS s, SUM(success = 0) AS f FROM checks"
    "  WHERE checked_at >= ? AND checked_at < ?"
    " UNION ALL SELECT SUM(success_count), SUM(fail_count) FROM rollup_hourly_total"
    "  WHERE bucket >= ?"
    ") p";

/* The same when the window starts in the first half of an hour: from that whole hour
 * on, minus the raw checks of the hour before the start (the smaller side of the hour;
 * rollup_hourly_total counts exactly the checks of each hour, written in the same
 * transaction). GREATEST only guards against inconsistent data. */
static const char summary_sub_sql[] =
    "SELECT GREATEST(COALESCE(SUM(s), 0), 0), GREATEST(COALESCE(SUM(f), 0), 0) FROM ("
    " SELECT -SUM(success = 1) AS s, -SUM(success = 0) AS f FROM checks"
    "  WHERE checked_at >= ? AND checked_at < ?"
    " UNION ALL SELECT SUM(success_count), SUM(fail_count) FROM rollup_hourly_total"
    "  WHERE bucket >= ?"
    ") p";

static const char url_window_sql[] =
    "SELECT COALESCE(SUM(s), 0), COALESCE(SUM(f), 0) FROM ("
    " SELECT SUM(success = 1) AS s, SUM(success = 0) AS f FROM checks"
    "  WHERE url_id = ? AND checked_at >= ? AND checked_at < ?"
    " UNION ALL SELECT success_count, fail_count FROM rollup_hourly"
    "  WHERE url_id = ? AND bucket >= ? AND bucket < ?"
    " UNION ALL SELECT success_count, fail_count FROM rollup_daily"
    "  WHERE url_id = ? AND bucket >= ?"
    ") p";

int qjson_raw(cJSON *obj, const char *name, const char *digits)
{
    if (!digits)
        return cJSON_AddNullToObject(obj, name) ? 0 : -1;
    return cJSON_AddRawToObject(obj, name, digits) ? 0 : -1;
}

int qjson_str(cJSON *obj, const char *name, const char *s)
{
    if (!s)
        return cJSON_AddNullToObject(obj, name) ? 0 : -1;
    return cJSON_AddStringToObject(obj, name, s) ? 0 : -1;
}

int qjson_time(cJSON *obj, const char *name, const char *mysql_text)
{
    char iso[48];

    if (!mysql_text)
        return cJSON_AddNullToObject(obj, name) ? 0 : -1;
    sqlq_iso8601(mysql_text, iso, sizeof(iso));
    return cJSON_AddStringToObject(obj, name, iso) ? 0 : -1;
}

int qjson_bool(cJSON *obj, const char *name, const char *digit)
{
    if (!digit)
        return cJSON_AddNullToObject(obj, name) ? 0 : -1;
    return cJSON_AddBoolToObject(obj, name, strcmp(digit, "0") != 0) ? 0 : -1;
}

int qjson_error(struct qctx *q, int status, const char *msg)
{
    cJSON_Delete(q->root);
    q->status = status;
    if (!(q->root = cJSON_CreateObject()) || qjson_str(q->root, "error", msg) != 0) {
        snprintf(q->err, sizeof(q->err), "out of memory");
        return QRES_ERR;
    }
    return QRES_OK;
}

/* Appends {"name", "url", "count"} (count: decimal digits) to arr. */
static int add_top_item(cJSON *arr, const char *name, const char *url, const char *count, char *err,
                        size_t errlen)
{
    cJSON *item = NULL;

    if (!(item = cJSON_CreateObject()) || qjson_str(item, "name", name) != 0 ||
        qjson_str(item, "url", url) != 0 || qjson_raw(item, "count", count) != 0 ||
        !cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int top_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    return add_top_item(arg, row->val[0], row->val[1], row->val[2], err, errlen);
}

/* The TOP_N-th largest positive count (the smallest in the top list), 0 when none. */
static uint64_t top_threshold(const uint64_t *cnt, size_t n)
{
    uint64_t heap[TOP_N]; /* min-heap of the largest counts seen */
    size_t used = 0, i;

    for (i = 0; i < n; i++) {
        uint64_t v = cnt[i];
        size_t k = 0;
        if (v == 0 || (used == TOP_N && v <= heap[0]))
            continue;
        if (used < TOP_N) {
            k = used++;
            while (k > 0 && heap[(k - 1) / 2] > v) {
                heap[k] = heap[(k - 1) / 2];
                k = (k - 1) / 2;
            }
            heap[k] = v;
            continue;
        }
        for (;;) { /* replace the root and sift down */
            size_t c = 2 * k + 1;
            if (c >= TOP_N)
                break;
            if (c + 1 < TOP_N && heap[c + 1] < heap[c])
                c++;
            if (heap[c] >= v)
                break;
            heap[k] = heap[c];
            k = c;
        }
        heap[k] = v;
    }
    return used ? heap[0] : 0;
}

/* "[[id,count],...]" of the URLs with count >= lo; malloc'd. */
static char *candidates_json(const struct tally_counts *c, const uint64_t *cnt, uint64_t lo,
                             size_t *len)
{
    char *text = NULL;
    size_t n = 0, i;
    FILE *f = open_memstream(&text, &n);
    bool first = true;

    if (!f)
        return NULL;
    fputc('[', f);
    for (i = 0; i < c->n; i++) {
        if (cnt[i] == 0 || cnt[i] < lo)
            continue;
        fprintf(f, "%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",", c->ids[i], cnt[i]);
        first = false;
    }
    fputc(']', f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    *len = n;
    return text;
}

/* Appends, in MySQL's order (count, name, url), the URLs with count >= lo. */
static int top_by_ids(struct qctx *q, const struct tally_counts *c, const uint64_t *cnt,
                      uint64_t lo)
{
    unsigned long blen;
    MYSQL_BIND b[1];
    size_t len = 0;
    char *json = candidates_json(c, cnt, lo, &len);
    int rc;

    if (!json) {
        snprintf(q->err, sizeof(q->err), "out of memory");
        return QRES_ERR;
    }
    blen = (unsigned long)len;
    memset(b, 0, sizeof(b));
    b[0].buffer_type = MYSQL_TYPE_STRING;
    b[0].buffer = json;
    b[0].buffer_length = blen;
    b[0].length = &blen;
    rc = sqlq_run(q->conn, names_sql, b, 1, top_row, q->root, NULL, q->err, sizeof(q->err));
    free(json);
    return rc;
}

struct walk {
    const struct tally_counts *c;
    const uint64_t *cnt;
    uint64_t t;
    size_t need, got, rows;
    cJSON *items;
};

static int walk_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    struct walk *w = arg;
    char digits[24];
    size_t i;

    w->rows++;
    if (w->got >= w->need || !row->val[0] ||
        u64map_find(w->c->index, strtoull(row->val[0], NULL, 10), &i) != 0 || w->cnt[i] != w->t)
        return 0;
    snprintf(digits, sizeof(digits), "%" PRIu64, w->t);
    if (add_top_item(w->items, row->val[1], row->val[2], digits, err, errlen) != 0)
        return -1;
    w->got++;
    return 0;
}

/* Appends the first `need` URLs (by name, url) whose count is exactly t, reading urls in
 * that order a growing prefix at a time. Used when t is shared by a large share of the
 * URLs (the usual case: every healthy URL has the same count), where it reads a few dozen
 * rows instead of joining thousands of candidates. */
static int top_by_walk(struct qctx *q, const struct tally_counts *c, const uint64_t *cnt,
                       uint64_t t, size_t need)
{
    struct walk w = {c, cnt, t, need, 0, 0, NULL};
    int limit = 64, rc;
    MYSQL_BIND b[1];
    cJSON *item;

    for (;;) {
        w.got = w.rows = 0;
        cJSON_Delete(w.items);
        if (!(w.items = cJSON_CreateArray())) {
            snprintf(q->err, sizeof(q->err), "out of memory");
            return QRES_ERR;
        }
        sqlq_bind_int(&b[0], &limit);
        if ((rc = sqlq_run(q->conn, walk_sql, b, 1, walk_row, &w, NULL, q->err, sizeof(q->err))) !=
            0)
            break;
        if (w.got >= need || w.rows < (size_t)limit || limit > (1 << 24)) {
            while ((item = cJSON_DetachItemFromArray(w.items, 0)))
                cJSON_AddItemToArray(q->root, item);
            break;
        }
        limit *= 8;
    }
    cJSON_Delete(w.items);
    return rc;
}

int query_top(struct qctx *q, enum route_span span)
{
    int64_t span_ms = span == ROUTE_SPAN_HOUR   ? QUERY_SPAN_HOUR_MS
                      : span == ROUTE_SPAN_WEEK ? QUERY_SPAN_WEEK_MS
                                                : QUERY_SPAN_MONTH_MS;
    struct tally_counts c;
    const uint64_t *cnt;
    uint64_t t;
    size_t above = 0, tied = 0, i;
    int rc = QRES_ERR;

    if (tally_counts_init(&c) != 0 || !(q->root = cJSON_CreateArray())) {
        snprintf(q->err, sizeof(q->err), "out of memory");
        goto out;
    }
    q->status = 200;
    if ((rc = tally_window(q->tally, q->conn, q->now_ms, span_ms, &c, q->err, sizeof(q->err))) != 0)
        goto out;
    cnt = q->r->status == ROUTE_STATUS_FAIL ? c.fail : c.succ;
    if ((t = top_threshold(cnt, c.n)) == 0)
        goto out; /* no URL has a check of that status: [] */
    for (i = 0; i < c.n; i++) {
        above += cnt[i] > t;
        tied += cnt[i] == t;
    }
    /* Join all candidates when they are few; else the tied ones come from the walk, which
     * reads about (TOP_N - above) * n / tied rows of ix_urls_name_url: cheap unless ties
     * are rare. A quarter or more of the URLs tied always walks (at most ~40 rows). */
    if (tied + above <= TOP_N ||
        (tied * 4 < c.n &&
         (tied <= JOIN_MAX_TIED || (TOP_N - above) * c.n > WALK_MAX_ROWS * tied))) {
        rc = top_by_ids(q, &c, cnt, t);
        goto out;
    }
    if (above && (rc = top_by_ids(q, &c, cnt, t + 1)) != 0)
        goto out;
    rc = top_by_walk(q, &c, cnt, t, TOP_N - above);
out:
    tally_counts_free(&c);
    return rc;
}

struct two_counts {
    uint64_t a, b;
};

static int counts_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    struct two_counts *c = arg;

    c->a = row->ncols > 0 && row->val[0] ? strtoull(row->val[0], NULL, 10) : 0;
    c->b = row->ncols > 1 && row->val[1] ? strtoull(row->val[1], NULL, 10) : 0;
    return 0;
}

static int add_status_count(cJSON *arr, const char *status, uint64_t n)
{
    cJSON *item = cJSON_CreateObject();
    char digits[24];

    snprintf(digits, sizeof(digits), "%" PRIu64, n);
    if (!item || qjson_str(item, "status", status) != 0 || qjson_raw(item, "count", digits) != 0 ||
        !cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}

int query_summary(struct qctx *q)
{
    struct two_counts c = {0, 0};
    const char *sql = summary_sql;
    MYSQL_TIME t[3];
    MYSQL_BIND b[3];
    struct window w;
    int64_t floor_ms;
    int rc, i;

    window_split(q->now_ms, QUERY_SPAN_MONTH_MS, &w);
    floor_ms = window_floor(w.start_ms, WINDOW_HOUR_MS);
    if (w.start_ms - floor_ms < WINDOW_HOUR_MS / 2 && floor_ms < w.start_ms) {
        /* first half of the hour: [floor, start) has fewer raw checks than [start, hour) */
        sql = summary_sub_sql;
        sqlq_time(floor_ms, false, &t[0]);
        sqlq_time(w.start_ms, false, &t[1]);
        sqlq_time(floor_ms, false, &t[2]);
    } else {
        sqlq_time(w.start_ms, false, &t[0]);
        sqlq_time(w.hour_ms, false, &t[1]);
        sqlq_time(w.hour_ms, false, &t[2]);
    }
    for (i = 0; i < 3; i++)
        sqlq_bind_time(&b[i], &t[i]);
    if ((rc = sqlq_run(q->conn, sql, b, 3, counts_row, &c, NULL, q->err, sizeof(q->err))) != 0)
        return rc;
    q->status = 200;
    if (!(q->root = cJSON_CreateArray()) || add_status_count(q->root, "success", c.a) != 0 ||
        add_status_count(q->root, "fail", c.b) != 0) {
        snprintf(q->err, sizeof(q->err), "out of memory");
        return QRES_ERR;
    }
    return QRES_OK;
}

int query_window_counts(struct qctx *q, uint64_t url_id, int64_t span_ms, uint64_t *succ,
                        uint64_t *fail)
{
    struct two_counts c = {0, 0};
    MYSQL_TIME t[5];
    MYSQL_BIND b[8];
    struct window w;
    int rc;

    window_split(q->now_ms, span_ms, &w);
    sqlq_time(w.start_ms, false, &t[0]);
    sqlq_time(w.hour_ms, false, &t[1]);
    sqlq_time(w.hour_ms, false, &t[2]);
    sqlq_time(w.day_ms, false, &t[3]);
    sqlq_time(w.day_ms, true, &t[4]);
    sqlq_bind_u64(&b[0], &url_id);
    sqlq_bind_time(&b[1], &t[0]);
    sqlq_bind_time(&b[2], &t[1]);
    sqlq_bind_u64(&b[3], &url_id);
    sqlq_bind_time(&b[4], &t[2]);
    sqlq_bind_time(&b[5], &t[3]);
    sqlq_bind_u64(&b[6], &url_id);
    sqlq_bind_time(&b[7], &t[4]);
    rc = sqlq_run(q->conn, url_window_sql, b, 8, counts_row, &c, NULL, q->err, sizeof(q->err));
    *succ = c.a;
    *fail = c.b;
    return rc;
}

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
    case QUERY_PING:
        return ping(q);
    case QUERY_DASH_URLS:
        return dashq_urls(q);
    case QUERY_DASH_URL:
        return dashq_url(q);
    case QUERY_DASH_PCT:
        return dashq_percentiles(q);
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
               int64_t now_ms, struct query_out *out)
{
    struct qctx q;
    struct timespec t0;
    int attempt, rc = QRES_CONN;

    memset(out, 0, sizeof(*out));
    memset(&q, 0, sizeof(q));
    q.r = r;
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
