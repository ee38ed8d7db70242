/* api/chunkline.h: what libevent's 413 for a chunked body really stands for.
 *
 * libevent 2.1 answers 413 both when a chunk size takes the body over the limit and when
 * it cannot read a chunk size at all (evhttp_handle_chunked_read's DATA_TOO_LONG and
 * DATA_CORRUPTED both fail the request as EVREQ_HTTP_DATA_TOO_LONG), and by then the
 * line it refused has left the input. A chunkline follows one connection's input as
 * libevent's parser consumes it: conn.c tells it each time bytes leave the front of the
 * input buffer (chunkline_consumed) and what the front holds afterwards, and after bytes
 * arrive (chunkline_front). So it knows the text of every piece the parser takes: a line
 * (evbuffer_readln takes the text, then its end of line), a chunk's data, a body. At
 * the refusal, the last line read tells the two apart: empty (the end of a head whose
 * Content-Length is over the limit: 413), a chunk size libevent can read (over the
 * limit: 413), or one it cannot (400). Pure: no allocation after chunkline_new, no
 * libevent; one per connection, loop thread only. */
#ifndef URLMON_CHUNKLINE_H
#define URLMON_CHUNKLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

#define CHUNKLINE_PEEK 72 /* bytes of the input's front kept */

struct chunkline;

int chunkline_new(struct chunkline **out) MUSTCHECK;
void chunkline_free(struct chunkline **cl); /* NULL-safe, clears *cl */
/* n bytes left the front of the input (consumed by the parser). */
void chunkline_consumed(struct chunkline *cl, size_t n);
/* The first n bytes of the input now (n <= CHUNKLINE_PEEK, fewer when the input is
 * shorter): after every chunkline_consumed, and after bytes arrive while
 * chunkline_wants_front. */
void chunkline_front(struct chunkline *cl, const char *p, size_t n);
bool chunkline_wants_front(const struct chunkline *cl);
/* 400 when the last line the parser read is a chunk size it cannot read (not
 * hexadecimal, negative, text after the digits), else 413. */
int chunkline_refusal(const struct chunkline *cl);

#endif
