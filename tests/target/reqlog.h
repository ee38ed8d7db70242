/*
 * reqlog.h: the --log file, one line "<method> <path+query>\n" per request received.
 *
 * One shared file (opened O_APPEND) guarded by a mutex; every worker thread owns a
 * reqlog_buf and appends lines to it without locking. A buffer is written out, whole lines
 * only, when it fills up, when its owner calls reqlog_buf_flush (once a second) and when it
 * is freed, so lines from different threads never interleave within a line.
 */
#ifndef REQLOG_H
#define REQLOG_H

#include <stddef.h>

#include "tgt.h"

struct reqlog;
struct reqlog_buf;

/* Open (create, append to) path. On -1, err says why. */
int reqlog_open(const char *path, struct reqlog **out, char *err, size_t errlen) TGT_MUSTCHECK;
/* NULL-safe, clears *log. Free all buffers first. */
void reqlog_free(struct reqlog **log);

/* A per-thread buffer writing to log. Returns NULL on out of memory. */
struct reqlog_buf *reqlog_buf_new(struct reqlog *log);
/* Flushes, then frees. NULL-safe, clears *buf. */
void reqlog_buf_free(struct reqlog_buf **buf);
void reqlog_buf_add(struct reqlog_buf *buf, const char *method, size_t mlen, const char *target,
                    size_t tlen);
void reqlog_buf_flush(struct reqlog_buf *buf);

#endif
