/* compute/alertwrite.c: see alertwrite.h. */
#include "alertwrite.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchsql.h"
#include "clock.h"
#include "log.h"
#include "urlstate.h"

#define IDS_PER_SELECT 1000

struct arow {
    struct urlstate_row s;
    uint64_t incident_id, cert_incident_id; /* open ones, 0 = none */
    bool dirty;
};

struct aw {
    MYSQL *conn;
    struct sqlbuf *buf;
    const struct alert_rules *rules;
    uint64_t run_id;
    struct arow *rows; /* sorted by url id */
    size_t nrows;
    struct alertwrite_stats st;
    char *err;
    size_t errlen;
};

void alertwrite_rules_from_config(struct alert_rules *rules, const struct config *cfg)
{
    rules->fail_threshold = cfg->fail_threshold;
    rules->success_threshold = cfg->success_threshold;
    rules->cert_days = cfg->cert_expiry_days;
}

static int oom(struct aw *a)
{
    snprintf(a->err, a->errlen, "out of memory");
    return -1;
}

static int run_sql(struct aw *a)
{
    if (mysql_real_query(a->conn, sqlbuf_str(a->buf), sqlbuf_len(a->buf)) != 0) {
        snprintf(a->err, a->errlen, "%s", mysql_error(a->conn));
        return -1;
    }
    return 0;
}

static int cmp_result(const void *x, const void *y)
{
    const struct check_result *const *a = x, *const *b = y;

    if ((*a)->url_id != (*b)->url_id)
        return (*a)->url_id < (*b)->url_id ? -1 : 1;
    if ((*a)->checked_at_ms != (*b)->checked_at_ms)
        return (*a)->checked_at_ms < (*b)->checked_at_ms ? -1 : 1;
    return 0;
}

static struct arow *find_row(struct aw *a, uint64_t id)
{
    size_t lo = 0, hi = a->nrows;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->rows[mid].s.url_id == id)
            return &a->rows[mid];
        if (a->rows[mid].s.url_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static uint64_t num(const char *s)
{
    return s ? strtoull(s, NULL, 10) : 0;
}

static const char row_cols[] =
    "SELECT id, state, consec_fail, consec_ok, COALESCE(fail_threshold, 0),"
    " COALESCE(success_threshold, 0),"
    " COALESCE(CAST(UNIX_TIMESTAMP(state_since) * 1000 AS SIGNED), 0),"
    " COALESCE(CAST(UNIX_TIMESTAMP(state_checked_at) * 1000 AS SIGNED), 0),"
    " COALESCE(UNIX_TIMESTAMP(cert_expires_at), 0), COALESCE(incident_id, 0),"
    " COALESCE(cert_incident_id, 0) FROM urls WHERE id IN (";

static int read_rows(struct aw *a, const struct check_result **sorted, size_t n)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    size_t i = 0, ids;
    uint64_t last;
    int rc = -1;

    while (i < n) {
        sqlbuf_reset(a->buf);
        if (sqlbuf_append(a->buf, row_cols) != 0)
            return oom(a);
        for (ids = 0, last = 0; i < n && ids < IDS_PER_SELECT; i++) {
            if (sorted[i]->url_id == last)
                continue;
            last = sorted[i]->url_id;
            if (sqlbuf_printf(a->buf, "%s%" PRIu64, ids++ ? "," : "", last) != 0)
                return oom(a);
        }
        if (sqlbuf_append(a->buf, ") ORDER BY id FOR UPDATE") != 0)
            return oom(a);
        if (run_sql(a) != 0 || !(res = mysql_store_result(a->conn))) {
            snprintf(a->err, a->errlen, "reading URL state: %s", mysql_error(a->conn));
            goto out;
        }
        while ((row = mysql_fetch_row(res))) {
            struct arow *r = &a->rows[a->nrows++];
            unsigned ft = (unsigned)num(row[4]), st = (unsigned)num(row[5]);
            memset(r, 0, sizeof(*r));
            r->s.url_id = num(row[0]);
            r->s.state = urlstate_parse(row[1]);
            r->s.consec_fail = (unsigned)num(row[2]);
            r->s.consec_ok = (unsigned)num(row[3]);
            r->s.fail_threshold = ft ? ft : a->rules->fail_threshold;
            r->s.success_threshold = st ? st : a->rules->success_threshold;
            r->s.since_ms = (int64_t)num(row[6]);
            r->s.checked_at_ms = (int64_t)num(row[7]);
            r->s.cert_expires_s = (int64_t)num(row[8]);
            r->incident_id = num(row[9]);
            r->cert_incident_id = num(row[10]);
            r->s.cert_warned = r->cert_incident_id != 0;
        }
        mysql_free_result(res);
        res = NULL;
    }
    rc = 0;
out:
    if (res)
        mysql_free_result(res);
    return rc;
}

