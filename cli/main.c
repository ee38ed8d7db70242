/* cli/main.c: urlmon, the command line of the URL list: each command is one or a few API
 * requests (client.h), printed by output.h or as the API's JSON. args.h says the syntax.
 *
 * Exit status: 0 done; 1 the API refused the request (its message is printed) or did not
 * answer; 2 a usage error (nothing sent). */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "client.h"
#include "output.h"
#include "urlrule.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define LIST_PAGE 1000

/* One answer: status, body, parsed JSON (NULL when the body is not JSON). */
struct answer {
    long status;
    char *body;
    cJSON *doc;
};

static void answer_clear(struct answer *a)
{
    free(a->body);
    cJSON_Delete(a->doc);
    memset(a, 0, sizeof(*a));
}

/* Sends one request; 0 when the API answered with want, else prints why and returns -1. */
static int call(struct client *c, const char *method, const char *path, const char *ctype,
                const char *body, long want, struct answer *a)
{
    char err[URLMON_ERRLEN];
    const char *msg;

    answer_clear(a);
    if (client_request(c, method, path, ctype, body, &a->status, &a->body, err, sizeof(err)) != 0) {
        fprintf(stderr, "urlmon: %s\n", err);
        return -1;
    }
    a->doc = cJSON_Parse(a->body);
    if (a->status == want && a->doc)
        return 0;
    if ((msg = output_error_message(a->doc)))
        fprintf(stderr, "urlmon: %s (HTTP %ld from %s %s)\n", msg, a->status, method, path);
    else
        fprintf(stderr, "urlmon: the API answered HTTP %ld to %s %s\n", a->status, method, path);
    return -1;
}

static void print_json(const struct answer *a)
{
    fputs(a->body, stdout);
    if (!*a->body || a->body[strlen(a->body) - 1] != '\n')
        fputc('\n', stdout);
}

/* Every URL (active only unless all) through the pages of GET /urls, into one array. */
static int fetch_all(struct client *c, bool all, cJSON *items)
{
    struct answer a = {0};
    char path[128], cursor[32] = "";
    const cJSON *next, *item;
    int rc = -1;

    for (;;) {
        snprintf(path, sizeof(path), "/urls?limit=%d%s%s%s", LIST_PAGE, all ? "" : "&active=true",
                 cursor[0] ? "&cursor=" : "", cursor);
        if (call(c, "GET", path, NULL, NULL, 200, &a) != 0)
            goto out;
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(a.doc, "items"))
        {
            cJSON *copy = cJSON_Duplicate(item, 1);
            if (!copy || !cJSON_AddItemToArray(items, copy)) {
                cJSON_Delete(copy);
                fprintf(stderr, "urlmon: out of memory\n");
                goto out;
            }
        }
        next = cJSON_GetObjectItemCaseSensitive(a.doc, "next_cursor");
        if (!cJSON_IsString(next) || strlen(next->valuestring) >= sizeof(cursor))
            break;
        snprintf(cursor, sizeof(cursor), "%s", next->valuestring);
    }
    rc = 0;
out:
    answer_clear(&a);
    return rc;
}

/* The ID of target: the number itself, or the URL looked up in its canonical form. */
static int resolve(struct client *c, const char *target, uint64_t *id)
{
    char canon[URLRULE_MAX_LEN + 2];
    const char *why = NULL;
    cJSON *items = NULL;
    const cJSON *item, *url, *num;
    int rc = -1;

    if (args_is_id(target, id))
        return 0;
    if (urlrule_normalize(target, strlen(target), canon, sizeof(canon), &why) != 0) {
        fprintf(stderr, "urlmon: \"%s\" is neither an ID nor a URL we accept: %s\n", target, why);
        return -1;
    }
    if (!(items = cJSON_CreateArray()) || fetch_all(c, true, items) != 0)
        goto out;
    cJSON_ArrayForEach(item, items)
    {
        url = cJSON_GetObjectItemCaseSensitive(item, "url");
        num = cJSON_GetObjectItemCaseSensitive(item, "id");
        if (cJSON_IsString(url) && cJSON_IsNumber(num) && strcmp(url->valuestring, canon) == 0) {
            *id = (uint64_t)num->valuedouble;
            rc = 0;
            goto out;
        }
    }
    fprintf(stderr, "urlmon: %s is not monitored (urlmon list --all shows every URL)\n", canon);
out:
    cJSON_Delete(items);
    return rc;
}

static char *settings_json(const struct args *a, bool with_url)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;

    if (!o)
        return NULL;
    if (with_url && (!cJSON_AddStringToObject(o, "name", a->name ? a->name : a->target) ||
                     !cJSON_AddStringToObject(o, "url", a->target)))
        goto out;
    if (!with_url && a->name && !cJSON_AddStringToObject(o, "name", a->name))
        goto out;
    if (a->regex && !(a->regex[0] ? cJSON_AddStringToObject(o, "regex", a->regex)
                                  : cJSON_AddNullToObject(o, "regex")))
        goto out;
    if (a->has_period && !cJSON_AddNumberToObject(o, "interval", a->period))
        goto out;
    text = cJSON_PrintUnformatted(o);
