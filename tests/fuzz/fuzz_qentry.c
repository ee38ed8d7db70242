/* libFuzzer: the POST /urls body / queue entry validator (shared/qentry.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qentry.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qentry e, back;
    char err[256];
    char *json;

    if (qentry_parse_json((const char *)data, size, NULL, &e, err, sizeof(err)) != 0)
        return 0;
    /* Whatever is accepted must be valid, canonical and survive a round trip. */
    if (!utf8_valid(e.name, strlen(e.name), NULL) || strlen(e.url) > URLRULE_MAX_LEN)
        abort();
    json = qentry_to_json(&e);
    if (!json)
        return 0;
    if (qentry_parse_json(json, strlen(json), NULL, &back, err, sizeof(err)) != 0)
        abort();
    if (strcmp(back.name, e.name) != 0 || strcmp(back.url, e.url) != 0 ||
        strcmp(back.regex, e.regex) != 0 || back.has_regex != e.has_regex ||
        back.has_interval != e.has_interval || back.interval != e.interval)
        abort();
    free(json);
    return 0;
}
