/* api/chunkline.c: see chunkline.h. */
#include "chunkline.h"

#include <stdlib.h>
#include <string.h>

#define KEEP 64 /* bytes kept of the last line read */

struct chunkline {
    char front[CHUNKLINE_PEEK]; /* the input's first bytes */
    size_t nfront;
    char line[KEEP + 1]; /* the last piece consumed that was not an end of line */
    unsigned eols;       /* ends of line consumed since that piece */
};

int chunkline_new(struct chunkline **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -1;
}

void chunkline_free(struct chunkline **cl)
{
    if (cl && *cl) {
        free(*cl);
        *cl = NULL;
    }
}

static bool is_eol(const char *p, size_t n)
{
    return (n == 2 && p[0] == '\r' && p[1] == '\n') || (n == 1 && p[0] == '\n');
}

void chunkline_consumed(struct chunkline *cl, size_t n)
{
    size_t known = n < cl->nfront ? n : cl->nfront, keep = known < KEEP ? known : KEEP;

    if (n == 0)
        return;
    if (known == n && is_eol(cl->front, n)) {
        cl->eols++;
    } else {
        memcpy(cl->line, cl->front, keep);
        cl->line[keep] = '\0';
        cl->eols = 0;
    }
    cl->nfront = 0; /* chunkline_front follows */
}

void chunkline_front(struct chunkline *cl, const char *p, size_t n)
{
    cl->nfront = n < CHUNKLINE_PEEK ? n : CHUNKLINE_PEEK;
    memcpy(cl->front, p, cl->nfront);
}

bool chunkline_wants_front(const struct chunkline *cl)
{
    return cl->nfront < CHUNKLINE_PEEK;
}

/* libevent's test of a chunk-size line (evhttp_handle_chunked_read): strtoll in base
 * 16, an error when nothing is there, when the number is followed by anything but a
 * space, or when it is negative. A line longer than KEEP whose kept bytes are all digits
 * reads as a number (a huge one: over the limit). */
static bool size_readable(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 16);

    return s[0] != '\0' && (*end == '\0' || *end == ' ') && v >= 0;
}

int chunkline_refusal(const struct chunkline *cl)
{
    /* one end of line since a non-empty piece: that piece was the last line read */
    if (cl->eols == 1 && cl->line[0] != '\0' && !size_readable(cl->line))
        return 400;
    return 413;
}
