/* shared/common.h: small macros every module uses. */
#ifndef URLMON_COMMON_H
#define URLMON_COMMON_H

#include <stddef.h>
#include <time.h>

#define MUSTCHECK __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#ifndef URLMON_VERSION
#define URLMON_VERSION "0.0.0"
#endif

/* Seconds of CLOCK_MONOTONIC since *t0 (read with clock_gettime(CLOCK_MONOTONIC, t0)). */
static inline double mono_since_s(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Error strings handed back to callers are at most this long (hiredis' errstr[128] idea). */
#define URLMON_ERRLEN 256

#endif