static void sql_time_ms(int64_t ms, char *buf, size_t len)
{
    batchsql_datetime_ms(ms, buf, len);
}

/* The changed rows, in one UPDATE ... JOIN of a derived table per chunk. */
static int write_rows(struct aw *a)
{
    size_t i = 0, inchunk;
    char since[32], checked[32], cert[32];

    while (i < a->nrows) {
        sqlbuf_reset(a->buf);
        if (sqlbuf_append(a->buf, "UPDATE urls u JOIN (") != 0)
            return oom(a);
        for (inchunk = 0; i < a->nrows && sqlbuf_len(a->buf) < BATCHSQL_MAX_BYTES - 1024; i++) {
            const struct arow *r = &a->rows[i];
            if (!r->dirty)
                continue;
            sql_time_ms(r->s.since_ms, since, sizeof(since));
            sql_time_ms(r->s.checked_at_ms, checked, sizeof(checked));
            clock_utc_format(r->s.cert_expires_s * 1000, CLOCK_UTC_SQL, cert, sizeof(cert));
            if (sqlbuf_printf(a->buf,
                              "%sSELECT %" PRIu64 " AS id, '%s' AS st, %s%s%s AS since, '%s' AS"
                              " chk, %u AS cf, %u AS co, %s%s%s AS cert",
                              inchunk++ ? " UNION ALL " : "", r->s.url_id,
                              urlstate_name(r->s.state), r->s.since_ms ? "'" : "",
                              r->s.since_ms ? since : "NULL", r->s.since_ms ? "'" : "", checked,
                              r->s.consec_fail, r->s.consec_ok, r->s.cert_expires_s ? "'" : "",
                              r->s.cert_expires_s ? cert : "NULL",
                              r->s.cert_expires_s ? "'" : "") != 0)
                return oom(a);
        }
        if (inchunk == 0)
            break;
        if (sqlbuf_append(a->buf, ") v ON u.id = v.id SET u.state = v.st, u.state_since = v.since,"
                                  " u.state_checked_at = v.chk, u.consec_fail = v.cf,"
                                  " u.consec_ok = v.co, u.cert_expires_at = v.cert") != 0)
            return oom(a);
        if (run_sql(a) != 0)
            return -1;
    }
    return 0;
}

static const char *const event_names[] = {"incident_opened", "incident_closed", "cert_expiring",
                                          "cert_renewed"};
enum { EV_OPENED, EV_CLOSED, EV_CERT, EV_RENEWED };

static int add_event(struct aw *a, int type, uint64_t url_id, uint64_t incident_id)
{
    sqlbuf_reset(a->buf);
    if (sqlbuf_printf(a->buf,
                      "INSERT INTO outbox (event_id, type, url_id, incident_id, created_at,"
                      " next_at) VALUES ('urlmon-%" PRIu64 "-%s', '%s', %" PRIu64 ", %" PRIu64
                      ", UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
                      incident_id, event_names[type], event_names[type], url_id, incident_id) != 0)
        return oom(a);
    return run_sql(a);
}

