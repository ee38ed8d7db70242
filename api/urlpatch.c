/* api/urlpatch.c: see urlpatch.h. */
#include "urlpatch.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "qentry.h"
#include "stmt.h"

enum ftype { F_STRING, F_UINT };

/* The check of a present, non-null value of the right type. */
typedef int (*check_fn)(const cJSON *v, const struct config *cfg, char *err, size_t errlen);

struct field {
    const char *json;   /* its name in the body and in GET /urls/{id} */
    const char *column; /* its column in urls (from this table only, never from a request) */
    enum ftype type;
    bool required;    /* PUT must give it, PATCH may not set it to null */
    bool def_null;    /* the default is none (SQL NULL; "" means none too), else def_num */
    uint64_t def_num; /* the default of an F_UINT */
    check_fn check;
};

static int check_name(const cJSON *v, const struct config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    return qentry_check_name(v->valuestring, strlen(v->valuestring), err, errlen);
}

static int check_regex(const cJSON *v, const struct config *cfg, char *err, size_t errlen)
{
    size_t len = strlen(v->valuestring);

    (void)cfg;
    return len == 0 ? 0 : qentry_check_regex(v->valuestring, len, err, errlen);
}

static int check_interval(const cJSON *v, const struct config *cfg, char *err, size_t errlen)
{
    const struct qentry_bounds b = {cfg->min_interval, cfg->max_interval};

    return qentry_check_interval(v->valuedouble, &b, err, errlen);
}

static int check_fail_threshold(const cJSON *v, const struct config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    return qentry_check_threshold("fail_threshold", v->valuedouble, err, errlen);
}

static int check_success_threshold(const cJSON *v, const struct config *cfg, char *err,
                                   size_t errlen)
{
    (void)cfg;
    return qentry_check_threshold("success_threshold", v->valuedouble, err, errlen);
}

/* Every setting PUT and PATCH may change: one line each. */
static const struct field fields[] = {
    {"name", "name", F_STRING, true, false, 0, check_name},
    {"regex", "regex", F_STRING, false, true, 0, check_regex},
    {"interval", "check_interval", F_UINT, false, false, QENTRY_INTERVAL_DEFAULT, check_interval},
    /* alerting (docs/alerting.md): null or left out by PUT = the global threshold */
    {"fail_threshold", "fail_threshold", F_UINT, false, true, 0, check_fail_threshold},
    {"success_threshold", "success_threshold", F_UINT, false, true, 0, check_success_threshold},
};

_Static_assert(ARRAY_LEN(fields) <= URLPATCH_MAX_FIELDS, "raise URLPATCH_MAX_FIELDS");

struct value {
    bool set;     /* the column changes */
    bool is_null; /* to SQL NULL */
    char *str;    /* F_STRING, owned */
    unsigned long len;
    uint64_t num; /* F_UINT */
};

struct urlpatch {
    struct value v[ARRAY_LEN(fields)];
};

static int field_error(char *err, size_t errlen, const char *field, const char *what)
{
    snprintf(err, errlen, "%s: %s", field, what);
    return -1;
}

static long find_field(const char *name)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(fields); i++)
        if (strcmp(fields[i].json, name) == 0)
            return (long)i;
    return -1;
}

static int unknown_field(const char *name, char *err, size_t errlen)
{
    char expected[256] = "";
    size_t i, used = 0;

    if (strcmp(name, "url") == 0)
        return field_error(err, errlen, "url",
                           "cannot be changed (it is the URL itself): POST the new URL and "
                           "DELETE this one");
    for (i = 0; i < ARRAY_LEN(fields) && used < sizeof(expected); i++)
        used += (size_t)snprintf(expected + used, sizeof(expected) - used, "%s%s", i ? ", " : "",
                                 fields[i].json);
    snprintf(err, errlen, "body: unknown field \"%.64s\" (expected %s)", name, expected);
    return -1;
}

static void set_default(const struct field *f, struct value *v)
{
    v->set = true;
    v->is_null = f->def_null;
    v->num = f->def_num;
}

