/* cli/output.c: see output.h. */
#include "output.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v : NULL;
}

/* An integer as the API gives it (up to 2^53 exact, more than any id reaches). */
static void fmt_int(const cJSON *v, char *buf, size_t len)
{
    if (v)
        snprintf(buf, len, "%.0f", v->valuedouble);
    else
        snprintf(buf, len, "-");
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Characters of UTF-8 text (continuation bytes do not count): its width in a terminal,
 * near enough for names and URLs. */
static size_t width(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void cell(FILE *out, const char *s, size_t w, bool last)
{
    size_t n = width(s);

    fputs(s, out);
    if (last)
        return;
    for (; n < w + 2; n++)
        fputc(' ', out);
}

enum col { C_ID, C_ACTIVE, C_INTERVAL, C_NAME, C_URL, C_N };

static void row_cells(const cJSON *item, char idbuf[24], char ivbuf[24], const char *cells[C_N])
{
    const cJSON *active = cJSON_GetObjectItemCaseSensitive(item, "active");

    fmt_int(num(item, "id"), idbuf, 24);
    fmt_int(num(item, "interval"), ivbuf, 24);
    if (strcmp(ivbuf, "-") != 0)
        strncat(ivbuf, " s", 23 - strlen(ivbuf));
    cells[C_ID] = idbuf;
    cells[C_ACTIVE] = cJSON_IsTrue(active) ? "yes" : cJSON_IsFalse(active) ? "no" : "-";
    cells[C_INTERVAL] = ivbuf;
    cells[C_NAME] = or_dash(str(item, "name"));
    cells[C_URL] = or_dash(str(item, "url"));
}

void output_list(FILE *out, const cJSON *items, bool all)
{
    static const char *const heads[C_N] = {"ID", "ACTIVE", "INTERVAL", "NAME", "URL"};
    size_t w[C_N], c;
    const cJSON *item;
    const char *cells[C_N];
    char idbuf[24], ivbuf[24];

    if (cJSON_GetArraySize(items) == 0) {
        fprintf(out, "no URLs%s\n", all ? "" : " (urlmon list --all shows removed ones)");
        return;
    }
    for (c = 0; c < C_N; c++)
        w[c] = width(heads[c]);
    cJSON_ArrayForEach(item, items)
    {
        row_cells(item, idbuf, ivbuf, cells);
        for (c = 0; c < C_N; c++)
            if (width(cells[c]) > w[c])
                w[c] = width(cells[c]);
    }
    for (c = 0; c < C_N; c++)
        if (c != C_ACTIVE || all)
            cell(out, heads[c], w[c], c == C_URL);
    fputc('\n', out);
    cJSON_ArrayForEach(item, items)
    {
        row_cells(item, idbuf, ivbuf, cells);
        for (c = 0; c < C_N; c++)
            if (c != C_ACTIVE || all)
                cell(out, cells[c], w[c], c == C_URL);
        fputc('\n', out);
    }
}

static void line(FILE *out, const char *label, const char *value)
{
    fprintf(out, "%-14s%s\n", label, value);
}

static void latest(FILE *out, const cJSON *chk)
{
    char buf[512], code[24], ms[24];
    const char *cls, *msg;

    if (!cJSON_IsObject(chk)) {
        line(out, "latest check:", "- (not checked yet)");
        return;
    }
    fmt_int(num(chk, "http_status"), code, sizeof(code));
    fmt_int(num(chk, "response_ms"), ms, sizeof(ms));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(chk, "success")))
        snprintf(buf, sizeof(buf), "%s  ok  HTTP %s  %s ms", or_dash(str(chk, "checked_at")), code,
                 ms);
    else {
        char what[64];
        cls = str(chk, "error_class");
        msg = str(chk, "error_message");
        if (cls)
            snprintf(what, sizeof(what), "%.60s", cls);
        else
            snprintf(what, sizeof(what), "HTTP %s", code);
        snprintf(buf, sizeof(buf), "%s  FAILED  %s%s%.300s", or_dash(str(chk, "checked_at")), what,
                 msg ? ": " : "", msg ? msg : "");
    }
    line(out, "latest check:", buf);
}

