/* shared/jsonx.c: cJSON helpers. */
#include "jsonx.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

char *jsonx_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    cJSON *root = cJSON_CreateObject();

    if (!root)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!cJSON_AddStringToObject(root, "error", msg)) {
        cJSON_Delete(root);
        return NULL;
    }
    return jsonx_print_free(root);
}

char *jsonx_print_free(cJSON *root)
{
    char *text = NULL;
    if (root)
        text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* cJSON turns \u0000 into an early end of string; refuse it before parsing. */
static bool has_escaped_nul(const char *json, size_t len)
{
    size_t i;
    for (i = 0; i + 6 <= len; i++)
        if (json[i] == '\\' && (json[i + 1] == 'u' || json[i + 1] == 'U') &&
            strncmp(json + i + 2, "0000", 4) == 0)
            return true;
    return false;
}

cJSON *jsonx_parse_object(const char *json, size_t len, char *err, size_t errlen)
{
    cJSON *root = NULL;
    const char *end = NULL;

    if (len == 0) {
        snprintf(err, errlen, "body: is empty (expected a JSON object)");
        goto fail;
    }
    if (memchr(json, '\0', len) || has_escaped_nul(json, len)) {
        snprintf(err, errlen, "body: contains a NUL character");
        goto fail;
    }
    if (!utf8_valid(json, len, NULL)) {
        snprintf(err, errlen, "body: is not valid UTF-8");
        goto fail;
    }
    if (!(root = cJSON_ParseWithLengthOpts(json, len, &end, 0))) {
        snprintf(err, errlen, "body: is not valid JSON");
        goto fail;
    }
    while (end && end < json + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
        end++;
    if (end && end < json + len) {
        snprintf(err, errlen, "body: has trailing characters after the JSON value");
        goto fail;
    }
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "body: must be a JSON object");
        goto fail;
    }
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}
