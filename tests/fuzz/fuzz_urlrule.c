/* libFuzzer: URL validation and canonical form (shared/urlrule.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "urlrule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[URLRULE_MAX_LEN + 2], again[URLRULE_MAX_LEN + 2];
    const char *why = NULL, *auth, *slash;
    size_t len;

    if (urlrule_normalize((const char *)data, size, out, sizeof(out), &why) != 0) {
        if (!why)
            abort();
        return 0;
    }
    len = strlen(out);
    if (len == 0 || len > URLRULE_MAX_LEN || strchr(out, '#'))
        abort();
    /* No credentials in the authority; the canonical form always has a path. */
    auth = strstr(out, "://");
    slash = auth ? strchr(auth + 3, '/') : NULL;
    if (!slash || memchr(auth + 3, '@', (size_t)(slash - auth - 3)))
        abort();
    /* The canonical form is a fixed point. */
    if (urlrule_normalize(out, len, again, sizeof(again), &why) != 0 || strcmp(out, again) != 0)
        abort();
    return 0;
}
