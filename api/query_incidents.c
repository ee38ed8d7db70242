/* api/query_incidents.c: GET /incidents, GET /urls/{id}/incidents (newest first, paged
 * by id like the other lists) and the alerting lines of /metrics. */
#include "query_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INC_COLS                                                                                   \
    "SELECT id, url_id, kind, url, name, opened_at, detected_at, closed_at,"                       \
    " TIMESTAMPDIFF(SECOND, opened_at, COALESCE(closed_at, UTC_TIMESTAMP(3))), error_class,"       \
    " error_message, http_status, cert_expires_at FROM incidents WHERE id < ?"
#define INC_TAIL " ORDER BY id DESC LIMIT ?"
#define OPEN " AND closed_at IS NULL"
#define CLOSED " AND closed_at IS NOT NULL"
#define PER_URL " AND url_id = ?"

/* [per_url][enum route_istate] */
static const char *const list_sql[2][3] = {
    {INC_COLS INC_TAIL, INC_COLS OPEN INC_TAIL, INC_COLS CLOSED INC_TAIL},
    {INC_COLS PER_URL INC_TAIL, INC_COLS PER_URL OPEN INC_TAIL, INC_COLS PER_URL CLOSED INC_TAIL},
};

static cJSON *incident_json(const struct sqlq_row *row)
{
    cJSON *o = cJSON_CreateObject();
    bool down = row->val[2] && strcmp(row->val[2], "down") == 0;

    if (!o || qjson_raw(o, "id", row->val[0]) != 0 || qjson_raw(o, "url_id", row->val[1]) != 0 ||
        qjson_str(o, "kind", row->val[2]) != 0 || qjson_str(o, "url", row->val[3]) != 0 ||
        qjson_str(o, "name", row->val[4]) != 0 ||
        qjson_str(o, "state", row->val[7] ? "closed" : "open") != 0 ||
        qjson_time(o, "opened_at", row->val[5]) != 0 ||
        qjson_time(o, "detected_at", row->val[6]) != 0 ||
        qjson_time(o, "closed_at", row->val[7]) != 0 ||
        qjson_raw(o, "duration_s", row->val[8]) != 0 ||
        qjson_str(o, "error_class", down ? row->val[9] : NULL) != 0 ||
        qjson_str(o, "error_message", row->val[10]) != 0 ||
        qjson_raw(o, "http_status", row->val[11]) != 0 ||
        qjson_time(o, "cert_expires_at", row->val[12]) != 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int query_incidents(struct qctx *q, bool per_url)
{
    struct page p = {.to_json = incident_json, .limit = q->r->limit};
    uint64_t before = q->r->cursor ? q->r->cursor : UINT64_MAX, id = q->r->url_id;
    int probe = (int)q->r->limit + 1, rc;
    unsigned nb = 0;
    MYSQL_BIND b[3];

    if (per_url && (rc = query_url_exists(q)) != 1)
        return rc == 0 ? qjson_error(q, 404, "id: no such URL") : rc;
    if (!(p.items = cJSON_CreateArray())) {
        snprintf(q->err, sizeof(q->err), "out of memory");
        return QRES_ERR;
    }
    sqlq_bind_u64(&b[nb++], &before);
    if (per_url)
        sqlq_bind_u64(&b[nb++], &id);
    sqlq_bind_int(&b[nb++], &probe);
    rc = sqlq_run(q->conn, list_sql[per_url ? 1 : 0][q->r->istate], b, nb, query_page_row, &p, NULL,
                  q->err, sizeof(q->err));
    if (rc == 0)
        rc = query_page_finish(q, &p, "next_cursor");
    cJSON_Delete(p.items);
    return rc;
}

/* ---- /metrics ------------------------------------------------------------------- */

struct text {
    char *s;
    size_t len, cap;
    bool oom;
};

static void add(struct text *t, const char *fmt, const char *a, const char *b, const char *c)
{
    char line[512];
    int n = snprintf(line, sizeof(line), fmt, a ? a : "", b ? b : "0", c ? c : "0");

    if (n < 0 || (size_t)n >= sizeof(line) || t->oom)
        return;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        char *s;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        if (!(s = realloc(t->s, cap))) {
            t->oom = true;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, line, (size_t)n + 1);
    t->len += (size_t)n;
}

static int by_state(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    add(arg, "urlmon_urls{state=\"%s\"} %s\n", row->val[0], row->val[1], NULL);
    return 0;
}

static int by_kind(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    add(arg, "urlmon_incidents_opened_total{kind=\"%s\"} %s\n", row->val[0], row->val[1], NULL);
    add(arg, "urlmon_incidents_closed_total{kind=\"%s\"} %s\n", row->val[0], row->val[2], NULL);
    return 0;
}

static int by_outbox(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    add(arg, "urlmon_alert_events{state=\"%s\"} %s\n", row->val[0], row->val[1], NULL);
    if (row->val[0] && strcmp(row->val[0], "failed") == 0)
        add(arg, "%surlmon_alert_delivery_failures_total %s\n", "", row->val[1], NULL);
    return 0;
}

static int by_cert(void *arg, const struct sqlq_row *row, char *err, size_t errlen)
{
    add(arg, "urlmon_cert_days_left{url_id=\"%s\"} %s\n", row->val[0], row->val[1], NULL);
    return 0;
}

int query_alert_metrics(struct qctx *q)
{
    static const struct {
        const char *head, *sql;
        sqlq_row_cb fn;
    } parts[] = {
        {"# HELP urlmon_urls URLs by alerting state (deactivated URLs are unknown).\n"
         "# TYPE urlmon_urls gauge\n",
         "SELECT IF(active = 1, state, 'unknown') s, COUNT(*) FROM urls GROUP BY s ORDER BY s",
         by_state},
        {"# HELP urlmon_incidents_opened_total Incidents opened (kind down or cert_expiring).\n"
         "# TYPE urlmon_incidents_opened_total counter\n"
         "# HELP urlmon_incidents_closed_total Incidents closed.\n"
         "# TYPE urlmon_incidents_closed_total counter\n",
         "SELECT kind, COUNT(*), SUM(closed_at IS NOT NULL) FROM incidents GROUP BY kind"
         " ORDER BY kind",
         by_kind},
        {"# HELP urlmon_alert_events Alert events in the outbox by delivery state.\n"
         "# TYPE urlmon_alert_events gauge\n"
         "# HELP urlmon_alert_delivery_failures_total Events given up (refused or retries ran"
         " out).\n# TYPE urlmon_alert_delivery_failures_total counter\n",
         "SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state", by_outbox},
        {"# HELP urlmon_cert_days_left Whole days until an https URL's certificate expires"
         " (the 1000 soonest).\n# TYPE urlmon_cert_days_left gauge\n",
         "SELECT id, FLOOR(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), cert_expires_at) / 86400)"
         " FROM urls WHERE active = 1 AND cert_expires_at IS NOT NULL ORDER BY cert_expires_at"
         " LIMIT 1000",
         by_cert},
    };
    struct text t = {NULL, 0, 0, false};
    size_t i;
    int rc = QRES_OK;

    for (i = 0; i < ARRAY_LEN(parts) && rc == QRES_OK; i++) {
        add(&t, "%s", parts[i].head, NULL, NULL);
        rc =
            sqlq_run(q->conn, parts[i].sql, NULL, 0, parts[i].fn, &t, NULL, q->err, sizeof(q->err));
    }
    if (rc == QRES_OK) {
        q->status = 200;
        if (t.oom || !(q->root = cJSON_CreateObject()) ||
            !cJSON_AddStringToObject(q->root, "text", t.s ? t.s : "")) {
            snprintf(q->err, sizeof(q->err), "out of memory");
            rc = QRES_ERR;
        }
    }
    free(t.s);
    return rc;
}
