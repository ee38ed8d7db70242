/* shared/qentry.h: a URL to monitor as it travels: POST body, queue entry, CSV row.
 *
 * One validator for all three doors, so every URL in MySQL obeys the same rules:
 * name 1-255 characters of UTF-8 without control characters, url per urlrule.h
 * (stored in canonical form), regex optional, at most 1024 characters, compiles;
 * interval optional, whole seconds between the bounds in force (struct qentry_bounds:
 * MIN_INTERVAL..MAX_INTERVAL where a configuration is at hand, else the absolute
 * QENTRY_INTERVAL_FLOOR..QENTRY_INTERVAL_CEIL). An entry without an interval gives a new
 * URL QENTRY_INTERVAL_DEFAULT and leaves an existing URL's interval as it is.
 *
 * fail_threshold and success_threshold optional, integers 1..100 (alerting: absent = the
 * global FAIL_THRESHOLD / SUCCESS_THRESHOLD; a re-added URL takes what the entry says).
 *
 * The field checks are exported one by one (qentry_check_*) so that the other doors that
 * change a URL (PUT/PATCH /urls/{id}) apply exactly the same rules. */
#ifndef URLMON_QENTRY_H
#define URLMON_QENTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "urlrule.h"

#define QENTRY_NAME_MAX_CHARS 255
#define QENTRY_REGEX_MAX_CHARS 1024
#define QENTRY_THRESHOLD_MAX 100
#define QENTRY_INTERVAL_DEFAULT 600u  /* the urls.check_interval column's default */
#define QENTRY_INTERVAL_FLOOR 1u      /* no configuration may go below or above these */
#define QENTRY_INTERVAL_CEIL 2592000u /* 30 days */

/* The accepted interval range, inclusive (config: MIN_INTERVAL, MAX_INTERVAL). */
struct qentry_bounds {
    unsigned min, max;
};

struct qentry {
    char name[QENTRY_NAME_MAX_CHARS * 4 + 1];
    char url[URLRULE_MAX_LEN + 2];
    char regex[QENTRY_REGEX_MAX_CHARS * 4 + 1];
    bool has_regex;
    unsigned interval; /* seconds, when has_interval */
    bool has_interval;
    unsigned fail_threshold, success_threshold; /* 0 = not given: the global default */
};

/* The widest bounds: what the queue drain accepts (the API checked the configured ones). */
extern const struct qentry_bounds qentry_bounds_any;

/* Field checks; each returns 0, or -1 with "<field>: <what is wrong>" in err. */
int qentry_check_name(const char *name, size_t len, char *err, size_t errlen) MUSTCHECK;
int qentry_check_regex(const char *regex, size_t len, char *err, size_t errlen) MUSTCHECK;
/* A JSON number (already parsed: v) that must be a whole number within b. */
int qentry_check_interval(double v, const struct qentry_bounds *b, char *err,
                          size_t errlen) MUSTCHECK;
/* A JSON number (already parsed: v) that must be a whole number 1..QENTRY_THRESHOLD_MAX;
 * field names it in err ("fail_threshold", "success_threshold"). */
int qentry_check_threshold(const char *field, double v, char *err, size_t errlen) MUSTCHECK;
/* The message an out-of-range or garbled interval gets, naming the bounds. */
void qentry_interval_error(const struct qentry_bounds *b, const char *what, char *err,
                           size_t errlen);

/* Validates the three fields (regex may be NULL) and fills e. On error returns -1 and
 * writes "<field>: <what is wrong>" into err. */
int qentry_set(struct qentry *e, const char *name, size_t name_len, const char *url, size_t url_len,
               const char *regex, size_t regex_len, char *err, size_t errlen) MUSTCHECK;

/* Sets e's interval from text (a CSV cell: decimal digits, spaces around allowed; len 0
 * or only spaces = no interval) within b. On error returns -1, err names the bounds. */
int qentry_set_interval_text(struct qentry *e, const char *text, size_t len,
                             const struct qentry_bounds *b, char *err, size_t errlen) MUSTCHECK;

/* The per-URL thresholds as text (CSV cells; empty or NULL = not given). -1 + err
 * ("fail_threshold: ...") unless each is an integer 1..QENTRY_THRESHOLD_MAX. */
int qentry_set_thresholds(struct qentry *e, const char *fail, size_t fail_len, const char *success,
                          size_t success_len, char *err, size_t errlen) MUSTCHECK;

/* Parses and validates a JSON object {"name":..,"url":..,"regex":..,"interval":..,
 * "fail_threshold":..,"success_threshold":..} of len
 * bytes, the interval within b (NULL = qentry_bounds_any). Unknown fields are an error, so
 * are NUL bytes, non-string values (interval: a whole number) and bad UTF-8. */
int qentry_parse_json(const char *json, size_t len, const struct qentry_bounds *b, struct qentry *e,
                      char *err, size_t errlen) MUSTCHECK;

/* The queue form (interval only when set): a malloc'd JSON object (caller frees with free()), NULL
 * on OOM. */
char *qentry_to_json(const struct qentry *e);

#endif