static int set_url_incident(struct aw *a, const char *col, uint64_t url_id, uint64_t incident_id)
{
    sqlbuf_reset(a->buf);
    if (incident_id
            ? sqlbuf_printf(a->buf, "UPDATE urls SET %s = %" PRIu64 " WHERE id = %" PRIu64, col,
                            incident_id, url_id)
            : sqlbuf_printf(a->buf, "UPDATE urls SET %s = NULL WHERE id = %" PRIu64, col, url_id))
        return oom(a);
    return run_sql(a);
}

/* Down: the incident starts at the first failed check of the streak (the checks rows of
 * this batch are already in), carrying its error class, message and status. */
static int open_down(struct aw *a, struct arow *r, const struct check_result *res)
{
    char det[32];
    uint64_t id;

    sql_time_ms(res->checked_at_ms, det, sizeof(det));
    sqlbuf_reset(a->buf);
    if (sqlbuf_printf(a->buf,
                      "INSERT INTO incidents (url_id, kind, url, name, opened_at, detected_at,"
                      " open_run_id, error_class, error_message, http_status)"
                      " SELECT c.url_id, 'down', u.url, u.name, c.checked_at, '%s', %" PRIu64
                      ", c.error_class, c.error_message, c.http_status FROM checks c"
                      " JOIN urls u ON u.id = c.url_id WHERE c.url_id = %" PRIu64
                      " AND c.success = 0 AND c.checked_at <= '%s' AND c.checked_at > COALESCE("
                      "(SELECT MAX(s.checked_at) FROM checks s WHERE s.url_id = %" PRIu64
                      " AND s.success = 1 AND s.checked_at <= '%s'), '1000-01-01')"
                      " ORDER BY c.checked_at LIMIT 1",
                      det, a->run_id, r->s.url_id, det, r->s.url_id, det) != 0)
        return oom(a);
    if (run_sql(a) != 0)
        return -1;
    if (mysql_affected_rows(a->conn) != 1 || (id = mysql_insert_id(a->conn)) == 0) {
        snprintf(a->err, a->errlen, "URL %" PRIu64 ": the failed check is not in checks",
                 r->s.url_id);
        return -1;
    }
    r->incident_id = id;
    a->st.opened++;
    /* down since the first failed check, as the incident says */
    sqlbuf_reset(a->buf);
    if (sqlbuf_printf(a->buf,
                      "UPDATE urls SET incident_id = %" PRIu64 ", state_since = (SELECT opened_at"
                      " FROM incidents WHERE id = %" PRIu64 ") WHERE id = %" PRIu64,
                      id, id, r->s.url_id) != 0)
        return oom(a);
    if (run_sql(a) != 0)
        return -1;
    return add_event(a, EV_OPENED, r->s.url_id, id);
}

static int open_cert(struct aw *a, struct arow *r, const struct check_result *res)
{
    char det[32], cert[32];
    uint64_t id;

    sql_time_ms(res->checked_at_ms, det, sizeof(det));
    clock_utc_format(res->cert_expires_s * 1000, CLOCK_UTC_SQL, cert, sizeof(cert));
    sqlbuf_reset(a->buf);
    if (sqlbuf_printf(a->buf,
                      "INSERT INTO incidents (url_id, kind, url, name, opened_at, detected_at,"
                      " open_run_id, cert_expires_at) SELECT id, 'cert_expiring', url, name, '%s',"
                      " '%s', %" PRIu64 ", '%s' FROM urls WHERE id = %" PRIu64,
                      det, det, a->run_id, cert, r->s.url_id) != 0)
        return oom(a);
    if (run_sql(a) != 0)
        return -1;
    if (mysql_affected_rows(a->conn) != 1 || (id = mysql_insert_id(a->conn)) == 0)
        return 0; /* the URL row is locked by this transaction: cannot happen */
    r->cert_incident_id = id;
    a->st.cert_warnings++;
    if (set_url_incident(a, "cert_incident_id", r->s.url_id, id) != 0)
        return -1;
    return add_event(a, EV_CERT, r->s.url_id, id);
}

