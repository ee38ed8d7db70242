/* compute/batchsql.c: see batchsql.h. */
#include "batchsql.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "utf8.h"

void batchsql_datetime_ms(int64_t ms, char *buf, size_t len)
{
    clock_utc_format(ms < 0 ? 0 : ms, CLOCK_UTC_SQL_MS, buf, len);
}

/* A quoted string, or NULL when s is empty (or nothing valid is left of it). */
static int quote_or_null(struct sqlbuf *b, MYSQL *conn, const char *s, size_t cap)
{
    size_t len = utf8_prefix(s, strnlen(s, cap));

    if (len == 0)
        return sqlbuf_append(b, "NULL");
    return sqlbuf_quote(b, conn, s, len);
}

static int ms_or_null(struct sqlbuf *b, uint32_t ms)
{
    if (ms == CHECK_MS_UNKNOWN)
        return sqlbuf_append(b, ",NULL");
    return sqlbuf_printf(b, ",%" PRIu32, ms);
}

/* The certificate expiry column, then the end of the tuple. */
static int cert_or_null(struct sqlbuf *b, int64_t expires_s)
{
    char when[64];

    if (expires_s <= 0)
        return sqlbuf_append(b, ",NULL)");
    clock_utc_format(expires_s * 1000, CLOCK_UTC_SQL, when, sizeof(when));
    return sqlbuf_printf(b, ",'%s')", when);
}

static int append_row(struct sqlbuf *b, MYSQL *conn, uint64_t run_id, const struct check_result *r)
{
    char when[64];
    const char *ename = r->success ? NULL : check_error_name(r->error);

    if (!r->success && !ename)
        ename = "other"; /* a failure always has a class */
    batchsql_datetime_ms(r->checked_at_ms, when, sizeof(when));
    if (sqlbuf_printf(b, "(%" PRIu64 ",%" PRIu64 ",'%s',%d,", r->url_id, run_id, when,
                      r->success ? 1 : 0) != 0)
        return -1;
    if (r->http_status > 0 && r->http_status <= 65535) {
        if (sqlbuf_printf(b, "%d", r->http_status) != 0)
            return -1;
    } else if (sqlbuf_append(b, "NULL") != 0)
        return -1;
    if (sqlbuf_printf(b, ",%" PRIu32, r->response_ms == CHECK_MS_UNKNOWN ? 0 : r->response_ms) !=
            0 ||
        ms_or_null(b, r->dns_ms) != 0 || ms_or_null(b, r->connect_ms) != 0 ||
        ms_or_null(b, r->tls_ms) != 0 || ms_or_null(b, r->ttfb_ms) != 0 ||
        sqlbuf_append(b, ",") != 0)
        return -1;
    if (ename ? sqlbuf_quote(b, conn, ename, strlen(ename)) : sqlbuf_append(b, "NULL"))
        return -1;
    if (sqlbuf_append(b, ",") != 0 ||
        quote_or_null(b, conn, r->success ? "" : r->message, sizeof(r->message)) != 0)
        return -1;
    if (r->regex_matched < 0) {
        if (sqlbuf_append(b, ",NULL,NULL") != 0)
            return -1;
    } else if (sqlbuf_printf(b, ",%d,", r->regex_matched ? 1 : 0) != 0 ||
               quote_or_null(b, conn, r->regex_matched ? r->regex_match : "",
                             sizeof(r->regex_match)) != 0)
        return -1;
    return cert_or_null(b, r->cert_expires_s);
}

long batchsql_checks(struct sqlbuf *b, MYSQL *conn, uint64_t run_id, const struct check_result *r,
                     size_t n, size_t max_bytes)
{
    size_t i, before;

    sqlbuf_reset(b);
    if (sqlbuf_append(b, "INSERT INTO checks (url_id,run_id,checked_at,success,http_status,"
                         "response_ms,dns_ms,connect_ms,tls_ms,ttfb_ms,error_class,"
                         "error_message,regex_matched,regex_match,cert_expires_at) VALUES ") != 0)
        return -1;
    for (i = 0; i < n; i++) {
        before = sqlbuf_len(b);
        if ((i > 0 && sqlbuf_append(b, ",") != 0) || append_row(b, conn, run_id, &r[i]) != 0)
            return -1;
        if (i > 0 && sqlbuf_len(b) > max_bytes) {
            sqlbuf_truncate(b, before); /* this row goes into the next statement */
            break;
        }
    }
    return (long)i;
}
