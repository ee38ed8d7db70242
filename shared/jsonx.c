/* shared/jsonx.c: cJSON helpers. */
#include "jsonx.h"

#include <stdarg.h>
#include <stdio.h>

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