static int close_one(struct aw *a, struct arow *r, const struct check_result *res, bool cert)
{
    uint64_t *idp = cert ? &r->cert_incident_id : &r->incident_id;
    char when[32];

    if (*idp == 0)
        return 0; /* nothing open (opened before alerting existed) */
    sql_time_ms(res->checked_at_ms, when, sizeof(when));
    sqlbuf_reset(a->buf);
    if (sqlbuf_printf(a->buf,
                      "UPDATE incidents SET closed_at = '%s', close_run_id = %" PRIu64
                      " WHERE id = %" PRIu64 " AND closed_at IS NULL",
                      when, a->run_id, *idp) != 0)
        return oom(a);
    if (run_sql(a) != 0 ||
        set_url_incident(a, cert ? "cert_incident_id" : "incident_id", r->s.url_id, 0) != 0 ||
        add_event(a, cert ? EV_RENEWED : EV_CLOSED, r->s.url_id, *idp) != 0)
        return -1;
    if (cert)
        a->st.cert_renewed++;
    else
        a->st.closed++;
    *idp = 0;
    return 0;
}

static int events(struct aw *a, struct arow *r, const struct check_result *res, unsigned ch)
{
    if ((ch & URLSTATE_CH_DOWN) && open_down(a, r, res) != 0)
        return -1;
    if ((ch & URLSTATE_CH_UP) && close_one(a, r, res, false) != 0)
        return -1;
    if ((ch & URLSTATE_CH_CERT_WARN) && open_cert(a, r, res) != 0)
        return -1;
    if ((ch & URLSTATE_CH_CERT_OK) && close_one(a, r, res, true) != 0)
        return -1;
    return 0;
}

/* Pending transitions are applied after the state rows are written. */
struct pending {
    struct arow *row;
    const struct check_result *res;
    unsigned ch;
};

int alertwrite_apply(MYSQL *conn, struct sqlbuf *buf, const struct alert_rules *rules,
                     uint64_t run_id, const struct check_result *r, size_t n,
                     struct alertwrite_stats *st, char *err, size_t errlen)
{
    static const struct alert_rules defaults = {ALERTWRITE_FAIL_THRESHOLD,
                                                ALERTWRITE_SUCCESS_THRESHOLD, ALERTWRITE_CERT_DAYS};
    struct aw a = {conn, buf, rules ? rules : &defaults, run_id, NULL, 0, {0}, err, errlen};
    const struct check_result **sorted = NULL;
    struct pending *pend = NULL;
    size_t i, npend = 0;
    int rc = -1;

    if (n == 0)
        return 0;
    if (!(sorted = malloc(n * sizeof(*sorted))) || !(a.rows = calloc(n, sizeof(*a.rows))) ||
        !(pend = calloc(n, sizeof(*pend)))) {
        oom(&a);
        goto out;
    }
    for (i = 0; i < n; i++)
        sorted[i] = &r[i];
    qsort(sorted, n, sizeof(*sorted), cmp_result);
    if (read_rows(&a, sorted, n) != 0)
        goto out;
    for (i = 0; i < n; i++) {
        struct arow *row = find_row(&a, sorted[i]->url_id);
        unsigned ch;
        if (!row)
            continue; /* the URL was deleted meanwhile */
        ch = urlstate_apply(&row->s, sorted[i], a.rules->cert_days);
        if (ch & URLSTATE_CH_ROW)
            row->dirty = true;
        if (ch & (URLSTATE_CH_DOWN | URLSTATE_CH_UP | URLSTATE_CH_CERT_WARN | URLSTATE_CH_CERT_OK))
            pend[npend++] = (struct pending){row, sorted[i], ch};
    }
    if (write_rows(&a) != 0)
        goto out;
    for (i = 0; i < npend; i++)
        if (events(&a, pend[i].row, pend[i].res, pend[i].ch) != 0)
            goto out;
    if (st)
        *st = a.st;
    rc = 0;
out:
    free(sorted);
    free(a.rows);
    free(pend);
    return rc;
}
