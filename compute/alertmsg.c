/* compute/alertmsg.c: see alertmsg.h. */
#include "alertmsg.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

static const char *const type_names[] = {"incident_opened", "incident_closed", "cert_expiring",
                                         "cert_renewed"};

const char *alertmsg_type_name(enum alertmsg_type t)
{
    return (unsigned)t < 4 ? type_names[t] : "unknown";
}

int alertmsg_type_parse(const char *s)
{
    int i;

    for (i = 0; s && i < 4; i++)
        if (strcmp(s, type_names[i]) == 0)
            return i;
    return -1;
}

static int add_time(cJSON *o, const char *key, int64_t ms)
{
    char buf[40];

    if (ms <= 0)
        return cJSON_AddNullToObject(o, key) ? 0 : -1;
    clock_utc_format(ms, CLOCK_UTC_ISO_MS, buf, sizeof(buf));
    return cJSON_AddStringToObject(o, key, buf) ? 0 : -1;
}

static int add_str_or_null(cJSON *o, const char *key, const char *s)
{
    return (s && s[0] ? cJSON_AddStringToObject(o, key, s) : cJSON_AddNullToObject(o, key)) ? 0
                                                                                            : -1;
}

static long days_left(const struct alertmsg_event *e)
{
    int64_t left = e->cert_expires_s * 1000 - e->created_ms, day = 86400000; /* whole days */
    return (long)(left >= 0 ? left / day : -((-left + day - 1) / day));
}

/* The one readable line Slack and Mattermost show. */
static void text_line(const struct alertmsg_event *e, char *buf, size_t len)
{
    char when[40];
    int64_t dur;

    switch (e->type) {
    case ALERTMSG_OPENED:
        clock_utc_format(e->opened_ms, CLOCK_UTC_ISO_MS, when, sizeof(when));
        if (e->http_status > 0)
            snprintf(buf, len, "urlmon: %s (%s) is DOWN since %s: %s, HTTP %d: %s", e->name, e->url,
                     when, e->error_class, e->http_status, e->error_message);
        else
            snprintf(buf, len, "urlmon: %s (%s) is DOWN since %s: %s: %s", e->name, e->url, when,
                     e->error_class, e->error_message);
        break;
    case ALERTMSG_CLOSED:
        dur = e->closed_ms > e->opened_ms ? (e->closed_ms - e->opened_ms) / 1000 : 0;
        snprintf(buf, len, "urlmon: %s (%s) is UP again after %lldh%02lldm%02llds", e->name, e->url,
                 (long long)(dur / 3600), (long long)(dur / 60 % 60), (long long)(dur % 60));
        break;
    case ALERTMSG_CERT:
        clock_utc_format(e->cert_expires_s * 1000, CLOCK_UTC_ISO_MS, when, sizeof(when));
        snprintf(buf, len, "urlmon: the certificate of %s (%s) expires in %ld days (%s)", e->name,
                 e->url, days_left(e), when);
        break;
    case ALERTMSG_RENEWED:
        snprintf(buf, len, "urlmon: the certificate of %s (%s) was renewed", e->name, e->url);
        break;
    }
}

