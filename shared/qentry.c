/* shared/qentry.c: validation of a URL entry and its JSON form. */
#include "qentry.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rx.h"
#include "utf8.h"

static int field_error(char *err, size_t errlen, const char *field, const char *what)
{
    snprintf(err, errlen, "%s: %s", field, what);
    return -1;
}

static bool has_control(const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

int qentry_set(struct qentry *e, const char *name, size_t name_len, const char *url, size_t url_len,
               const char *regex, size_t regex_len, char *err, size_t errlen)
{
    size_t chars = 0;
    const char *why = NULL;
    char rxerr[200];

    memset(e, 0, sizeof(*e));
    if (!name || name_len == 0)
        return field_error(err, errlen, "name", "must not be empty");
    if (!utf8_valid(name, name_len, &chars))
        return field_error(err, errlen, "name", "is not valid UTF-8");
    if (chars > QENTRY_NAME_MAX_CHARS)
        return field_error(err, errlen, "name", "is longer than 255 characters");
    if (has_control(name, name_len))
        return field_error(err, errlen, "name", "contains a control character");
    memcpy(e->name, name, name_len);
    e->name[name_len] = '\0';

    if (!url || url_len == 0)
        return field_error(err, errlen, "url", "must not be empty");
    if (urlrule_normalize(url, url_len, e->url, sizeof(e->url), &why) != 0)
        return field_error(err, errlen, "url", why);

    if (regex && regex_len > 0) {
        if (!utf8_valid(regex, regex_len, &chars))
            return field_error(err, errlen, "regex", "is not valid UTF-8");
        if (chars > QENTRY_REGEX_MAX_CHARS)
            return field_error(err, errlen, "regex", "is longer than 1024 characters");
        if (memchr(regex, '\0', regex_len))
            return field_error(err, errlen, "regex", "contains a NUL byte");
        if (rx_validate(regex, regex_len, rxerr, sizeof(rxerr)) != 0)
            return field_error(err, errlen, "regex", rxerr);
        memcpy(e->regex, regex, regex_len);
        e->regex[regex_len] = '\0';
        e->has_regex = true;
    }
    return 0;
}

static int threshold_text(const char *field, const char *s, size_t len, unsigned *out, char *err,
                          size_t errlen)
{
    unsigned v = 0;
    size_t i;

    *out = 0;
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (!s || len == 0)
        return 0;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > QENTRY_THRESHOLD_MAX)
            return field_error(err, errlen, field, "must be an integer from 1 to 100");
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v < 1 || v > QENTRY_THRESHOLD_MAX)
        return field_error(err, errlen, field, "must be an integer from 1 to 100");
    *out = v;
    return 0;
}

int qentry_set_thresholds(struct qentry *e, const char *fail, size_t fail_len, const char *success,
                          size_t success_len, char *err, size_t errlen)
{
    if (threshold_text("fail_threshold", fail, fail ? fail_len : 0, &e->fail_threshold, err,
                       errlen) != 0 ||
        threshold_text("success_threshold", success, success ? success_len : 0,
                       &e->success_threshold, err, errlen) != 0)
        return -1;
    return 0;
}

static int get_threshold(const cJSON *obj, const char *field, unsigned *out, char *err,
                         size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    double v;

    *out = 0;
    if (!item || cJSON_IsNull(item))
        return 0;
    v = cJSON_GetNumberValue(item);
    if (!cJSON_IsNumber(item) || v != (double)(unsigned)v || v < 1 || v > QENTRY_THRESHOLD_MAX)
        return field_error(err, errlen, field, "must be an integer from 1 to 100");
    *out = (unsigned)v;
    return 0;
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

static int get_string(const cJSON *obj, const char *field, bool required, const char **out,
                      size_t *len, char *err, size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

    *out = NULL;
    *len = 0;
    if (!item || cJSON_IsNull(item)) {
        if (required)
            return field_error(err, errlen, field, "is required");
        return 0;
    }
    if (!cJSON_IsString(item) || !item->valuestring)
        return field_error(err, errlen, field, "must be a string");
    *out = item->valuestring;
    *len = strlen(item->valuestring);
    return 0;
}

int qentry_parse_json(const char *json, size_t len, struct qentry *e, char *err, size_t errlen)
{
    cJSON *root = NULL;
    const cJSON *item;
    const char *name, *url, *regex, *end = NULL;
    size_t name_len, url_len, regex_len;
    int rc = -1;

    memset(e, 0, sizeof(*e));
    if (len == 0) {
        snprintf(err, errlen, "body: is empty (expected a JSON object)");
        goto out;
    }
    if (memchr(json, '\0', len) || has_escaped_nul(json, len)) {
        snprintf(err, errlen, "body: contains a NUL character");
        goto out;
    }
    if (!utf8_valid(json, len, NULL)) {
        snprintf(err, errlen, "body: is not valid UTF-8");
        goto out;
    }
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        snprintf(err, errlen, "body: is not valid JSON");
        goto out;
    }
    while (end && end < json + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
        end++;
    if (end && end < json + len) {
        snprintf(err, errlen, "body: has trailing characters after the JSON value");
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "body: must be a JSON object");
        goto out;
    }
    cJSON_ArrayForEach(item, root)
    {
        if (!item->string ||
            (strcmp(item->string, "name") != 0 && strcmp(item->string, "url") != 0 &&
             strcmp(item->string, "regex") != 0 && strcmp(item->string, "fail_threshold") != 0 &&
             strcmp(item->string, "success_threshold") != 0)) {
            snprintf(err, errlen,
                     "body: unknown field \"%.64s\" (expected name, url, regex, fail_threshold, "
                     "success_threshold)",
                     item->string ? item->string : "");
            goto out;
        }
    }
    if (get_string(root, "name", true, &name, &name_len, err, errlen) != 0 ||
        get_string(root, "url", true, &url, &url_len, err, errlen) != 0 ||
        get_string(root, "regex", false, &regex, &regex_len, err, errlen) != 0)
        goto out;
    if (qentry_set(e, name, name_len, url, url_len, regex, regex_len, err, errlen) != 0 ||
        get_threshold(root, "fail_threshold", &e->fail_threshold, err, errlen) != 0 ||
        get_threshold(root, "success_threshold", &e->success_threshold, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

char *qentry_to_json(const struct qentry *e)
{
    cJSON *root = cJSON_CreateObject();
    char *text = NULL;

    if (!root)
        return NULL;
    if (!cJSON_AddStringToObject(root, "name", e->name) ||
        !cJSON_AddStringToObject(root, "url", e->url))
        goto out;
    if (e->has_regex && !cJSON_AddStringToObject(root, "regex", e->regex))
        goto out;
    if ((e->fail_threshold &&
         !cJSON_AddNumberToObject(root, "fail_threshold", e->fail_threshold)) ||
        (e->success_threshold &&
         !cJSON_AddNumberToObject(root, "success_threshold", e->success_threshold)))
        goto out;
    text = cJSON_PrintUnformatted(root);
out:
    cJSON_Delete(root);
    return text;
}
