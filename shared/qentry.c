/* shared/qentry.c: validation of a URL entry and its JSON form. */
#include "qentry.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonx.h"
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

const struct qentry_bounds qentry_bounds_any = {QENTRY_INTERVAL_FLOOR, QENTRY_INTERVAL_CEIL};

int qentry_check_name(const char *name, size_t len, char *err, size_t errlen)
{
    size_t chars = 0;

    if (!name || len == 0)
        return field_error(err, errlen, "name", "must not be empty");
    if (!utf8_valid(name, len, &chars))
        return field_error(err, errlen, "name", "is not valid UTF-8");
    if (chars > QENTRY_NAME_MAX_CHARS)
        return field_error(err, errlen, "name", "is longer than 255 characters");
    if (has_control(name, len))
        return field_error(err, errlen, "name", "contains a control character");
    return 0;
}

int qentry_check_regex(const char *regex, size_t len, char *err, size_t errlen)
{
    size_t chars = 0;
    char rxerr[200];

    if (!utf8_valid(regex, len, &chars))
        return field_error(err, errlen, "regex", "is not valid UTF-8");
    if (chars > QENTRY_REGEX_MAX_CHARS)
        return field_error(err, errlen, "regex", "is longer than 1024 characters");
    if (memchr(regex, '\0', len))
        return field_error(err, errlen, "regex", "contains a NUL byte");
    if (rx_validate(regex, len, rxerr, sizeof(rxerr)) != 0)
        return field_error(err, errlen, "regex", rxerr);
    return 0;
}

void qentry_interval_error(const struct qentry_bounds *b, const char *what, char *err,
                           size_t errlen)
{
    snprintf(err, errlen, "interval: %s (expected whole seconds from %u to %u)", what, b->min,
             b->max);
}

int qentry_check_interval(double v, const struct qentry_bounds *b, char *err, size_t errlen)
{
    if (!(v >= (double)b->min && v <= (double)b->max)) { /* NaN too */
        qentry_interval_error(b, "is out of range", err, errlen);
        return -1;
    }
    if ((double)(unsigned)v != v) {
        qentry_interval_error(b, "must be a whole number of seconds", err, errlen);
        return -1;
    }
    return 0;
}

int qentry_set(struct qentry *e, const char *name, size_t name_len, const char *url, size_t url_len,
               const char *regex, size_t regex_len, char *err, size_t errlen)
{
    const char *why = NULL;

    memset(e, 0, sizeof(*e));
    if (qentry_check_name(name, name_len, err, errlen) != 0)
        return -1;
    memcpy(e->name, name, name_len);
    e->name[name_len] = '\0';

    if (!url || url_len == 0)
        return field_error(err, errlen, "url", "must not be empty");
    if (urlrule_normalize(url, url_len, e->url, sizeof(e->url), &why) != 0)
        return field_error(err, errlen, "url", why);

    if (regex && regex_len > 0) {
        if (qentry_check_regex(regex, regex_len, err, errlen) != 0)
            return -1;
        memcpy(e->regex, regex, regex_len);
        e->regex[regex_len] = '\0';
        e->has_regex = true;
    }
    return 0;
}

int qentry_set_interval_text(struct qentry *e, const char *text, size_t len,
                             const struct qentry_bounds *b, char *err, size_t errlen)
{
    unsigned long long v = 0;
    size_t i = 0, digits = 0;

    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    while (len > i && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    e->has_interval = false;
    if (i == len)
        return 0;
    for (; i < len; i++, digits++) {
        if (text[i] < '0' || text[i] > '9') {
            qentry_interval_error(b, "is not a whole number of seconds", err, errlen);
            return -1;
        }
        if (v <= UINT32_MAX)
            v = v * 10 + (unsigned)(text[i] - '0');
    }
    if (digits > 10 || v < b->min || v > b->max) {
        qentry_interval_error(b, "is out of range", err, errlen);
        return -1;
    }
    e->interval = (unsigned)v;
    e->has_interval = true;
    return 0;
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

static int threshold_text(const char *field, const char *s, size_t len, unsigned *out, char *err,
                          size_t errlen)
{
    unsigned v = 0;
    size_t i;

    *out = 0;
    if (!s)
        return 0;
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
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
    if (threshold_text("fail_threshold", fail, fail_len, &e->fail_threshold, err, errlen) != 0 ||
        threshold_text("success_threshold", success, success_len, &e->success_threshold, err,
                       errlen) != 0)
        return -1;
    return 0;
}

int qentry_check_threshold(const char *field, double v, char *err, size_t errlen)
{
    if (!(v >= 1 && v <= QENTRY_THRESHOLD_MAX) || v != (double)(unsigned)v)
        return field_error(err, errlen, field, "must be an integer from 1 to 100");
    return 0;
}

/* fail_threshold / success_threshold: absent or null = not given; else 1..100. */
static int get_threshold(const cJSON *obj, const char *field, unsigned *out, char *err,
                         size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

    *out = 0;
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsNumber(item))
        return field_error(err, errlen, field, "must be an integer from 1 to 100");
    if (qentry_check_threshold(field, item->valuedouble, err, errlen) != 0)
        return -1;
    *out = (unsigned)item->valuedouble;
    return 0;
}

/* interval: absent or null = none; else a whole number within b. */
static int get_interval(const cJSON *obj, const struct qentry_bounds *b, struct qentry *e,
                        char *err, size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "interval");

    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsNumber(item)) {
        qentry_interval_error(b, "must be a number", err, errlen);
        return -1;
    }
    if (qentry_check_interval(item->valuedouble, b, err, errlen) != 0)
        return -1;
    e->interval = (unsigned)item->valuedouble;
    e->has_interval = true;
    return 0;
}

int qentry_parse_json(const char *json, size_t len, const struct qentry_bounds *b, struct qentry *e,
                      char *err, size_t errlen)
{
    cJSON *root = NULL;
    const cJSON *item;
    const char *name, *url, *regex;
    size_t name_len, url_len, regex_len;
    int rc = -1;

    memset(e, 0, sizeof(*e));
    if (!(root = jsonx_parse_object(json, len, err, errlen)))
        goto out;
    cJSON_ArrayForEach(item, root)
    {
        if (!item->string ||
            (strcmp(item->string, "name") != 0 && strcmp(item->string, "url") != 0 &&
             strcmp(item->string, "regex") != 0 && strcmp(item->string, "interval") != 0 &&
             strcmp(item->string, "fail_threshold") != 0 &&
             strcmp(item->string, "success_threshold") != 0)) {
            snprintf(err, errlen,
                     "body: unknown field \"%.64s\" (expected name, url, regex, interval, "
                     "fail_threshold, success_threshold)",
                     item->string ? item->string : "");
            goto out;
        }
    }
    if (get_string(root, "name", true, &name, &name_len, err, errlen) != 0 ||
        get_string(root, "url", true, &url, &url_len, err, errlen) != 0 ||
        get_string(root, "regex", false, &regex, &regex_len, err, errlen) != 0)
        goto out;
    if (qentry_set(e, name, name_len, url, url_len, regex, regex_len, err, errlen) != 0 ||
        get_interval(root, b ? b : &qentry_bounds_any, e, err, errlen) != 0 ||
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
    if (e->has_interval && !cJSON_AddNumberToObject(root, "interval", e->interval))
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
