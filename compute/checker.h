/* compute/checker.h: the check engine: libcurl multi-socket driven by libevent.
 *
 * checker_run starts CHECK_THREADS event loops (one per core by default), each with
 * its own curl multi handle and its share of at most CONCURRENCY checks in flight.
 * Loops pull work with the source callback and hand every finished check to the
 * sink callback; both are called from the loop threads, concurrently, so they must
 * be thread-safe and must not block for long (the sink queues to a writer thread).
 *
 * Memory is bounded by the concurrency: each in-flight slot owns fixed buffers
 * (struct check_target) that the source fills in place; nothing is kept per URL
 * after its result was handed to the sink. */
#ifndef URLMON_CHECKER_H
#define URLMON_CHECKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "common.h"
#include "config.h"

/* What a source returns. */
enum checker_source_result {
    CHECKER_SOURCE_END = 0,   /* no more work: the loop ends once its checks are done */
    CHECKER_SOURCE_GOT = 1,   /* *t is filled: check it */
    CHECKER_SOURCE_LATER = 2, /* nothing due now (service mode): asked again after
                               * source_wait's answer (1..CHECKER_IDLE_POLL_MS ms), not
                               * before (a stop is still seen at the next event) */
};
#define CHECKER_IDLE_POLL_MS 100

/* After CHECKER_SOURCE_LATER: ms until the source expects work (clamped to
 * 1..CHECKER_IDLE_POLL_MS; NULL = CHECKER_IDLE_POLL_MS). Thread-safe like the source. */
typedef long (*checker_wait_fn)(void *arg);

/* Fills *t with the next URL; returns an enum checker_source_result. */
typedef int (*checker_source_fn)(void *arg, struct check_target *t);
/* Receives one finished check; r is only valid during the call. */
typedef void (*checker_sink_fn)(void *arg, const struct check_result *r);

struct checker_opts {
    unsigned threads;     /* event loops; 0 = one per online core */
    unsigned concurrency; /* in flight across all loops */
    unsigned timeout_ms;  /* whole check */
    unsigned connect_timeout_ms;
    unsigned max_redirects;
    unsigned max_body_bytes;
    bool allow_private_targets; /* false = SSRF guard on */
    /* TLS trust: a CA bundle file and/or a hashed CA directory (CA_BUNDLE, CA_PATH);
     * NULL or "" = the system bundle. Must outlive checker_run. */
    const char *ca_bundle, *ca_path;
    checker_source_fn source;
    checker_wait_fn source_wait; /* may be NULL; called with source_arg */
    void *source_arg;
    checker_sink_fn sink;
    void *sink_arg;
    /* Set by another thread (signal handler path) to stop taking new work; checks in
     * flight are finished, then checker_run returns. May be NULL. */
    atomic_int *stop;
};

/* Fills opts from the configuration (callbacks left NULL). */
void checker_opts_from_config(struct checker_opts *o, const struct config *cfg);

struct checker_stats {
    uint64_t started, finished, succeeded, failed;
};

/* Runs until the source is exhausted (or *stop is set) and every started check was
 * handed to the sink. Returns 0, or -1 with a message in err when the engine could
 * not start (then no check was started). A loop that fails mid-run (its event loop
 * errs, which should never happen) also returns -1: its checks in flight were handed
 * to the sink as `other` and the source may not be exhausted. */
int checker_run(const struct checker_opts *o, struct checker_stats *stats, char *err,
                size_t errlen) MUSTCHECK;

/* Call once from main() before any thread exists (curl_global_init; also sets SIGPIPE
 * to ignored, so a peer closing mid-write fails that check, not the process). */
int checker_global_init(void) MUSTCHECK;
void checker_global_cleanup(void);

#endif
