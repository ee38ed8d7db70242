/* shared/common.h: small macros every module uses. */
#ifndef URLMON_COMMON_H
#define URLMON_COMMON_H

#include <stddef.h>

#define MUSTCHECK __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#ifndef URLMON_VERSION
#define URLMON_VERSION "0.0.0"
#endif

/* Error strings handed back to callers are at most this long (hiredis' errstr[128] idea). */
#define URLMON_ERRLEN 256

#endif