/* One present field: null, or a value of the field's type that passes its check. */
static int take_value(const struct field *f, const cJSON *item, enum urlpatch_mode mode,
                      const struct config *cfg, struct value *v, char *err, size_t errlen)
{
    if (v->set)
        return field_error(err, errlen, f->json, "is given more than once");
    if (cJSON_IsNull(item)) {
        if (f->required)
            return field_error(err, errlen, f->json,
                               mode == URLPATCH_PUT ? "is required" : "cannot be null");
        set_default(f, v);
        return 0;
    }
    if (f->type == F_STRING && (!cJSON_IsString(item) || !item->valuestring))
        return field_error(err, errlen, f->json, "must be a string");
    if (f->type == F_UINT && !cJSON_IsNumber(item))
        return field_error(err, errlen, f->json, "must be a number");
    if (f->check(item, cfg, err, errlen) != 0)
        return -1;
    v->set = true;
    if (f->type == F_UINT) {
        v->num = (uint64_t)item->valuedouble;
        return 0;
    }
    v->len = (unsigned long)strlen(item->valuestring);
    if (v->len == 0 && f->def_null) {
        v->is_null = true;
        return 0;
    }
    if (!(v->str = strdup(item->valuestring)))
        return field_error(err, errlen, "body", "out of memory");
    return 0;
}

int urlpatch_parse(const char *json, size_t len, enum urlpatch_mode mode, const struct config *cfg,
                   struct urlpatch **out, char *err, size_t errlen)
{
    struct urlpatch *p = NULL;
    cJSON *root = NULL;
    const cJSON *item;
    long at;
    size_t i;
    int rc = -1;

    *out = NULL;
    if (!(root = jsonx_parse_object(json, len, err, errlen)))
        goto out;
    if (!(p = calloc(1, sizeof(*p)))) {
        snprintf(err, errlen, "body: out of memory");
        goto out;
    }
    cJSON_ArrayForEach(item, root)
    {
        if (!item->string || (at = find_field(item->string)) < 0) {
            unknown_field(item->string ? item->string : "", err, errlen);
            goto out;
        }
        if (take_value(&fields[at], item, mode, cfg, &p->v[at], err, errlen) != 0)
            goto out;
    }
    for (i = 0; mode == URLPATCH_PUT && i < ARRAY_LEN(fields); i++) {
        if (p->v[i].set)
            continue;
        if (fields[i].required) {
            field_error(err, errlen, fields[i].json, "is required");
            goto out;
        }
        set_default(&fields[i], &p->v[i]);
    }
    *out = p;
    p = NULL;
    rc = 0;
out:
    urlpatch_free(&p);
    cJSON_Delete(root);
    return rc;
}

void urlpatch_free(struct urlpatch **p)
{
    size_t i;

    if (!p || !*p)
        return;
    for (i = 0; i < ARRAY_LEN(fields); i++)
        free((*p)->v[i].str);
    free(*p);
    *p = NULL;
}

unsigned urlpatch_count(const struct urlpatch *p)
{
    unsigned n = 0;
    size_t i;

    for (i = 0; i < ARRAY_LEN(fields); i++)
        n += p->v[i].set;
    return n;
}

int urlpatch_sql(const struct urlpatch *p, char *out, size_t outlen)
{
    size_t used, i;
    int n;

    n = snprintf(out, outlen, "UPDATE urls SET ");
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    used = (size_t)n;
    for (i = 0; i < ARRAY_LEN(fields); i++) {
        if (!p->v[i].set)
            continue;
        n = snprintf(out + used, outlen - used, "%s = ?, ", fields[i].column);
        if (n < 0 || (size_t)n >= outlen - used)
            return -1;
        used += (size_t)n;
    }
    n = snprintf(out + used, outlen - used, "updated_at = UTC_TIMESTAMP(3) WHERE id = ?");
    return n < 0 || (size_t)n >= outlen - used ? -1 : 0;
}

void urlpatch_bind(struct urlpatch *p, MYSQL_BIND *b)
{
    size_t i, k = 0;

    for (i = 0; i < ARRAY_LEN(fields); i++) {
        struct value *v = &p->v[i];
        if (!v->set)
            continue;
        if (v->is_null)
            stmt_bind_null(&b[k++]);
        else if (fields[i].type == F_STRING)
            stmt_bind_str(&b[k++], v->str, &v->len);
        else
            stmt_bind_u64(&b[k++], &v->num);
    }
}
