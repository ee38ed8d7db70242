/* compute/agenda.c: see agenda.h. Entries live in one array (free list of indices); an
 * open-addressing table (linear probing, backward-shift deletion) finds them by id; a
 * 4-ary min-heap of (due time, index) orders the waiting ones by due time. */
#include "agenda.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

#define NONE UINT32_MAX

struct entry {
    uint64_t id;
    char *url, *regex;
    unsigned interval_s;
    unsigned grid_s; /* the interval sched_ms belongs to */
    int64_t due_ms, sched_ms, last_ms;
    uint32_t next_free;
    unsigned gen;
    bool used, inflight, removed;
};

struct hnode {
    int64_t due_ms; /* a copy of e[idx].due_ms */
    uint32_t idx;
};

struct agenda {
    struct entry *e;
    uint32_t ne, cap, free_head;
    uint32_t *slots; /* entry index + 1, 0 = empty */
    uint32_t nslots; /* power of two */
    struct hnode *heap;
    /* each entry's place in heap (NONE: in flight or free), apart from the entries: a
     * sift moves a node per level and writes its place, and 4 bytes per entry stay in
     * cache where the whole entry would not (100,000 URLs: 400 KB against 7 MB) */
    uint32_t *hpos;
    uint32_t nheap;
    size_t count, inflight;
    unsigned gen;
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

/* Fibonacci hashing: frac(id / golden ratio) is a low-discrepancy sequence, so ids
 * that are (mostly) consecutive, as AUTO_INCREMENT makes them, or every N-th of them
 * (a shard), get phases spread almost perfectly evenly: checks per second stay flat
 * even for a few thousand URLs, where random phases would vary by 10 % and more. */
int64_t agenda_phase_ms(uint64_t id, unsigned interval_s)
{
    uint64_t period = (uint64_t)(interval_s ? interval_s : 1) * 1000u;
    uint64_t frac = (id * UINT64_C(0x9e3779b97f4a7c15)) >> 32; /* 32-bit fraction */
    return (int64_t)((frac * period) >> 32);
}

int64_t agenda_tick_at_or_after(uint64_t id, unsigned interval_s, int64_t t_ms)
{
    int64_t period = (int64_t)(interval_s ? interval_s : 1) * 1000,
            ph = agenda_phase_ms(id, interval_s);
    int64_t k = (t_ms - ph) / period;

    if (ph + k * period < t_ms)
        k++;
    while (k > 0 && ph + (k - 1) * period >= t_ms) /* division rounds toward zero */
        k--;
    return ph + k * period;
}

/* ---- heap ---- */

/* A 4-ary min-heap of (due time, entry): a sift compares keys held in the heap itself
 * (a node's 4 children share one cache line) and touches an entry only to note where it
 * moved. With 100,000 URLs a take plus a done walks ~9 levels instead of ~17, each
 * without a cache miss per compared child. */
#define HEAP_ARITY 4

static void heap_set(struct agenda *a, uint32_t pos, struct hnode n)
{
    a->heap[pos] = n;
    a->hpos[n.idx] = pos;
}

static void sift_up(struct agenda *a, uint32_t pos)
{
    struct hnode n = a->heap[pos];

    while (pos > 0) {
        uint32_t parent = (pos - 1) / HEAP_ARITY;
        if (n.due_ms >= a->heap[parent].due_ms)
            break;
        heap_set(a, pos, a->heap[parent]);
        pos = parent;
    }
    heap_set(a, pos, n);
}

static void sift_down(struct agenda *a, uint32_t pos)
{
    struct hnode n = a->heap[pos];

    for (;;) {
        uint32_t first = HEAP_ARITY * pos + 1, c, best;
        if (first >= a->nheap)
            break;
        best = first;
        for (c = first + 1; c < first + HEAP_ARITY && c < a->nheap; c++)
            if (a->heap[c].due_ms < a->heap[best].due_ms)
                best = c;
        if (a->heap[best].due_ms >= n.due_ms)
            break;
        heap_set(a, pos, a->heap[best]);
        pos = best;
    }
    heap_set(a, pos, n);
}

static void heap_push(struct agenda *a, uint32_t idx)
{
    struct hnode n = {a->e[idx].due_ms, idx};

    heap_set(a, a->nheap++, n);
    sift_up(a, a->nheap - 1);
}

/* The entry's due time changed while it waits: move it to its new place. */
static void heap_update(struct agenda *a, uint32_t idx)
{
    uint32_t pos = a->hpos[idx];

    a->heap[pos].due_ms = a->e[idx].due_ms;
    sift_down(a, pos);
    sift_up(a, a->hpos[idx]);
}

static void heap_remove(struct agenda *a, uint32_t idx)
{
    uint32_t pos = a->hpos[idx];
    struct hnode last;

    if (pos == NONE)
        return;
    a->hpos[idx] = NONE;
    last = a->heap[--a->nheap];
    if (pos == a->nheap)
        return;
    heap_set(a, pos, last);
    sift_down(a, pos);
    sift_up(a, a->hpos[last.idx]);
}

/* ---- index by id ---- */

static uint32_t slot_of(const struct agenda *a, uint64_t id)
{
    return (uint32_t)(mix64(id) & (a->nslots - 1));
}

static uint32_t find(const struct agenda *a, uint64_t id)
{
    uint32_t s;

    if (a->nslots == 0)
        return NONE;
    for (s = slot_of(a, id); a->slots[s]; s = (s + 1) & (a->nslots - 1))
        if (a->e[a->slots[s] - 1].id == id)
            return a->slots[s] - 1;
    return NONE;
}

static void index_insert(struct agenda *a, uint32_t idx)
{
    uint32_t s = slot_of(a, a->e[idx].id);

    while (a->slots[s])
        s = (s + 1) & (a->nslots - 1);
    a->slots[s] = idx + 1;
}

static void index_remove(struct agenda *a, uint64_t id)
{
    uint32_t mask = a->nslots - 1, s = slot_of(a, id), j;

    while (a->slots[s] && a->e[a->slots[s] - 1].id != id)
        s = (s + 1) & mask;
    if (!a->slots[s])
        return;
    a->slots[s] = 0;
    /* backward shift: move later members of the cluster into the hole when allowed */
    for (j = (s + 1) & mask; a->slots[j]; j = (j + 1) & mask) {
        uint32_t home = slot_of(a, a->e[a->slots[j] - 1].id);
        bool stays = s <= j ? (home > s && home <= j) : (home > s || home <= j);
        if (stays)
            continue;
        a->slots[s] = a->slots[j];
        a->slots[j] = 0;
        s = j;
    }
}

static int grow(struct agenda *a)
{
    uint32_t i;

    if (a->ne == a->cap) {
        uint32_t ncap = a->cap ? a->cap * 2 : 1024;
        struct entry *ne = realloc(a->e, ncap * sizeof(*ne));
        struct hnode *nh;
        uint32_t *np;
        if (!ne)
            return -1;
        a->e = ne;
        if (!(nh = realloc(a->heap, ncap * sizeof(*nh))))
            return -1;
        a->heap = nh;
        if (!(np = realloc(a->hpos, ncap * sizeof(*np))))
            return -1;
        a->hpos = np;
        a->cap = ncap;
    }
    if ((uint64_t)(a->count + 1) * 2 > a->nslots) {
        uint32_t n = a->nslots ? a->nslots * 2 : 2048;
        uint32_t *ns = calloc(n, sizeof(*ns));
        if (!ns)
            return -1;
        free(a->slots);
        a->slots = ns;
        a->nslots = n;
        for (i = 0; i < a->ne; i++)
            if (a->e[i].used)
                index_insert(a, i);
    }
    return 0;
}

static void entry_release(struct agenda *a, uint32_t idx)
{
    struct entry *en = &a->e[idx];

    heap_remove(a, idx);
    index_remove(a, en->id);
    free(en->url);
    free(en->regex);
    memset(en, 0, sizeof(*en));
    a->hpos[idx] = NONE;
    en->next_free = a->free_head;
    a->free_head = idx;
    a->count--;
}

int agenda_new(struct agenda **out)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return -1;
    (*out)->free_head = NONE;
    return 0;
}