out:
    cJSON_Delete(o);
    return text;
}

static int cmd_add(struct client *c, const struct args *a)
{
    struct answer an = {0};
    char *body = settings_json(a, true);
    int rc = EXIT_REFUSED;

    if (!body)
        fprintf(stderr, "urlmon: out of memory\n");
    else if (call(c, "POST", "/urls", "application/json", body, 202, &an) == 0) {
        if (a->json)
            print_json(&an);
        else
            output_queued(stdout, an.doc);
        rc = 0;
    }
    cJSON_free(body);
    answer_clear(&an);
    return rc;
}

/* METHOD /urls/{id} of the URL named by URL or id; prints the answer with show. */
static int on_url(struct client *c, const struct args *a, const char *method,
                  void (*show)(FILE *out, const cJSON *url))
{
    struct answer an = {0};
    char path[64];
    uint64_t id;
    int rc = EXIT_REFUSED;

    if (resolve(c, a->target, &id) != 0)
        return EXIT_REFUSED;
    snprintf(path, sizeof(path), "/urls/%" PRIu64, id);
    if (call(c, method, path, NULL, NULL, 200, &an) == 0) {
        if (a->json)
            print_json(&an);
        else
            show(stdout, an.doc);
        rc = 0;
    }
    answer_clear(&an);
    return rc;
}

static int cmd_remove(struct client *c, const struct args *a)
{
    return on_url(c, a, "DELETE", output_removed);
}

static int cmd_set(struct client *c, const struct args *a)
{
    struct answer an = {0};
    char path[64], *body = settings_json(a, false);
    uint64_t id = 0;
    int rc = EXIT_REFUSED;

    (void)args_is_id(a->target, &id); /* args_parse checked it */
    snprintf(path, sizeof(path), "/urls/%" PRIu64, id);
    if (!body)
        fprintf(stderr, "urlmon: out of memory\n");
    else if (call(c, "PATCH", path, "application/merge-patch+json", body, 200, &an) == 0) {
        if (a->json)
            print_json(&an);
        else
            output_url(stdout, an.doc);
        rc = 0;
    }
    cJSON_free(body);
    answer_clear(&an);
    return rc;
}

static int cmd_list(struct client *c, const struct args *a)
{
    cJSON *root = cJSON_CreateObject(), *items = cJSON_CreateArray();
    char *text = NULL;
    int rc = EXIT_REFUSED;

    if (!root || !items || !cJSON_AddItemToObject(root, "items", items)) {
        cJSON_Delete(items);
        fprintf(stderr, "urlmon: out of memory\n");
        goto out;
    }
    if (fetch_all(c, a->all, items) != 0)
        goto out;
    if (a->json) {
        if (!(text = cJSON_PrintUnformatted(root))) {
            fprintf(stderr, "urlmon: out of memory\n");
            goto out;
        }
        puts(text);
    } else
        output_list(stdout, items, a->all);
    rc = 0;
out:
    cJSON_free(text);
    cJSON_Delete(root);
    return rc;
}

static int cmd_show(struct client *c, const struct args *a)
{
    return on_url(c, a, "GET", output_url);
}

int main(int argc, char **argv)
{
    struct args a;
    struct client *c = NULL;
    char err[URLMON_ERRLEN];
    int rc = EXIT_USAGE;

    if (args_parse(argc, argv, &a, err, sizeof(err)) != 0) {
        fprintf(stderr, "urlmon: %s\n", err);
        if (a.cmd != ARGS_NONE)
            fprintf(stderr, "Try 'urlmon %s --help'.\n", args_command_name(a.cmd));
        else
            fprintf(stderr, "Try 'urlmon --help'.\n");
        goto out;
    }
    if (a.version) {
        printf("urlmon %s\n", URLMON_VERSION);
        rc = 0;
        goto out;
    }
    if (a.help) {
        args_usage(stdout, a.cmd);
        rc = 0;
        goto out;
    }
    if (client_open(getenv("URLMON_API"), getenv("API_TOKEN"), &c, err, sizeof(err)) != 0) {
        fprintf(stderr, "urlmon: %s\n", err);
        goto out;
    }
    switch (a.cmd) {
    case ARGS_ADD:
        rc = cmd_add(c, &a);
        break;
    case ARGS_REMOVE:
        rc = cmd_remove(c, &a);
        break;
    case ARGS_SET:
        rc = cmd_set(c, &a);
        break;
    case ARGS_LIST:
        rc = cmd_list(c, &a);
        break;
    case ARGS_SHOW:
        rc = cmd_show(c, &a);
        break;
    case ARGS_NONE:
        args_usage(stderr, ARGS_NONE);
        break;
    }
out:
    client_free(&c);
    return rc;
}
