/* tests/integration/test_engine_util.h: helpers for the check engine's integration tests.
 *
 * etest_target_*: runs urlmon-target (URLMON_TARGET_BIN) on free loopback ports in a
 * temporary directory and reads back the addresses it bound from its ready file.
 * etest_run: feeds a list of URLs (+ regexes) through checker_run and collects every
 * result by index, counting how often each index came back. */
#ifndef URLMON_TEST_ENGINE_UTIL_H
#define URLMON_TEST_ENGINE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "checker.h"

#define ETEST_MAX_LISTEN 32

struct etest_target {
    pid_t pid;
    char dir[256];
    unsigned nhttp;
    char http[ETEST_MAX_LISTEN][64]; /* "127.0.0.1:PORT" */
    char blackhole[64];              /* "" when none was asked for */
    char garbage[64];
};

/* Starts urlmon-target with args (NULL-terminated, e.g. "--listen", "127.0.0.1:0") plus
 * --ready-file; waits up to 10 s for it. Fails the test on error. The target is killed
 * when the test process ends, even when a failed assertion skipped etest_target_stop. */
void etest_target_start(struct etest_target *t, const char *const *args);
/* SIGTERM, then SIGKILL after 3 s; removes the directory. */
void etest_target_stop(struct etest_target *t);

/* "127.0.0.1:PORT" of a loopback port nothing listens on (bound and released). */
void etest_unused_addr(char *out, size_t outlen);

struct etest_url {
    const char *url;
    const char *regex; /* NULL = none */
};

/* Results of one run: result[i] is the (last) result of urls[i], seen[i] how many came. */
struct etest_results {
    size_t n;
    struct check_result *result;
    unsigned *seen;
    int64_t *done_ms; /* wall clock (ms) when the sink received it */
    struct checker_stats stats;
    int64_t wall_ms; /* duration of checker_run */
};

/* Runs urls through checker_run with o (its source/sink are replaced). stop_after > 0:
 * sets the stop flag once that many results came. Returns checker_run's value. */
int etest_run(struct checker_opts *o, const struct etest_url *urls, size_t n, size_t stop_after,
              struct etest_results *res);
void etest_results_free(struct etest_results *res);

int64_t etest_now_ms(void);

#endif
