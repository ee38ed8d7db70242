/* api/tally.c: rolling-window counts with the closed parts cached per span. */
#include "tally.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sqlq.h"
#include "u64map.h"
#include "window.h"

#define MAX_SPANS 4

#define NO_POS UINT32_C(0x7fffffff) /* a URL without a row in entry.days */
#define OK_BIT UINT32_C(0x80000000)

/* One raw check of the hour holding a window's start. */
struct edge_row {
    uint64_t url_id;
    uint32_t at_ms; /* checked_at - the hour's first instant */
    uint32_t pos;   /* OK_BIT when it succeeded | the URL's index in entry.days or NO_POS */
};

/* The closed part of one span's window. */
struct entry {
    pthread_mutex_t lock;
    int64_t span_ms;
    bool valid;
    int64_t day_ms, today_ms; /* closed days [day_ms, today_ms), hours of day_ms - 1 day */
    uint64_t fp[3];           /* rollup_hourly_total over [day_ms - 1 day, today_ms) */
    struct tally_counts days; /* sums over the closed days */
    uint32_t (*hour_s)[24], (*hour_f)[24]; /* per URL of `hours`: counts per hour */
    struct tally_counts hours;             /* URLs seen in those hours (counts unused) */
    size_t hours_cap;
    uint32_t *hour_pos; /* per URL of `hours`: its index in `days` or NO_POS */
    /* The raw checks of the hour holding the window's start, [edge_ms, edge_ms + 1 h), in
     * checked_at order. That hour lies inside the fingerprinted hours (it starts at or
     * after day_ms - 1 day), so it is as closed as the rest: loaded once per hour and
     * dropped whenever the entry is rebuilt. */
    bool edge_valid;
    int64_t edge_ms;
    struct edge_row *edge;
    size_t edge_n, edge_cap;
};

struct tally {
    pthread_mutex_t lock; /* guards nentries */
    struct entry entries[MAX_SPANS];
    size_t nentries;
    unsigned long builds;
};

static const char fingerprint_sql[] =
    "SELECT COUNT(*), COALESCE(SUM(success_count), 0), COALESCE(SUM(fail_count), 0)"
    " FROM rollup_hourly_total WHERE bucket >= ? AND bucket < ?";
static const char days_sql[] = "SELECT url_id, success_count, fail_count FROM rollup_daily"
                               " WHERE bucket >= ? AND bucket < ?";
static const char today_sql[] =
    "SELECT url_id, success_count, fail_count FROM rollup_daily WHERE bucket = ?";
static const char hours_sql[] =
    "SELECT url_id, HOUR(bucket), success_count, fail_count FROM rollup_hourly"
    " WHERE bucket >= ? AND bucket < ?";
static const char raw_sql[] =
    "SELECT url_id, success FROM checks WHERE checked_at >= ? AND checked_at < ?";
static const char edge_hour_sql[] =
    "SELECT url_id, success_count, fail_count FROM rollup_hourly WHERE bucket = ?";
static const char edge_sql[] =
    "SELECT url_id, success, TIMESTAMPDIFF(MICROSECOND, ?, checked_at) FROM checks"
    " WHERE checked_at >= ? AND checked_at < ? ORDER BY checked_at";
static const char open_raw_sql[] = "SELECT url_id, success FROM checks WHERE checked_at >= ?";
static const char open_hours_sql[] =
    "SELECT url_id, success_count, fail_count FROM rollup_hourly WHERE bucket >= ?";

int tally_counts_init(struct tally_counts *c)
{
    memset(c, 0, sizeof(*c));
    return u64map_open(1024, &c->index);
}

void tally_counts_free(struct tally_counts *c)
{
    if (!c)
        return;
    u64map_free(&c->index);
    free(c->ids);
    free(c->succ);
    free(c->fail);
    memset(c, 0, sizeof(*c));
}

static void counts_clear(struct tally_counts *c)
{
    u64map_clear(c->index);
    c->n = 0;
}

/* Grows c's three arrays to hold at least cap URLs; on failure c stays usable as it was. */
static int counts_reserve(struct tally_counts *c, size_t cap)
{
    uint64_t *p;

    if (cap <= c->cap)
        return 0;
    if (!(p = realloc(c->ids, cap * sizeof(*p))))
        return -1;
    c->ids = p;
    if (!(p = realloc(c->succ, cap * sizeof(*p))))
        return -1;
    c->succ = p;
    if (!(p = realloc(c->fail, cap * sizeof(*p))))
        return -1;
    c->fail = p;
    c->cap = cap;
    return 0;
}