char *alertmsg_webhook(const struct alertmsg_event *e)
{
    cJSON *o = cJSON_CreateObject();
    char text[4096], *out = NULL;
    int bad = 0;

    if (!o)
        return NULL;
    text_line(e, text, sizeof(text));
    bad |= !cJSON_AddStringToObject(o, "id", e->event_id);
    bad |= !cJSON_AddStringToObject(o, "type", alertmsg_type_name(e->type));
    bad |= !cJSON_AddNumberToObject(o, "incident_id", (double)e->incident_id);
    bad |= !cJSON_AddNumberToObject(o, "url_id", (double)e->url_id);
    bad |= !cJSON_AddStringToObject(o, "url", e->url);
    bad |= !cJSON_AddStringToObject(o, "name", e->name);
    bad |= !cJSON_AddStringToObject(o, "state", e->state);
    bad |= add_time(o, "created_at", e->created_ms);
    bad |= add_time(o, "opened_at", e->opened_ms);
    bad |= add_time(o, "closed_at", e->closed_ms);
    if (e->closed_ms > 0)
        bad |= !cJSON_AddNumberToObject(o, "duration_s",
                                        (double)((e->closed_ms - e->opened_ms) / 1000));
    else
        bad |= !cJSON_AddNullToObject(o, "duration_s");
    bad |= add_str_or_null(o, "error_class", e->error_class);
    bad |= add_str_or_null(o, "error_message", e->error_message);
    if (e->http_status > 0)
        bad |= !cJSON_AddNumberToObject(o, "http_status", e->http_status);
    else
        bad |= !cJSON_AddNullToObject(o, "http_status");
    bad |= add_time(o, "cert_expires_at", e->cert_expires_s * 1000);
    if (e->cert_expires_s > 0)
        bad |= !cJSON_AddNumberToObject(o, "cert_days_left", (double)days_left(e));
    else
        bad |= !cJSON_AddNullToObject(o, "cert_days_left");
    bad |= !cJSON_AddStringToObject(o, "text", text);
    if (!bad)
        out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}

void alertmsg_signature(const char *secret, const char *body, size_t len, char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    size_t pos;

    out[0] = '\0';
    if (outlen < 8 + 2 * 32 || !HMAC(EVP_sha256(), secret, (int)strlen(secret),
                                     (const unsigned char *)body, len, md, &mdlen))
        return;
    pos = (size_t)snprintf(out, outlen, "sha256=");
    for (i = 0; i < mdlen && pos + 3 <= outlen; i++)
        pos += (size_t)snprintf(out + pos, outlen - pos, "%02x", md[i]);
}

cJSON *alertmsg_am_begin(void)
{
    return cJSON_CreateArray();
}

int alertmsg_am_add(cJSON *arr, const struct alertmsg_event *e, int64_t now_ms, unsigned hold_s)
{
    bool cert = e->type == ALERTMSG_CERT || e->type == ALERTMSG_RENEWED;
    cJSON *a = cJSON_CreateObject(), *labels, *ann;
    char text[4096], id[32];
    int bad = 0;

    if (!a || !cJSON_AddItemToArray(arr, a))
        return -1;
    labels = cJSON_AddObjectToObject(a, "labels");
    ann = cJSON_AddObjectToObject(a, "annotations");
    if (!labels || !ann)
        return -1;
    bad |=
        !cJSON_AddStringToObject(labels, "alertname", cert ? "UrlmonCertExpiring" : "UrlmonDown");
    bad |= !cJSON_AddStringToObject(labels, "url", e->url);
    bad |= !cJSON_AddStringToObject(labels, "name", e->name);
    bad |= !cJSON_AddStringToObject(labels, "error_class", cert ? "certificate" : e->error_class);
    bad |= !cJSON_AddStringToObject(labels, "severity", cert ? "warning" : "critical");
    snprintf(id, sizeof(id), "%llu", (unsigned long long)e->incident_id);
    /* the text of the opening, whatever the event that posts it */
    {
        struct alertmsg_event open = *e;
        open.type = cert ? ALERTMSG_CERT : ALERTMSG_OPENED;
        text_line(&open, text, sizeof(text));
    }
    bad |= !cJSON_AddStringToObject(ann, "summary", text);
    bad |= !cJSON_AddStringToObject(ann, "incident_id", id);
    if (e->error_message[0])
        bad |= !cJSON_AddStringToObject(ann, "error_message", e->error_message);
    bad |= add_time(a, "startsAt", e->opened_ms);
    bad |= add_time(a, "endsAt", e->closed_ms > 0 ? e->closed_ms : now_ms + (int64_t)hold_s * 1000);
    return bad ? -1 : 0;
}

char *alertmsg_am_end(cJSON *arr)
{
    char *out = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return out;
}