void agenda_free(struct agenda **ap)
{
    struct agenda *a;
    uint32_t i;

    if (!ap || !*ap)
        return;
    a = *ap;
    for (i = 0; i < a->ne; i++) {
        free(a->e[i].url);
        free(a->e[i].regex);
    }
    free(a->e);
    free(a->slots);
    free(a->heap);
    free(a->hpos);
    free(a);
    *ap = NULL;
}

bool agenda_has(const struct agenda *a, uint64_t id)
{
    return find(a, id) != NONE;
}

void agenda_reload_begin(struct agenda *a)
{
    a->gen++;
}

/* The next check of en after its last one, on its current interval's grid. */
static void plan_from_last(struct entry *en, int64_t now_ms)
{
    int64_t period = (int64_t)en->interval_s * 1000;

    en->grid_s = en->interval_s;
    if (en->last_ms < 0) {
        en->sched_ms = now_ms;
    } else {
        en->sched_ms =
            agenda_tick_at_or_after(en->id, en->interval_s, en->last_ms + period - period / 2);
        if (en->sched_ms < now_ms) {
            /* overdue: caught up now. A tick missed by at most a tenth of the interval
             * (AGENDA_LATE_SLACK_PCT: the list's first read after a start, which takes
             * seconds at 100,000 URLs) is served late, on the grid, like a check the
             * engine started that late: the following tick is not skipped, and it is
             * still at least 0.9 I after this check. An older tick is caught up off the
             * grid (the next check at least I later). */
            int64_t latest = agenda_tick_at_or_after(en->id, en->interval_s, now_ms - period + 1);
            int64_t slack = period * AGENDA_LATE_SLACK_PCT / 100;
            en->sched_ms = now_ms - latest <= slack ? latest : now_ms;
        }
    }
    en->due_ms = en->sched_ms < now_ms ? now_ms : en->sched_ms;
}

