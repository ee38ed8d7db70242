/* api/query_int.h: helpers shared by the query modules (private to api/query*.c). */
#ifndef URLMON_QUERY_INT_H
#define URLMON_QUERY_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "query.h"
#include "sqlq.h"

/* What a query function hands back: an answer, or the kind of failure. */
enum qres { QRES_OK = 0, QRES_ERR = SQLQ_ERR, QRES_CONN = SQLQ_ERR_CONN };

struct qctx {
    MYSQL *conn;
    struct tally *tally;
    const struct route_req *r;
    struct urlpatch *patch; /* QUERY_UPDATE: what changes */
    int64_t now_ms;
    int status;  /* HTTP status when QRES_OK */
    cJSON *root; /* the answer */
    char err[URLMON_ERRLEN];
};

int query_top(struct qctx *q, enum route_span span) MUSTCHECK;
int query_summary(struct qctx *q) MUSTCHECK;
int query_list(struct qctx *q) MUSTCHECK;
int query_detail(struct qctx *q) MUSTCHECK;
int query_checks(struct qctx *q) MUSTCHECK;
int query_deactivate(struct qctx *q) MUSTCHECK;
int query_update(struct qctx *q) MUSTCHECK;
/* api/query_incidents.c: incident lists (per_url: of q->r->url_id) and the alerting
 * metrics (q->root = {"text": exposition lines}). */
int query_incidents(struct qctx *q, bool per_url) MUSTCHECK;
int query_alert_metrics(struct qctx *q) MUSTCHECK;
/* The shared pager of the list routes (query_urls.c): items collected by to_json from
 * rows whose column key_col (0 unless set) is the key; page_finish answers
 * {"items", cursor_name}. */
struct page {
    cJSON *items;
    cJSON *(*to_json)(const struct sqlq_row *row);
    unsigned limit, seen;
    unsigned key_col; /* the column that continues the next page */
    char last[24];
};
int query_page_row(void *arg, const struct sqlq_row *row, char *err, size_t errlen);
int query_page_finish(struct qctx *q, struct page *p, const char *cursor_name) MUSTCHECK;
/* 1 when the URL q->r->url_id exists, 0 when not, or a qres error. */
int query_url_exists(struct qctx *q) MUSTCHECK;
/* api/dashq.c: the dashboard's data; api/dashq_url.c: one URL's series. */
int dashq_urls(struct qctx *q) MUSTCHECK;
int dashq_url(struct qctx *q) MUSTCHECK;
int dashq_percentiles(struct qctx *q) MUSTCHECK;

/* Success and fail counts of one URL (url_id) over [now - span_ms, now], from raw
 * checks for the partial hour and rollups for the rest. */
int query_window_counts(struct qctx *q, uint64_t url_id, int64_t span_ms, uint64_t *succ,
                        uint64_t *fail) MUSTCHECK;

/* JSON helpers: integers are added as raw text from MySQL so 64-bit values stay exact. */
int qjson_raw(cJSON *obj, const char *name, const char *digits) MUSTCHECK;
int qjson_str(cJSON *obj, const char *name, const char *s) MUSTCHECK;
int qjson_time(cJSON *obj, const char *name, const char *mysql_text) MUSTCHECK;
/* A UTC time in ms since the epoch, as qjson_time writes MySQL's text. */
int qjson_time_ms(cJSON *obj, const char *name, int64_t ms) MUSTCHECK;
int qjson_bool(cJSON *obj, const char *name, const char *digit) MUSTCHECK;
/* {"error": msg} with status. */
int qjson_error(struct qctx *q, int status, const char *msg) MUSTCHECK;

#endif
