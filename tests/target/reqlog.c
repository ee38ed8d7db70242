/* reqlog.c: buffered, thread-safe request log. See reqlog.h. */
#include "reqlog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define REQLOG_BUF_SIZE (64 * 1024)

struct reqlog {
    int fd;
    pthread_mutex_t lock;
    bool warned; /* a write error has been reported (under lock) */
};

struct reqlog_buf {
    struct reqlog *log;
    size_t used;
    char data[REQLOG_BUF_SIZE];
};

int reqlog_open(const char *path, struct reqlog **out, char *err, size_t errlen)
{
    int rc = -1;
    struct reqlog *log = NULL;

    if (!(log = calloc(1, sizeof(*log)))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log->fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (pthread_mutex_init(&log->lock, NULL) != 0) {
        snprintf(err, errlen, "pthread_mutex_init failed");
        close(log->fd);
        goto out;
    }
    *out = log;
    log = NULL;
    rc = 0;
out:
    free(log);
    return rc;
}

void reqlog_free(struct reqlog **logp)
{
    struct reqlog *log = logp ? *logp : NULL;

    if (!log)
        return;
    close(log->fd);
    pthread_mutex_destroy(&log->lock);
    free(log);
    *logp = NULL;
}

/* Write all of [p, p + len) under the lock. */
static void log_write(struct reqlog *log, const char *p, size_t len)
{
    ssize_t n;

    pthread_mutex_lock(&log->lock);
    while (len > 0) {
        n = write(log->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!log->warned)
                fprintf(stderr, "urlmon-target: writing the request log: %s\n",
                        n < 0 ? strerror(errno) : "short write");
            log->warned = true;
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    pthread_mutex_unlock(&log->lock);
}

struct reqlog_buf *reqlog_buf_new(struct reqlog *log)
{
    struct reqlog_buf *buf = malloc(sizeof(*buf));

    if (buf) {
        buf->log = log;
        buf->used = 0;
    }
    return buf;
}

void reqlog_buf_flush(struct reqlog_buf *buf)
{
    if (buf && buf->used > 0) {
        log_write(buf->log, buf->data, buf->used);
        buf->used = 0;
    }
}

void reqlog_buf_free(struct reqlog_buf **bufp)
{
    struct reqlog_buf *buf = bufp ? *bufp : NULL;

    if (!buf)
        return;
    reqlog_buf_flush(buf);
    free(buf);
    *bufp = NULL;
}

static void buf_put(struct reqlog_buf *buf, const char *p, size_t len)
{
    memcpy(buf->data + buf->used, p, len);
    buf->used += len;
}

void reqlog_buf_add(struct reqlog_buf *buf, const char *method, size_t mlen, const char *target,
                    size_t tlen)
{
    size_t need = mlen + tlen + 2;

    if (!buf)
        return;
    if (buf->used + need > REQLOG_BUF_SIZE)
        reqlog_buf_flush(buf);
    if (need > REQLOG_BUF_SIZE) {
        /* longer than the buffer (cannot happen with 64 KiB heads): write it directly */
        struct iovec iov[4] = {
            {(void *)method, mlen}, {(void *)" ", 1}, {(void *)target, tlen}, {(void *)"\n", 1}};
        pthread_mutex_lock(&buf->log->lock);
        if (writev(buf->log->fd, iov, 4) != (ssize_t)need && !buf->log->warned) {
            fprintf(stderr, "urlmon-target: writing the request log failed\n");
            buf->log->warned = true;
        }
        pthread_mutex_unlock(&buf->log->lock);
    }
    if (need <= REQLOG_BUF_SIZE) {
        buf_put(buf, method, mlen);
        buf_put(buf, " ", 1);
        buf_put(buf, target, tlen);
        buf_put(buf, "\n", 1);
    }
}
