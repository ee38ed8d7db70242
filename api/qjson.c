/* api/qjson.c: JSON helpers of the query modules: integers are added as raw text from
 * MySQL so 64-bit values stay exact. */
#include "query_int.h"

#include <stdio.h>
#include <string.h>

int qjson_raw(cJSON *obj, const char *name, const char *digits)
{
    if (!digits)
        return cJSON_AddNullToObject(obj, name) ? 0 : -1;
    return cJSON_AddRawToObject(obj, name, digits) ? 0 : -1;
}

int qjson_str(cJSON *obj, const char *name, const char *s)
{
    if (!s)
        return cJSON_AddNullToObject(obj, name) ? 0 : -1;
    return cJSON_AddStringToObject(obj, name, s) ? 0 : -1;
}

int qjson_time(cJSON *obj, const char *name, const char *mysql_text)
{
    char iso[48];

    if (!mysql_text)
        return cJSON_AddNullToObject(obj, name) ? 0 : -1;
    sqlq_iso8601(mysql_text, iso, sizeof(iso));
    return cJSON_AddStringToObject(obj, name, iso) ? 0 : -1;
}

int qjson_bool(cJSON *obj, const char *name, const char *digit)
{
    if (!digit)
        return cJSON_AddNullToObject(obj, name) ? 0 : -1;
    return cJSON_AddBoolToObject(obj, name, strcmp(digit, "0") != 0) ? 0 : -1;
}

int qjson_error(struct qctx *q, int status, const char *msg)
{
    cJSON_Delete(q->root);
    q->status = status;
    if (!(q->root = cJSON_CreateObject()) || qjson_str(q->root, "error", msg) != 0) {
        snprintf(q->err, sizeof(q->err), "out of memory");
        return QRES_ERR;
    }
    return QRES_OK;
}

int qjson_time_ms(cJSON *obj, const char *name, int64_t ms)
{
    MYSQL_TIME t;
    char text[40];

    sqlq_time(ms, false, &t);
    snprintf(text, sizeof(text), "%04u-%02u-%02u %02u:%02u:%02u.%03lu", t.year, t.month, t.day,
             t.hour, t.minute, t.second, t.second_part / 1000);
    return qjson_time(obj, name, text);
}
