/* compute/alertmsg.h: what an alert event looks like on the wire (pure; no I/O).
 *
 * Webhooks get one JSON object per event (alertmsg_webhook), signed with
 * alertmsg_signature: "sha256=" + hex HMAC-SHA256(body, WEBHOOK_SECRET), sent as the
 * X-Urlmon-Signature header. Alertmanager gets a JSON array of alerts
 * (alertmsg_am_begin / alertmsg_am_add / alertmsg_am_end) built from the incident's
 * current state: firing (endsAt = now + hold, re-posted before it passes) or resolved
 * (endsAt = closed_at). Both formats are described in docs/alerting.md. */
#ifndef URLMON_ALERTMSG_H
#define URLMON_ALERTMSG_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "common.h"

enum alertmsg_type {
    ALERTMSG_OPENED,  /* incident_opened: the URL went down */
    ALERTMSG_CLOSED,  /* incident_closed: it is up again */
    ALERTMSG_CERT,    /* cert_expiring */
    ALERTMSG_RENEWED, /* cert_renewed */
};

/* An event with what the messages say about its incident and URL. */
struct alertmsg_event {
    char event_id[64];
    enum alertmsg_type type;
    uint64_t url_id, incident_id;
    char url[URLRULE_MAX_LEN + 2];
    char name[1024];
    char state[16];       /* the URL's state now: up, down, unknown */
    int64_t created_ms;   /* when the event was decided */
    int64_t opened_ms;    /* incident start (first failed check / warning raised) */
    int64_t closed_ms;    /* 0 = still open */
    char error_class[32]; /* "" for certificate incidents */
    char error_message[CHECK_MESSAGE_MAX];
    int http_status;        /* 0 = none */
    int64_t cert_expires_s; /* certificate incidents; 0 = none */
};

const char *alertmsg_type_name(enum alertmsg_type t);
/* -1 when s names no type. */
int alertmsg_type_parse(const char *s);

/* The webhook body (malloc'd, free with cJSON_free), NULL when out of memory. */
char *alertmsg_webhook(const struct alertmsg_event *e);
/* "sha256=<64 hex>" into out (>= 72 bytes). */
void alertmsg_signature(const char *secret, const char *body, size_t len, char *out, size_t outlen);

/* Alertmanager: an array, one alert per incident, then printed (and the array freed). */
cJSON *alertmsg_am_begin(void);
int alertmsg_am_add(cJSON *arr, const struct alertmsg_event *e, int64_t now_ms,
                    unsigned hold_s) MUSTCHECK;
char *alertmsg_am_end(cJSON *arr);

#endif
