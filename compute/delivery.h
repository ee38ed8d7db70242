/* compute/delivery.h: sends the outbox's events to Alertmanager and webhooks.
 *
 * One thread with its own MySQL connection and a libcurl multi handle, off the checking
 * path: checks and result writes never wait for it, and it never waits for them.
 * It takes due events from the outbox (outbox.h), POSTs each to every target that does
 * not have it yet (at most DELIVERY_INFLIGHT posts at once, DELIVERY_POST_TIMEOUT_S
 * each, redirects not followed; the targets are operator configuration, so the SSRF
 * guard does not apply), and records the outcome: 2xx = delivered; 4xx other than
 * 408/429 = refused for good (the event fails for that target); anything else is
 * retried with exponential backoff and jitter until WEBHOOK_RETRY_SECONDS after the
 * event was made, then the event is marked failed and logged. Alertmanager also gets
 * every open incident again every ALERTMANAGER_RESEND_SECONDS (firing alerts carry
 * endsAt = now + hold_s, so they stay firing only while urlmon keeps re-posting them).
 * Every few seconds it also closes the incidents of URLs deactivated meanwhile.
 *
 * Use:
 *   one-shot run:  delivery_start at the start, delivery_stop(&d, DELIVERY_FINISH_SECONDS)
 *                  after the results are written: it sends what is due, then returns;
 *                  what is left (receiver down, backoff) waits in the outbox.
 *   service mode:  delivery_start once, delivery_stop(&d, few seconds) at shutdown.
 * Without targets the thread still runs and marks events sent (nothing to send). */
#ifndef URLMON_DELIVERY_H
#define URLMON_DELIVERY_H

#include <stdint.h>

#include "common.h"
#include "config.h"

#define DELIVERY_INFLIGHT 8        /* posts at once */
#define DELIVERY_POST_TIMEOUT_S 10 /* one post, connection included */
#define DELIVERY_FINISH_SECONDS 15 /* one-shot: delivering before exit */
#define DELIVERY_MAX_TARGETS 64    /* ALERTMANAGER_URL + WEBHOOK_URLS entries */
#define DELIVERY_BACKOFF_BASE_S 2  /* first retry after 1-2 s, doubling ... */
#define DELIVERY_BACKOFF_MAX_S 600 /* ... up to 5-10 min */

struct delivery;

struct delivery_stats {
    uint64_t sent;    /* events every target has */
    uint64_t failed;  /* events given up (refused for good, or retries ran out) */
    uint64_t retried; /* attempts that will be retried */
    uint64_t reposts; /* Alertmanager re-posts of open incidents */
};

/* hold_s: how long a firing alert lasts in Alertmanager unless re-posted (one-shot:
 * a few run intervals; service: a few ALERTMANAGER_RESEND_SECONDS). cfg must outlive
 * the thread. A bad target list (not http/https, too many) is an error. */
int delivery_start(const struct config *cfg, unsigned hold_s, struct delivery **out, char *err,
                   size_t errlen) MUSTCHECK;
/* Sends what is due for at most timeout_s more seconds, then stops the thread, fills
 * *st (may be NULL) and frees d. NULL-safe. */
void delivery_stop(struct delivery **d, unsigned timeout_s, struct delivery_stats *st);

/* Splits a comma-separated target list ("" = none) into out (each trimmed, http(s)
 * only). Returns the count, or -1 with err. Exposed for the tests. */
int delivery_parse_targets(const char *list, char (*out)[1024], int max, char *err,
                           size_t errlen) MUSTCHECK;

#endif