/* The index of url_id in c, adding it with zero counts. */
static int counts_slot(struct tally_counts *c, uint64_t url_id, size_t *i)
{
    if (u64map_index(c->index, url_id, i) != 0)
        return -1;
    if (*i < c->n)
        return 0;
    if (c->n == c->cap && counts_reserve(c, c->cap ? c->cap * 2 : 1024) != 0)
        return -1;
    c->ids[c->n] = url_id;
    c->succ[c->n] = 0;
    c->fail[c->n] = 0;
    c->n++;
    return 0;
}

int tally_counts_add(struct tally_counts *c, uint64_t url_id, uint64_t succ, uint64_t fail)
{
    size_t i;

    if (counts_slot(c, url_id, &i) != 0)
        return -1;
    c->succ[i] += succ;
    c->fail[i] += fail;
    return 0;
}

/* Makes dst an exact copy of src (same indexes). */
static int counts_copy(struct tally_counts *dst, const struct tally_counts *src)
{
    if (counts_reserve(dst, src->n) != 0)
        return -1;
    dst->n = 0;
    if (u64map_assign(dst->index, src->index) != 0)
        return -1;
    if (src->n) {
        memcpy(dst->ids, src->ids, src->n * sizeof(*dst->ids));
        memcpy(dst->succ, src->succ, src->n * sizeof(*dst->succ));
        memcpy(dst->fail, src->fail, src->n * sizeof(*dst->fail));
    }
    dst->n = src->n;
    return 0;
}

/* Where url_id sits in days, or NO_POS. */
static uint32_t days_pos(const struct tally_counts *days, uint64_t url_id)
{
    size_t i;

    return u64map_find(days->index, url_id, &i) == 0 && i < NO_POS ? (uint32_t)i : NO_POS;
}

int tally_open(struct tally **out)
{
    struct tally *t = calloc(1, sizeof(*t));

    *out = t;
    if (!t)
        return -1;
    pthread_mutex_init(&t->lock, NULL);
    return 0;
}

void tally_free(struct tally **tp)
{
    struct tally *t;
    size_t i;

    if (!tp || !*tp)
        return;
    t = *tp;
    for (i = 0; i < t->nentries; i++) {
        struct entry *e = &t->entries[i];
        tally_counts_free(&e->days);
        tally_counts_free(&e->hours);
        free(e->hour_s);
        free(e->hour_f);
        free(e->hour_pos);
        free(e->edge);
        pthread_mutex_destroy(&e->lock);
    }
    pthread_mutex_destroy(&t->lock);
    free(t);
    *tp = NULL;
}

unsigned long tally_builds(struct tally *t)
{
    unsigned long n;

    pthread_mutex_lock(&t->lock);
    n = t->builds;
    pthread_mutex_unlock(&t->lock);
    return n;
}

static uint64_t num(const uint64_t *v, unsigned n, unsigned i)
{
    return i < n ? v[i] : 0;
}

/* Rows (url_id, success_count, fail_count) added into a tally_counts. */
static int add_counts_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    if (tally_counts_add(arg, num(v, n, 0), num(v, n, 1), num(v, n, 2)) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Takes counts back out of c, never below zero (rollups and raw checks are written in
 * one transaction, so with consistent data nothing is ever clamped). */
static void counts_sub(struct tally_counts *c, uint64_t url_id, uint64_t succ, uint64_t fail)
{
    size_t i;

    if (u64map_find(c->index, url_id, &i) != 0)
        return;
    c->succ[i] -= succ < c->succ[i] ? succ : c->succ[i];
    c->fail[i] -= fail < c->fail[i] ? fail : c->fail[i];
}

/* Rows (url_id, success) of raw checks taken out of a tally_counts. */
static int sub_raw_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    bool ok = num(v, n, 1) != 0;

    counts_sub(arg, num(v, n, 0), ok, !ok);
    return 0;
}

/* Rows (url_id, success) of raw checks. */
static int add_raw_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    bool ok = num(v, n, 1) != 0;

    if (tally_counts_add(arg, num(v, n, 0), ok, !ok) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

struct fp_out {
    uint64_t v[3];
};

static int fp_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct fp_out *f = arg;

    f->v[0] = num(v, n, 0);
    f->v[1] = num(v, n, 1);
    f->v[2] = num(v, n, 2);
    return 0;
}

