/* compute/outbox.h: the outbox table as the delivery module sees it (docs/alerting.md).
 *
 * outbox_claim takes up to max due events (state pending, next_at passed) with
 * SELECT ... FOR UPDATE SKIP LOCKED and moves their next_at OUTBOX_CLAIM_SECONDS ahead
 * in the same transaction: two senders (shards, a one-shot run beside the service)
 * never post the same event at once, and one that dies mid-post leaves the events to be
 * taken again once the claim runs out. outbox_done records the result of an attempt. */
#ifndef URLMON_OUTBOX_H
#define URLMON_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

#include "alertmsg.h"
#include "common.h"
#include "sqlbuf.h"

#define OUTBOX_CLAIM_SECONDS 60

struct outbox_item {
    uint64_t id;           /* outbox row */
    uint64_t targets_done; /* bit i: target i has it */
    unsigned attempts;
    struct alertmsg_event ev;
};

/* 0 with *n items (0 = nothing due), or -1 with err. */
int outbox_claim(MYSQL *conn, struct sqlbuf *buf, size_t max, struct outbox_item *items, size_t *n,
                 char *err, size_t errlen) MUSTCHECK;

enum outbox_verdict {
    OUTBOX_SENT,   /* every target has it */
    OUTBOX_FAILED, /* a target refused it for good, or retrying ran out */
    OUTBOX_RETRY,  /* try again after retry_s */
};

/* Records an attempt: targets_done, attempts + 1, and per verdict done_at or next_at =
 * now + retry_s. why (may be NULL/"") is kept as last_error. */
int outbox_done(MYSQL *conn, struct sqlbuf *buf, const struct outbox_item *it,
                enum outbox_verdict v, unsigned retry_s, const char *why, char *err,
                size_t errlen) MUSTCHECK;

/* Closes the open incidents of deactivated URLs (DELETE /urls/{id}: nobody checks them
 * any more), with their incident_closed / cert_renewed events, and resets those URLs to
 * unknown, in one transaction. *closed: how many. */
int outbox_close_inactive(MYSQL *conn, struct sqlbuf *buf, unsigned *closed, char *err,
                          size_t errlen) MUSTCHECK;

/* Incidents to re-post to Alertmanager: every open one, and those closed within the
 * last closed_window_s (so a resolve that was lost is sent again). Calls cb per incident
 * (ev.type says down or certificate; closed_ms set when closed). */
typedef int (*outbox_incident_cb)(void *arg, const struct alertmsg_event *ev);
int outbox_incidents(MYSQL *conn, unsigned closed_window_s, outbox_incident_cb cb, void *arg,
                     char *err, size_t errlen) MUSTCHECK;

#endif
