/* compute/urlset.c: see urlset.h. */
#include "urlset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "stmt.h"

static const char page_sql[] = "SELECT id, url, COALESCE(regex, ''), check_interval FROM urls"
                               " WHERE active = 1 AND id % ? = ? AND id > ?"
                               " ORDER BY id LIMIT 5000";
static const char last_sql[] =
    "SELECT url_id, CAST(UNIX_TIMESTAMP(MAX(checked_at)) * 1000 AS SIGNED) FROM checks"
    " WHERE url_id BETWEEN ? AND ? GROUP BY url_id";

static const char sig_sql[] =
    "SELECT COUNT(*), COALESCE(MAX(id), 0), CAST(COALESCE(SUM(check_interval), 0) AS UNSIGNED),"
    " CAST(COALESCE(SUM(CRC32(COALESCE(regex, ''))), 0) AS UNSIGNED),"
    " CAST(COALESCE(UNIX_TIMESTAMP(MAX(updated_at)) * 1000, 0) AS UNSIGNED)"
    " FROM urls WHERE active = 1 AND id % ? = ?";

struct row {
    uint64_t id;
    char *url, *regex;
    unsigned interval_s;
    int64_t last_ms; /* -1 = never checked (or not read: known URL) */
};

struct page {
    struct row r[URLSET_PAGE];
    size_t n;
};

static void page_clear(struct page *p)
{
    size_t i;

    for (i = 0; i < p->n; i++) {
        free(p->r[i].url);
        free(p->r[i].regex);
    }
    p->n = 0;
}

static int page_row(void *arg, const struct stmt_row *row, char *err, size_t errlen)
{
    struct page *p = arg;
    struct row *r;

    if (p->n >= URLSET_PAGE || row->ncols != 4 || !row->val[0] || !row->val[1])
        return 0;
    r = &p->r[p->n];
    r->id = strtoull(row->val[0], NULL, 10);
    r->interval_s = row->val[3] ? (unsigned)strtoul(row->val[3], NULL, 10) : 600;
    r->last_ms = -1;
    if (!(r->url = strdup(row->val[1])) || !(r->regex = strdup(row->val[2] ? row->val[2] : ""))) {
        free(r->url);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->n++;
    return 0;
}

/* One statement: prepare, execute with p, read rows with cb (strings) or ncb (numbers). */
static int query(MYSQL *conn, const char *sql, struct stmt_params *p, stmt_row_cb cb,
                 stmt_nums_cb ncb, void *arg, char *err, size_t errlen)
{
    MYSQL_STMT *st = NULL;
    int rc = -1;

    if (stmt_prepare(conn, sql, &st, err, errlen) != 0 ||
        stmt_execute_params(st, p, err, errlen) != 0)
        goto out;
    if (cb ? stmt_fetch_rows(st, cb, arg, err, errlen) != 0
           : stmt_fetch_nums(st, ncb, arg, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    stmt_close(&st);
    return rc;
}

/* Rows are in id order: find by binary search. */
static int last_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct page *p = arg;
    size_t lo = 0, hi = p->n;

    (void)err;
    (void)errlen;
    if (n != 2)
        return 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->r[mid].id < v[0])
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->n && p->r[lo].id == v[0])
        p->r[lo].last_ms = (int64_t)v[1];
    return 0;
}

/* The last checks of the page's URLs the agenda does not know. */
static int read_last(MYSQL *conn, struct agenda *ag, pthread_mutex_t *lock, struct page *pg,
                     char *err, size_t errlen)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    struct stmt_params p;
    size_t i;

    pthread_mutex_lock(lock);
    for (i = 0; i < pg->n; i++) {
        if (agenda_has(ag, pg->r[i].id))
            continue;
        if (pg->r[i].id < lo)
            lo = pg->r[i].id;
        if (pg->r[i].id > hi)
            hi = pg->r[i].id;
    }
    pthread_mutex_unlock(lock);
    if (lo > hi)
        return 0;
    stmt_params_init(&p);
    stmt_param_u64(&p, &lo);
    stmt_param_u64(&p, &hi);
    return query(conn, last_sql, &p, NULL, last_row, pg, err, errlen);
}

static int put_page(struct agenda *ag, pthread_mutex_t *lock, const struct page *pg,
                    struct urlset_stats *st, char *err, size_t errlen)
{
    int64_t now = clock_wall_ms();
    size_t i;
    int res, rc = 0;

    pthread_mutex_lock(lock);
    for (i = 0; i < pg->n; i++) {
        const struct row *r = &pg->r[i];
        res = agenda_put(ag, r->id, r->url, r->regex, r->interval_s, r->last_ms, now);
        if (res < 0) {
            snprintf(err, errlen, "out of memory for the agenda");
            rc = -1;
            break;
        }
        st->seen++;
        st->added += res == AGENDA_ADDED;
        st->changed += res == AGENDA_CHANGED;
    }
    pthread_mutex_unlock(lock);
    return rc;
}

static int sig_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct urlset_sig *sig = arg;
    unsigned i;

    (void)err;
    (void)errlen;
    for (i = 0; i < n && i < ARRAY_LEN(sig->v); i++)
        sig->v[i] = v[i];
    return 0;
}

int urlset_signature(MYSQL *conn, unsigned shard_k, unsigned shard_n, struct urlset_sig *sig,
                     char *err, size_t errlen)
{
    struct stmt_params p;
    uint32_t mod = shard_n, rem = shard_k;

    memset(sig, 0, sizeof(*sig));
    stmt_params_init(&p);
    stmt_param_u32(&p, &mod);
    stmt_param_u32(&p, &rem);
    return query(conn, sig_sql, &p, NULL, sig_row, sig, err, errlen);
}

int urlset_reload(MYSQL *conn, unsigned shard_k, unsigned shard_n, struct agenda *ag,
                  pthread_mutex_t *lock, struct urlset_stats *st, char *err, size_t errlen)
{
    struct page *pg = calloc(1, sizeof(*pg));
    struct stmt_params p;
    uint32_t mod = shard_n, rem = shard_k;
    uint64_t after = 0;
    bool more = true;
    int rc = -1;

    memset(st, 0, sizeof(*st));
    if (!pg) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    pthread_mutex_lock(lock);
    agenda_reload_begin(ag);
    pthread_mutex_unlock(lock);
    while (more) {
        stmt_params_init(&p);
        stmt_param_u32(&p, &mod);
        stmt_param_u32(&p, &rem);
        stmt_param_u64(&p, &after);
        page_clear(pg);
        if (query(conn, page_sql, &p, page_row, NULL, pg, err, errlen) != 0 ||
            read_last(conn, ag, lock, pg, err, errlen) != 0 ||
            put_page(ag, lock, pg, st, err, errlen) != 0)
            goto out;
        more = pg->n == URLSET_PAGE;
        if (pg->n > 0)
            after = pg->r[pg->n - 1].id;
    }
    pthread_mutex_lock(lock);
    st->dropped = agenda_reload_end(ag);
    pthread_mutex_unlock(lock);
    rc = 0;
out:
    if (pg)
        page_clear(pg);
    free(pg);
    return rc;
}