/* Rows (url_id, hour, success_count, fail_count) of the day before the closed days. */
static int hour_row(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct entry *e = arg;
    uint64_t h = num(v, n, 1);
    size_t i, before = e->hours.n;

    if (counts_slot(&e->hours, num(v, n, 0), &i) != 0)
        goto oom;
    if (i >= e->hours_cap) {
        size_t cap = e->hours_cap ? e->hours_cap * 2 : 1024;
        uint32_t(*s)[24] = realloc(e->hour_s, cap * sizeof(*s));
        uint32_t(*f)[24] = s ? realloc(e->hour_f, cap * sizeof(*f)) : NULL;
        if (s)
            e->hour_s = s;
        if (!f)
            goto oom;
        e->hour_f = f;
        e->hours_cap = cap;
    }
    if (e->hours.n > before) { /* a URL not seen before in these hours */
        memset(e->hour_s[i], 0, sizeof(e->hour_s[i]));
        memset(e->hour_f[i], 0, sizeof(e->hour_f[i]));
    }
    if (h < 24) {
        e->hour_s[i][h] += (uint32_t)num(v, n, 2);
        e->hour_f[i][h] += (uint32_t)num(v, n, 3);
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int run2(MYSQL *conn, const char *sql, int64_t a_ms, bool a_date, int64_t b_ms, bool b_date,
                sqlq_nums_cb cb, void *arg, char *err, size_t errlen)
{
    MYSQL_TIME t[2];
    MYSQL_BIND b[2];

    sqlq_time(a_ms, a_date, &t[0]);
    sqlq_time(b_ms, b_date, &t[1]);
    sqlq_bind_time(&b[0], &t[0]);
    sqlq_bind_time(&b[1], &t[1]);
    return sqlq_run_nums(conn, sql, b, 2, cb, arg, err, errlen);
}

/* Where reading rollup_hourly beats raw checks. A rollup row costs about as much as
 * 1-2 raw index entries (ANALYZE on the bench data: 10,000 rollup rows 4-5 ms, 12,755
 * raw entries 5 ms) and an hour holds one per URL against 6 raw checks per URL (one
 * every 10 minutes): the rollup pays once the raw side is over ~15-20 minutes long. */
#define EDGE_SUBTRACT_MS (20 * 60000) /* start earlier in its hour: rollup minus raw */
#define OPEN_RAW_MS (15 * 60000)      /* now earlier in its hour: the current hour raw */

/* Adds the checks of [w->start_ms, w->hour_ms), the partial hour at the start of an
 * hour window (week and month windows keep that hour's raw checks: edge_load),
 * reading the cheaper side of the start. Late in the hour the raw checks are read as
 * they are; early in it, the hour's rollup_hourly rows are added and the raw checks of
 * [hour - 1 h, start) taken out again: rollup_hourly counts exactly the checks whose
 * checked_at falls in that hour (the compute job writes both in one transaction), so
 * the result is the same. */
static int add_edge(MYSQL *conn, const struct window *w, struct tally_counts *out, char *err,
                    size_t errlen)
{
    int64_t floor_ms = w->hour_ms - WINDOW_HOUR_MS;
    MYSQL_TIME tm;
    MYSQL_BIND b;
    int rc;

    if (w->start_ms >= w->hour_ms)
        return 0; /* the window starts on the hour */
    if (w->start_ms - floor_ms >= EDGE_SUBTRACT_MS)
        return run2(conn, raw_sql, w->start_ms, false, w->hour_ms, false, add_raw_row, out, err,
                    errlen);
    sqlq_time(floor_ms, false, &tm);
    sqlq_bind_time(&b, &tm);
    if ((rc = sqlq_run_nums(conn, edge_hour_sql, &b, 1, add_counts_row, out, err, errlen)) != 0)
        return rc;
    return run2(conn, raw_sql, floor_ms, false, w->start_ms, false, sub_raw_row, out, err, errlen);
}

static struct entry *entry_for(struct tally *t, int64_t span_ms)
{
    struct entry *e = NULL;
    size_t i;

    pthread_mutex_lock(&t->lock);
    for (i = 0; i < t->nentries; i++)
        if (t->entries[i].span_ms == span_ms)
            e = &t->entries[i];
    if (!e && t->nentries < MAX_SPANS) {
        e = &t->entries[t->nentries];
        memset(e, 0, sizeof(*e));
        e->span_ms = span_ms;
        pthread_mutex_init(&e->lock, NULL);
        if (tally_counts_init(&e->days) != 0 || tally_counts_init(&e->hours) != 0) {
            tally_counts_free(&e->days);
            tally_counts_free(&e->hours);
            pthread_mutex_destroy(&e->lock);
            e = NULL;
        } else {
            t->nentries++;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return e;
}

/* Makes e describe closed days [day, today) and the hours of day - 1 day, as of the
 * fingerprint fp (read before the data, so a concurrent write can only cause one more
 * rebuild, never a stale entry). Called with e->lock held. */
static int entry_refresh(struct tally *t, struct entry *e, MYSQL *conn, int64_t day, int64_t today,
                         char *err, size_t errlen)
{
    struct fp_out fp = {{0, 0, 0}};
    struct timespec t0;
    size_t i;
    int rc;

    if ((rc = run2(conn, fingerprint_sql, day - WINDOW_DAY_MS, false, today, false, fp_row, &fp,
                   err, errlen)) != 0)
        return rc;
    if (e->valid && e->day_ms == day && e->today_ms == today &&
        memcmp(e->fp, fp.v, sizeof(fp.v)) == 0)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    e->valid = false;
    e->edge_valid = false;
    counts_clear(&e->days);
    counts_clear(&e->hours);
    if ((rc = run2(conn, days_sql, day, true, today, true, add_counts_row, &e->days, err,
                   errlen)) != 0 ||
        (rc = run2(conn, hours_sql, day - WINDOW_DAY_MS, false, day, false, hour_row, e, err,
                   errlen)) != 0)
        return rc;
    free(e->hour_pos);
    if (!(e->hour_pos = malloc((e->hours.n ? e->hours.n : 1) * sizeof(*e->hour_pos)))) {
        snprintf(err, errlen, "out of memory");
        return SQLQ_ERR;
    }
    for (i = 0; i < e->hours.n; i++)
        e->hour_pos[i] = days_pos(&e->days, e->hours.ids[i]);
    e->day_ms = day;
    e->today_ms = today;
    memcpy(e->fp, fp.v, sizeof(fp.v));
    e->valid = true;
    pthread_mutex_lock(&t->lock);
    t->builds++;
    pthread_mutex_unlock(&t->lock);
    log_info("%lld-day window: closed days summed for %zu URLs in %.0f ms",
             (long long)(e->span_ms / WINDOW_DAY_MS), e->days.n, mono_since_s(&t0) * 1e3);
    return 0;
}

/* Rows (url_id, success, microseconds into the hour) of the edge hour's raw checks. */
static int edge_row_cb(void *arg, const uint64_t *v, unsigned n, char *err, size_t errlen)
{
    struct entry *e = arg;

    if (e->edge_n == e->edge_cap) {
        size_t cap = e->edge_cap ? e->edge_cap * 2 : 4096;
        struct edge_row *rows = realloc(e->edge, cap * sizeof(*rows));
        if (!rows) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        e->edge = rows;
        e->edge_cap = cap;
    }
    e->edge[e->edge_n].url_id = num(v, n, 0);
    e->edge[e->edge_n].at_ms = (uint32_t)(num(v, n, 2) / 1000);
    e->edge[e->edge_n].pos = days_pos(&e->days, num(v, n, 0)) | (num(v, n, 1) != 0 ? OK_BIT : 0);
    e->edge_n++;
    return 0;
}

/* Loads the raw checks of [hour_ms, hour_ms + 1 h) into e. Called with e->lock held,
 * after entry_refresh (rows note their URL's index in e->days): a write landing in that hour after
 * the fingerprint was read changes the fingerprint, so the next request rebuilds and reloads. */
static int edge_load(struct entry *e, MYSQL *conn, int64_t hour_ms, char *err, size_t errlen)
{
    MYSQL_TIME t[3];
    MYSQL_BIND b[3];
    struct timespec t0;
    int rc, i;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    e->edge_valid = false;
    e->edge_n = 0;
    sqlq_time(hour_ms, false, &t[0]);
    sqlq_time(hour_ms, false, &t[1]);
    sqlq_time(hour_ms + WINDOW_HOUR_MS, false, &t[2]);
    for (i = 0; i < 3; i++)
        sqlq_bind_time(&b[i], &t[i]);
    if ((rc = sqlq_run_nums(conn, edge_sql, b, 3, edge_row_cb, e, err, errlen)) != 0)
        return rc;
    e->edge_ms = hour_ms;
    e->edge_valid = true;
    log_info("%lld-day window: %zu raw checks of its first hour loaded in %.0f ms",
             (long long)(e->span_ms / WINDOW_DAY_MS), e->edge_n, mono_since_s(&t0) * 1e3);
    return 0;
}

/* Adds the loaded raw checks with checked_at >= w->start_ms (the edge hour is the one
 * holding the start). direct: out is a copy of e->days, so known URLs are found by
 * their index there instead of a hash lookup. */
static int edge_add(const struct entry *e, const struct window *w, bool direct,
                    struct tally_counts *out)
{
    uint32_t from = (uint32_t)(w->start_ms - e->edge_ms);
    size_t lo = 0, hi = e->edge_n, i;

    while (lo < hi) { /* the first row at or after the start */
        size_t mid = lo + (hi - lo) / 2;
        if (e->edge[mid].at_ms < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < e->edge_n; i++) {
        uint32_t pos = e->edge[i].pos & ~OK_BIT;
        bool ok = (e->edge[i].pos & OK_BIT) != 0;
        if (direct && pos != NO_POS) {
            out->succ[pos] += ok;
            out->fail[pos] += !ok;
        } else if (tally_counts_add(out, e->edge[i].url_id, ok, !ok) != 0)
            return -1;
    }
    return 0;
}

/* Adds the closed part of window w (whole days before today, hours from w->hour_ms).
 * When out is empty it becomes a copy of e->days (*direct = true): the same indexes,
 * so the hours and the edge checks add by index, without hashing. */
static int add_closed(const struct entry *e, const struct window *w, struct tally_counts *out,
                      bool *direct)
{
    size_t i, from = 24;
    int h;

    *direct = out->n == 0;
    if (*direct && counts_copy(out, &e->days) != 0)
        return -1;
    for (i = 0; i < e->days.n && !*direct; i++)
        if (tally_counts_add(out, e->days.ids[i], e->days.succ[i], e->days.fail[i]) != 0)
            return -1;
    if (w->hour_ms < w->day_ms)
        from = (size_t)((w->hour_ms - (w->day_ms - WINDOW_DAY_MS)) / WINDOW_HOUR_MS);
    for (i = 0; i < e->hours.n && from < 24; i++) {
        uint64_t s = 0, f = 0;
        for (h = (int)from; h < 24; h++) {
            s += e->hour_s[i][h];
            f += e->hour_f[i][h];
        }
        if (!s && !f)
            continue;
        if (*direct && e->hour_pos[i] != NO_POS) {
            out->succ[e->hour_pos[i]] += s;
            out->fail[e->hour_pos[i]] += f;
        } else if (tally_counts_add(out, e->hours.ids[i], s, f) != 0)
            return -1;
    }
    return 0;
}

int tally_window(struct tally *t, MYSQL *conn, int64_t now_ms, int64_t span_ms,
                 struct tally_counts *out, char *err, size_t errlen)
{
    int64_t today = window_floor(now_ms, WINDOW_DAY_MS), edge;
    bool direct = false;
    struct entry *e;
    struct window w;
    MYSQL_TIME tm;
    MYSQL_BIND b;
    int rc;

    window_split(now_ms, span_ms, &w);
    if (span_ms < 2 * WINDOW_DAY_MS) {
        /* from the first whole hour on: raw checks early in the current hour, else
         * rollup_hourly (one row per URL checked); then the partial hour at the start */
        bool raw = now_ms - window_floor(now_ms, WINDOW_HOUR_MS) < OPEN_RAW_MS;
        sqlq_time(w.hour_ms, false, &tm);
        sqlq_bind_time(&b, &tm);
        if ((rc = sqlq_run_nums(conn, raw ? open_raw_sql : open_hours_sql, &b, 1,
                                raw ? add_raw_row : add_counts_row, out, err, errlen)) != 0)
            return rc;
        return add_edge(conn, &w, out, err, errlen);
    }
    if (!(e = entry_for(t, span_ms))) {
        snprintf(err, errlen, "out of memory");
        return SQLQ_ERR;
    }
    edge = w.hour_ms - WINDOW_HOUR_MS;
    pthread_mutex_lock(&e->lock);
    rc = entry_refresh(t, e, conn, w.day_ms, today, err, errlen);
    if (rc == 0 && w.start_ms < w.hour_ms && !(e->edge_valid && e->edge_ms == edge))
        rc = edge_load(e, conn, edge, err, errlen);
    if (rc == 0 && (add_closed(e, &w, out, &direct) != 0 ||
                    (w.start_ms < w.hour_ms && edge_add(e, &w, direct, out) != 0))) {
        snprintf(err, errlen, "out of memory");
        rc = SQLQ_ERR;
    }
    pthread_mutex_unlock(&e->lock);
    if (rc != 0)
        return rc;
    sqlq_time(today, true, &tm);
    sqlq_bind_time(&b, &tm);
    return sqlq_run_nums(conn, today_sql, &b, 1, add_counts_row, out, err, errlen);
}
