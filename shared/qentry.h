/* shared/qentry.h: a URL to monitor as it travels: POST body, queue entry, CSV row.
 *
 * One validator for all three doors, so every URL in MySQL obeys the same rules:
 * name 1-255 characters of UTF-8 without control characters, url per urlrule.h
 * (stored in canonical form), regex optional, at most 1024 characters, compiles;
 * fail_threshold and success_threshold optional, integers 1..100 (alerting: absent =
 * the global FAIL_THRESHOLD / SUCCESS_THRESHOLD). */
#ifndef URLMON_QENTRY_H
#define URLMON_QENTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "urlrule.h"

#define QENTRY_NAME_MAX_CHARS 255
#define QENTRY_REGEX_MAX_CHARS 1024
#define QENTRY_THRESHOLD_MAX 100

struct qentry {
    char name[QENTRY_NAME_MAX_CHARS * 4 + 1];
    char url[URLRULE_MAX_LEN + 2];
    char regex[QENTRY_REGEX_MAX_CHARS * 4 + 1];
    bool has_regex;
    unsigned fail_threshold, success_threshold; /* 0 = not given: the global default */
};

/* Validates the three fields (regex may be NULL) and fills e. On error returns -1 and
 * writes "<field>: <what is wrong>" into err. */
int qentry_set(struct qentry *e, const char *name, size_t name_len, const char *url, size_t url_len,
               const char *regex, size_t regex_len, char *err, size_t errlen) MUSTCHECK;

/* The per-URL thresholds as text (CSV cells; empty or NULL = not given). -1 + err
 * ("fail_threshold: ...") unless each is an integer 1..QENTRY_THRESHOLD_MAX. */
int qentry_set_thresholds(struct qentry *e, const char *fail, size_t fail_len, const char *success,
                          size_t success_len, char *err, size_t errlen) MUSTCHECK;

/* Parses and validates a JSON object {"name":..,"url":..,"regex":..,
 * "fail_threshold":..,"success_threshold":..} of len bytes.
 * Unknown fields are an error, so are NUL bytes, non-string values and bad UTF-8. */
int qentry_parse_json(const char *json, size_t len, struct qentry *e, char *err,
                      size_t errlen) MUSTCHECK;

/* The queue form: a malloc'd JSON object (caller frees with free()), NULL on OOM. */
char *qentry_to_json(const struct qentry *e);

#endif