static bool same_str(const char *x, const char *y)
{
    return strcmp(x ? x : "", y ? y : "") == 0;
}

int agenda_put(struct agenda *a, uint64_t id, const char *url, const char *regex,
               unsigned interval_s, int64_t last_ms, int64_t now_ms)
{
    uint32_t idx = find(a, id);
    struct entry *en;
    char *nu = NULL, *nr = NULL;
    int rc = -1;

    if (interval_s == 0)
        interval_s = 1;
    if (idx != NONE) {
        en = &a->e[idx];
        en->gen = a->gen;
        en->removed = false; /* back before its check in flight ended */
        if (en->interval_s == interval_s && same_str(en->regex, regex) && same_str(en->url, url))
            return AGENDA_UNCHANGED;
        if (!same_str(en->regex, regex) || !same_str(en->url, url)) {
            if (!(nu = strdup(url)) || !(nr = strdup(regex ? regex : "")))
                goto out;
            free(en->url);
            free(en->regex);
            en->url = nu;
            en->regex = nr;
            nu = nr = NULL;
        }
        if (en->interval_s != interval_s) {
            en->interval_s = interval_s;
            if (!en->inflight) { /* in flight: agenda_done plans on the new grid */
                plan_from_last(en, now_ms);
                heap_update(a, (uint32_t)(en - a->e));
            }
        }
        return AGENDA_CHANGED;
    }
    if (grow(a) != 0 || !(nu = strdup(url)) || !(nr = strdup(regex ? regex : "")))
        goto out;
    if (a->free_head != NONE) {
        idx = a->free_head;
        a->free_head = a->e[idx].next_free;
    } else
        idx = a->ne++;
    en = &a->e[idx];
    memset(en, 0, sizeof(*en));
    en->id = id;
    en->url = nu;
    en->regex = nr;
    nu = nr = NULL;
    en->interval_s = interval_s;
    en->last_ms = last_ms;
    en->gen = a->gen;
    en->used = true;
    a->hpos[idx] = NONE;
    plan_from_last(en, now_ms);
    index_insert(a, idx);
    heap_push(a, idx);
    a->count++;
    rc = AGENDA_ADDED;
out:
    free(nu);
    free(nr);
    return rc;
}

size_t agenda_reload_end(struct agenda *a)
{
    size_t dropped = 0;
    uint32_t i;

    for (i = 0; i < a->ne; i++) {
        struct entry *en = &a->e[i];
        if (!en->used || en->gen == a->gen || en->removed)
            continue;
        dropped++;
        if (en->inflight)
            en->removed = true; /* dropped at agenda_done */
        else
            entry_release(a, i);
    }
    return dropped;
}

bool agenda_take(struct agenda *a, int64_t now_ms, struct check_target *t, int64_t *sched_ms)
{
    uint32_t idx;
    struct entry *en;

    if (a->nheap == 0 || a->heap[0].due_ms > now_ms)
        return false;
    idx = a->heap[0].idx;
    heap_remove(a, idx);
    en = &a->e[idx];
    en->inflight = true;
    a->inflight++;
    t->url_id = en->id;
    copy_str(t->url, sizeof(t->url), en->url);
    copy_str(t->regex, sizeof(t->regex), en->regex);
    *sched_ms = en->sched_ms;
    return true;
}

int64_t agenda_done(struct agenda *a, uint64_t id, int64_t started_ms, int64_t now_ms)
{
    uint32_t idx = find(a, id);
    struct entry *en;
    int64_t served;

    if (idx == NONE || !a->e[idx].inflight)
        return -1;
    en = &a->e[idx];
    served = en->sched_ms;
    en->inflight = false;
    a->inflight--;
    en->last_ms = started_ms;
    if (en->removed) {
        entry_release(a, idx);
        return served;
    }
    if (en->grid_s != en->interval_s)
        plan_from_last(en, now_ms);
    else {
        /* the next tick on the grid (a catch-up check was off it: at least I later), and
         * never within 0.9 I of this check's start: a check the engine started over a
         * tenth of I late (overloaded) is not followed by one on time a moment later;
         * the tick after is skipped instead, which sheds load */
        int64_t period = (int64_t)en->interval_s * 1000;
        int64_t next = en->sched_ms + period;
        int64_t floor = started_ms + period - period * AGENDA_LATE_SLACK_PCT / 100;
        en->sched_ms = agenda_tick_at_or_after(en->id, en->interval_s, next > floor ? next : floor);
        if (en->sched_ms <= now_ms) /* missed ticks are not made up */
            en->sched_ms = agenda_tick_at_or_after(en->id, en->interval_s, now_ms + 1);
        en->due_ms = en->sched_ms;
    }
    heap_push(a, idx);
    return served;
}

size_t agenda_count(const struct agenda *a)
{
    return a->count;
}

size_t agenda_inflight(const struct agenda *a)
{
    return a->inflight;
}

int64_t agenda_next_due(const struct agenda *a)
{
    return a->nheap ? a->heap[0].due_ms : INT64_MAX;
}
