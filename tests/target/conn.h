/*
 * conn.h: one accepted connection of urlmon-target and its state machine (read a request
 * head, wait, answer or misbehave, then the next request or close). A connection lives in
 * its worker's list and on its worker's event_base only; it is never touched by another
 * thread.
 */
#ifndef CONN_H
#define CONN_H

#include <event2/util.h>

#include "tgt.h"

struct tconn;
struct worker;

/* Fill the shared read-only blocks (body filler, header padding, garbage). Call once at
 * start, before any worker runs. */
void tconn_global_init(void);

/* Take over fd, just accepted by one of w's listeners in mode. On failure fd is closed. */
void tconn_accept(struct worker *w, evutil_socket_t fd, enum tgt_mode mode);

/* Close and free every connection of a list (worker shutdown). Clears *head. */
void tconn_free_all(struct tconn **head);

#endif
