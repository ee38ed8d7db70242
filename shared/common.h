/* shared/common.h: small macros every module uses. */
#ifndef URLMON_COMMON_H
#define URLMON_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
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

/* Writes v in decimal at p (at most 20 characters, no NUL); returns the end. For hot
 * formatting loops where snprintf's parsing costs more than the digits. */
static inline char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* Copies src into dst[cap] (cap > 0), cut to cap - 1 bytes, always terminated: what
 * snprintf(dst, cap, "%s", src) does, for the per-check paths where its format parsing
 * costs more than the copy. */
static inline void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Error strings handed back to callers are at most this long (hiredis' errstr[128] idea). */
#define URLMON_ERRLEN 256

#endif
