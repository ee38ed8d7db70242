/* api/wpool.c: a fixed set of worker threads fed through a mutex + condition queue. */
#include "wpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"

struct wpool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct wpool_task *head, *tail; /* waiting for a worker */
    struct wpool_task *done;        /* finished, waiting for the loop (LIFO, reversed) */
    unsigned waiting, running, max_queued;
    bool stopping;
    struct event *wake; /* activated when done goes from empty to non-empty */
    pthread_t *threads;
    unsigned nthreads;
};

static void *worker_main(void *arg)
{
    struct wpool *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct wpool_task *t;
        bool was_empty;

        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cond, &p->lock);
        if (!p->head)
            break; /* stopping and nothing left */
        t = p->head;
        p->head = t->next;
        if (!p->head)
            p->tail = NULL;
        p->waiting--;
        p->running++;
        pthread_mutex_unlock(&p->lock);

        t->run(t);

        pthread_mutex_lock(&p->lock);
        p->running--;
        was_empty = p->done == NULL;
        t->next = p->done;
        p->done = t;
        if (was_empty)
            event_active(p->wake, EV_READ, 0);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Loop thread: runs done() for every finished task, oldest first. */
static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    struct wpool *p = arg;
    struct wpool_task *list, *rev = NULL;

    pthread_mutex_lock(&p->lock);
    list = p->done;
    p->done = NULL;
    pthread_mutex_unlock(&p->lock);
    while (list) {
        struct wpool_task *next = list->next;
        list->next = rev;
        rev = list;
        list = next;
    }
    while (rev) {
        struct wpool_task *next = rev->next;
        rev->next = NULL;
        rev->done(rev);
        rev = next;
    }
}

int wpool_open(struct event_base *base, unsigned threads, unsigned max_queued, struct wpool **out,
               char *err, size_t errlen)
{
    struct wpool *p = NULL;
    char name[16];
    unsigned i;

    *out = NULL;
    if (!(p = calloc(1, sizeof(*p))) || !(p->threads = calloc(threads, sizeof(*p->threads)))) {
        snprintf(err, errlen, "worker pool: out of memory");
        free(p);
        return -1;
    }
    pthread_mutex_init(&p->lock, NULL);
    if (clock_cond_init(&p->cond) != 0) {
        snprintf(err, errlen, "worker pool: cannot create a condition variable");
        pthread_mutex_destroy(&p->lock);
        free(p->threads);
        free(p);
        return -1;
    }
    p->max_queued = max_queued;
    if (!(p->wake = event_new(base, -1, 0, wake_cb, p))) {
        snprintf(err, errlen, "worker pool: cannot create its event");
        wpool_free(&p);
        return -1;
    }
    for (i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            snprintf(err, errlen, "worker pool: cannot start thread %u of %u", i + 1, threads);
            wpool_free(&p);
            return -1;
        }
        snprintf(name, sizeof(name), "work%u", i);
        pthread_setname_np(p->threads[i], name);
        p->nthreads++;
    }
    *out = p;
    return 0;
}

void wpool_free(struct wpool **pp)
{
    struct wpool *p;
    unsigned i;

    if (!pp || !*pp)
        return;
    p = *pp;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    if (p->wake)
        event_free(p->wake);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p->threads);
    free(p);
    *pp = NULL;
}

int wpool_submit(struct wpool *p, struct wpool_task *t)
{
    int rc = -1;

    pthread_mutex_lock(&p->lock);
    if (!p->stopping && p->waiting < p->max_queued) {
        t->next = NULL;
        if (p->tail)
            p->tail->next = t;
        else
            p->head = t;
        p->tail = t;
        p->waiting++;
        pthread_cond_signal(&p->cond);
        rc = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void wpool_stats(struct wpool *p, long *waiting, long *running)
{
    pthread_mutex_lock(&p->lock);
    *waiting = (long)p->waiting;
    *running = (long)p->running;
    pthread_mutex_unlock(&p->lock);
}
