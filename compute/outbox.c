/* compute/outbox.c: see outbox.h. */
#include "outbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

static int query(MYSQL *conn, const struct sqlbuf *b, char *err, size_t errlen)
{
    if (mysql_real_query(conn, sqlbuf_str(b), sqlbuf_len(b)) != 0) {
        snprintf(err, errlen, "outbox: %s", mysql_error(conn));
        return -1;
    }
    return 0;
}

static uint64_t num(const char *s)
{
    return s ? strtoull(s, NULL, 10) : 0;
}

static int64_t snum(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

static void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

/* The incident and URL columns every message needs, from i (incidents) and u (urls). */
#define EVENT_COLS                                                                                 \
    "u.id, i.id, i.url, i.name, u.state,"                                                          \
    " CAST(UNIX_TIMESTAMP(i.opened_at) * 1000 AS SIGNED),"                                         \
    " COALESCE(CAST(UNIX_TIMESTAMP(i.closed_at) * 1000 AS SIGNED), 0),"                            \
    " COALESCE(i.error_class, ''), COALESCE(i.error_message, ''), COALESCE(i.http_status, 0),"     \
    " COALESCE(UNIX_TIMESTAMP(i.cert_expires_at), 0), i.kind"
#define EVENT_NCOLS 12

static void event_from_row(struct alertmsg_event *e, MYSQL_ROW row)
{
    e->url_id = num(row[0]);
    e->incident_id = num(row[1]);
    copy(e->url, sizeof(e->url), row[2]);
    copy(e->name, sizeof(e->name), row[3]);
    copy(e->state, sizeof(e->state), row[4]);
    e->opened_ms = snum(row[5]);
    e->closed_ms = snum(row[6]);
    copy(e->error_class, sizeof(e->error_class), row[7]);
    copy(e->error_message, sizeof(e->error_message), row[8]);
    e->http_status = (int)num(row[9]);
    e->cert_expires_s = snum(row[10]);
}

static int claim_ids(MYSQL *conn, struct sqlbuf *buf, size_t max, struct outbox_item *items,
                     size_t *n, char *err, size_t errlen)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    size_t i;

    sqlbuf_reset(buf);
    if (sqlbuf_printf(
            buf,
            "SELECT id FROM outbox WHERE state = 'pending' AND next_at <= UTC_TIMESTAMP(3)"
            " ORDER BY id LIMIT %zu FOR UPDATE SKIP LOCKED",
            max) != 0 ||
        query(conn, buf, err, errlen) != 0 || !(res = mysql_store_result(conn))) {
        snprintf(err, errlen, "outbox: %s", mysql_error(conn));
        return -1;
    }
    while ((row = mysql_fetch_row(res)) && *n < max)
        items[(*n)++].id = num(row[0]);
    mysql_free_result(res);
    if (*n == 0)
        return 0;
    sqlbuf_reset(buf);
    if (sqlbuf_printf(buf,
                      "UPDATE outbox SET next_at = UTC_TIMESTAMP(3) + INTERVAL %d SECOND"
                      " WHERE id IN (",
                      OUTBOX_CLAIM_SECONDS) != 0)
        goto oom;
    for (i = 0; i < *n; i++)
        if (sqlbuf_printf(buf, "%s%" PRIu64, i ? "," : "", items[i].id) != 0)
            goto oom;
    if (sqlbuf_append(buf, ")") != 0)
        goto oom;
    return query(conn, buf, err, errlen);
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

static struct outbox_item *find(struct outbox_item *items, size_t n, uint64_t id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (items[i].id == id)
            return &items[i];
    return NULL;
}

static int details(MYSQL *conn, struct sqlbuf *buf, struct outbox_item *items, size_t n, char *err,
                   size_t errlen)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    size_t i;

    sqlbuf_reset(buf);
    if (sqlbuf_append(buf, "SELECT o.id, o.event_id, o.type, o.targets_done, o.attempts,"
                           " CAST(UNIX_TIMESTAMP(o.created_at) * 1000 AS SIGNED), " EVENT_COLS
                           " FROM outbox o JOIN incidents i ON i.id = o.incident_id"
                           " JOIN urls u ON u.id = o.url_id WHERE o.id IN (") != 0)
        goto oom;
    for (i = 0; i < n; i++)
        if (sqlbuf_printf(buf, "%s%" PRIu64, i ? "," : "", items[i].id) != 0)
            goto oom;
    if (sqlbuf_append(buf, ")") != 0)
        goto oom;
    if (query(conn, buf, err, errlen) != 0 || !(res = mysql_store_result(conn))) {
        snprintf(err, errlen, "outbox: %s", mysql_error(conn));
        return -1;
    }
    while ((row = mysql_fetch_row(res))) {
        struct outbox_item *it = find(items, n, num(row[0]));
        int type = alertmsg_type_parse(row[2]);
        if (!it || type < 0)
            continue;
        copy(it->ev.event_id, sizeof(it->ev.event_id), row[1]);
        it->ev.type = (enum alertmsg_type)type;
        it->targets_done = num(row[3]);
        it->attempts = (unsigned)num(row[4]);
        it->ev.created_ms = snum(row[5]);
        event_from_row(&it->ev, row + 6);
    }
    mysql_free_result(res);
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

int outbox_claim(MYSQL *conn, struct sqlbuf *buf, size_t max, struct outbox_item *items, size_t *n,
                 char *err, size_t errlen)
{
    size_t i, kept = 0;

    *n = 0;
    memset(items, 0, max * sizeof(*items));
    if (db_exec(conn, "START TRANSACTION", err, errlen) != 0)
        return -1;
    if (claim_ids(conn, buf, max, items, n, err, errlen) != 0 ||
        (*n > 0 && details(conn, buf, items, *n, err, errlen) != 0)) {
        (void)mysql_rollback(conn);
        *n = 0;
        return -1;
    }
    if (mysql_commit(conn) != 0) {
        snprintf(err, errlen, "outbox: COMMIT: %s", mysql_error(conn));
        *n = 0;
        return -1;
    }
    /* an event whose incident or URL is gone cannot be described: dropped below */
    for (i = 0; i < *n; i++)
        if (items[i].ev.event_id[0])
            items[kept++] = items[i];
    *n = kept;
    return 0;
}

int outbox_done(MYSQL *conn, struct sqlbuf *buf, const struct outbox_item *it,
                enum outbox_verdict v, unsigned retry_s, const char *why, char *err, size_t errlen)
{
    size_t wl = why ? strnlen(why, 250) : 0;

    sqlbuf_reset(buf);
    if (sqlbuf_printf(buf, "UPDATE outbox SET targets_done = %" PRIu64 ", attempts = attempts + 1,",
                      it->targets_done) != 0)
        goto oom;
    if (v == OUTBOX_RETRY
            ? sqlbuf_printf(buf, " next_at = UTC_TIMESTAMP(3) + INTERVAL %u SECOND,", retry_s)
            : sqlbuf_printf(buf, " state = '%s', done_at = UTC_TIMESTAMP(3),",
                            v == OUTBOX_SENT ? "sent" : "failed"))
        goto oom;
    if (sqlbuf_append(buf, " last_error = ") != 0 ||
        (wl ? sqlbuf_quote(buf, conn, why, wl) : sqlbuf_append(buf, "NULL")) != 0 ||
        sqlbuf_printf(buf, " WHERE id = %" PRIu64, it->id) != 0)
        goto oom;
    return query(conn, buf, err, errlen);
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int close_one(MYSQL *conn, struct sqlbuf *buf, uint64_t id, bool down, uint64_t url_id,
                     char *err, size_t errlen)
{
    const char *type = down ? "incident_closed" : "cert_renewed";

    sqlbuf_reset(buf);
    if (sqlbuf_printf(buf, "UPDATE incidents SET closed_at = UTC_TIMESTAMP(3) WHERE id = %" PRIu64,
                      id) ||
        query(conn, buf, err, errlen) != 0)
        return -1;
    sqlbuf_reset(buf);
    if (sqlbuf_printf(buf,
                      "UPDATE urls SET %s = NULL, state = 'unknown', state_since = NULL,"
                      " consec_fail = 0, consec_ok = 0 WHERE id = %" PRIu64,
                      down ? "incident_id" : "cert_incident_id", url_id) ||
        query(conn, buf, err, errlen) != 0)
        return -1;
    sqlbuf_reset(buf);
    if (sqlbuf_printf(
            buf,
            "INSERT INTO outbox (event_id, type, url_id, incident_id, created_at, next_at)"
            " VALUES ('urlmon-%" PRIu64 "-%s', '%s', %" PRIu64 ", %" PRIu64
            ", UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
            id, type, type, url_id, id))
        return -1;
    return query(conn, buf, err, errlen);
}

int outbox_close_inactive(MYSQL *conn, struct sqlbuf *buf, unsigned *closed, char *err,
                          size_t errlen)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = -1;

    *closed = 0;
    if (db_exec(conn, "START TRANSACTION", err, errlen) != 0)
        return -1;
    if (mysql_query(conn, "SELECT i.id, i.kind = 'down', i.url_id FROM incidents i"
                          " JOIN urls u ON u.id = i.url_id WHERE i.closed_at IS NULL"
                          " AND u.active = 0 ORDER BY i.id FOR UPDATE") != 0 ||
        !(res = mysql_store_result(conn))) {
        snprintf(err, errlen, "incidents: %s", mysql_error(conn));
        goto out;
    }
    while ((row = mysql_fetch_row(res))) {
        if (close_one(conn, buf, num(row[0]), num(row[1]) == 1, num(row[2]), err, errlen) != 0)
            goto out;
        (*closed)++;
    }
    if (mysql_commit(conn) != 0) {
        snprintf(err, errlen, "incidents: COMMIT: %s", mysql_error(conn));
        goto out;
    }
    rc = 0;
out:
    if (res)
        mysql_free_result(res);
    if (rc != 0)
        (void)mysql_rollback(conn);
    return rc;
}

int outbox_incidents(MYSQL *conn, unsigned closed_window_s, outbox_incident_cb cb, void *arg,
                     char *err, size_t errlen)
{
    char sql[1024];
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = -1;

    snprintf(sql, sizeof(sql),
             "SELECT " EVENT_COLS " FROM incidents i JOIN urls u ON u.id = i.url_id"
             " WHERE i.closed_at IS NULL OR i.closed_at > UTC_TIMESTAMP(3) - INTERVAL %u SECOND"
             " ORDER BY i.id",
             closed_window_s);
    if (mysql_query(conn, sql) != 0 || !(res = mysql_use_result(conn))) {
        snprintf(err, errlen, "incidents: %s", mysql_error(conn));
        goto out;
    }
    while ((row = mysql_fetch_row(res))) {
        struct alertmsg_event e;
        memset(&e, 0, sizeof(e));
        event_from_row(&e, row);
        e.type = row[EVENT_NCOLS - 1] && strcmp(row[EVENT_NCOLS - 1], "down") == 0
                     ? (e.closed_ms ? ALERTMSG_CLOSED : ALERTMSG_OPENED)
                     : (e.closed_ms ? ALERTMSG_RENEWED : ALERTMSG_CERT);
        if (cb(arg, &e) != 0) {
            snprintf(err, errlen, "out of memory");
            while (mysql_fetch_row(res))
                ;
            goto out;
        }
    }
    if (mysql_errno(conn) != 0) {
        snprintf(err, errlen, "incidents: %s", mysql_error(conn));
        goto out;
    }
    rc = 0;
out:
    if (res)
        mysql_free_result(res);
    return rc;
}
