/* compute/urlstate.c: see urlstate.h. */
#include "urlstate.h"

#include <string.h>

#define DAY_S 86400

static unsigned apply_cert(struct urlstate_row *s, const struct check_result *r, unsigned days)
{
    unsigned ch = URLSTATE_CH_NONE;
    bool near;

    if (r->cert_expires_s <= 0)
        return ch; /* no certificate seen: nothing learnt */
    if (r->cert_expires_s != s->cert_expires_s) {
        s->cert_expires_s = r->cert_expires_s;
        ch |= URLSTATE_CH_ROW;
    }
    near = r->cert_expires_s - r->checked_at_ms / 1000 < (int64_t)days * DAY_S;
    if (near && !s->cert_warned) {
        s->cert_warned = true;
        ch |= URLSTATE_CH_ROW | URLSTATE_CH_CERT_WARN;
    } else if (!near && s->cert_warned) {
        s->cert_warned = false;
        ch |= URLSTATE_CH_ROW | URLSTATE_CH_CERT_OK;
    }
    return ch;
}

unsigned urlstate_apply(struct urlstate_row *s, const struct check_result *r, unsigned cert_days)
{
    unsigned ch = URLSTATE_CH_NONE;
    unsigned before_fail = s->consec_fail, before_ok = s->consec_ok;

    if (s->checked_at_ms > 0 && r->checked_at_ms <= s->checked_at_ms)
        return ch; /* older than what the state already knows */
    if (r->success) {
        s->consec_fail = 0;
        if (s->state != URLSTATE_UP && s->consec_ok < s->success_threshold)
            s->consec_ok++;
        if (s->state != URLSTATE_UP && s->consec_ok >= s->success_threshold) {
            ch |= s->state == URLSTATE_DOWN ? URLSTATE_CH_UP : URLSTATE_CH_FIRST_UP;
            s->state = URLSTATE_UP;
            s->since_ms = r->checked_at_ms;
            s->consec_ok = 0;
        }
    } else {
        s->consec_ok = 0;
        if (s->state != URLSTATE_DOWN && s->consec_fail < s->fail_threshold)
            s->consec_fail++;
        if (s->state != URLSTATE_DOWN && s->consec_fail >= s->fail_threshold) {
            ch |= URLSTATE_CH_DOWN;
            s->state = URLSTATE_DOWN;
            s->since_ms = r->checked_at_ms;
            s->consec_fail = 0;
        }
    }
    /* steady state (up and passing, down and failing) changes nothing stored */
    if (ch != URLSTATE_CH_NONE || s->consec_fail != before_fail || s->consec_ok != before_ok)
        ch |= URLSTATE_CH_ROW;
    ch |= apply_cert(s, r, cert_days);
    if (ch & URLSTATE_CH_ROW)
        s->checked_at_ms = r->checked_at_ms;
    return ch;
}

const char *urlstate_name(enum urlstate s)
{
    return s == URLSTATE_UP ? "up" : s == URLSTATE_DOWN ? "down" : "unknown";
}

enum urlstate urlstate_parse(const char *s)
{
    if (s && strcmp(s, "up") == 0)
        return URLSTATE_UP;
    if (s && strcmp(s, "down") == 0)
        return URLSTATE_DOWN;
    return URLSTATE_UNKNOWN;
}