static void uptime(FILE *out, const cJSON *u)
{
    static const char *const spans[] = {"24h", "7d", "30d"};
    char buf[128] = "", part[40];
    size_t i;

    for (i = 0; i < ARRAY_LEN(spans); i++) {
        const cJSON *v = num(u, spans[i]);
        if (v)
            snprintf(part, sizeof(part), "%s%s %g%%", i ? "  " : "", spans[i], v->valuedouble);
        else
            snprintf(part, sizeof(part), "%s%s -", i ? "  " : "", spans[i]);
        strncat(buf, part, sizeof(buf) - strlen(buf) - 1);
    }
    line(out, "uptime:", buf);
}

static void response(FILE *out, const cJSON *r)
{
    char p50[24], p95[24], n[24], buf[128];

    fmt_int(num(r, "p50"), p50, sizeof(p50));
    fmt_int(num(r, "p95"), p95, sizeof(p95));
    fmt_int(num(r, "samples"), n, sizeof(n));
    snprintf(buf, sizeof(buf), "p50 %s ms  p95 %s ms  (%s successful checks)", p50, p95, n);
    line(out, "response 24h:", buf);
}

void output_url(FILE *out, const cJSON *url)
{
    const cJSON *active = cJSON_GetObjectItemCaseSensitive(url, "active");
    char buf[32];

    fmt_int(num(url, "id"), buf, sizeof(buf));
    line(out, "id:", buf);
    line(out, "name:", or_dash(str(url, "name")));
    line(out, "url:", or_dash(str(url, "url")));
    line(out, "regex:", or_dash(str(url, "regex")));
    fmt_int(num(url, "interval"), buf, sizeof(buf));
    if (strcmp(buf, "-") != 0)
        strncat(buf, " s", sizeof(buf) - strlen(buf) - 1);
    line(out, "interval:", buf);
    line(out, "active:", cJSON_IsTrue(active) ? "yes" : "no (removed)");
    line(out, "created:", or_dash(str(url, "created")));
    if (!cJSON_IsTrue(active))
        line(out, "removed:", or_dash(str(url, "deactivated")));
    if (cJSON_GetObjectItemCaseSensitive(url, "latest_check"))
        latest(out, cJSON_GetObjectItemCaseSensitive(url, "latest_check"));
    if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(url, "uptime")))
        uptime(out, cJSON_GetObjectItemCaseSensitive(url, "uptime"));
    if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(url, "response_ms_24h")))
        response(out, cJSON_GetObjectItemCaseSensitive(url, "response_ms_24h"));
}

void output_queued(FILE *out, const cJSON *answer)
{
    char iv[24];

    fmt_int(num(answer, "interval"), iv, sizeof(iv));
    fprintf(out, "queued: %s %s (interval %s%s%s%s)\n", or_dash(str(answer, "name")),
            or_dash(str(answer, "url")), strcmp(iv, "-") ? iv : "600 s or unchanged",
            strcmp(iv, "-") ? " s" : "", str(answer, "regex") ? ", regex " : "",
            str(answer, "regex") ? str(answer, "regex") : "");
    fprintf(out, "The compute side stores it at its next pass; if the URL is already known it is "
                 "updated and made active again instead.\n");
}

void output_removed(FILE *out, const cJSON *url)
{
    char id[24];

    fmt_int(num(url, "id"), id, sizeof(id));
    fprintf(out, "removed: %s %s %s (its history is kept; add it again to resume)\n", id,
            or_dash(str(url, "name")), or_dash(str(url, "url")));
}

const char *output_error_message(const cJSON *doc)
{
    return str(doc, "error");
}
