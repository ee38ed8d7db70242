/* compute/urlstate.h: a URL's up/down state and certificate warning (pure; no I/O).
 *
 * A URL is `unknown` until it is first decided, then `up` or `down`. It changes only
 * after a streak: fail_threshold consecutive failed checks make it down,
 * success_threshold consecutive successes make it up; a check of the other kind
 * breaks the streak. unknown -> down opens an incident like up -> down does (a new
 * URL that never worked is news); unknown -> up is silent; down -> up closes it.
 *
 * Certificates: an https check that saw a certificate records its expiry; when fewer
 * than cert_days are left a warning is raised (once), and it is closed when a later
 * check sees a certificate with enough days left (renewed).
 *
 * Results older than the last one applied (a spool file replayed late) leave the
 * state alone, so state only moves forward in check time. compute/alertwrite.c keeps
 * these rows in the urls table and applies them in the batch transaction. */
#ifndef URLMON_URLSTATE_H
#define URLMON_URLSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"

enum urlstate { URLSTATE_UNKNOWN, URLSTATE_UP, URLSTATE_DOWN };

/* What one check changed (bits). */
enum urlstate_change {
    URLSTATE_CH_NONE = 0,
    URLSTATE_CH_ROW = 1,       /* the stored row differs: write it */
    URLSTATE_CH_DOWN = 2,      /* went down: open an incident */
    URLSTATE_CH_UP = 4,        /* down -> up: close the incident */
    URLSTATE_CH_CERT_WARN = 8, /* certificate expiring: raise the warning */
    URLSTATE_CH_CERT_OK = 16,  /* the warned certificate was renewed: close it */
    URLSTATE_CH_FIRST_UP = 32, /* unknown -> up (no event) */
};

struct urlstate_row {
    uint64_t url_id;
    enum urlstate state;
    unsigned consec_fail, consec_ok;
    unsigned fail_threshold, success_threshold; /* already resolved: >= 1 */
    int64_t since_ms;                           /* when the state last changed, 0 = never */
    int64_t checked_at_ms;                      /* the last check applied, 0 = none */
    int64_t cert_expires_s;
    bool cert_warned; /* a cert_expiring warning is open */
};

/* Applies one check (checked_at_ms, success, cert_expires_s 0 = none seen) to s and
 * returns enum urlstate_change bits. cert_days: CERT_EXPIRY_DAYS. */
unsigned urlstate_apply(struct urlstate_row *s, const struct check_result *r, unsigned cert_days);

/* "up", "down", "unknown" (the ENUM spelling); urlstate_parse is its inverse
 * (anything else is unknown). */
const char *urlstate_name(enum urlstate s);
enum urlstate urlstate_parse(const char *s);

#endif
