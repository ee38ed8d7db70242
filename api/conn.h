/* api/conn.h: connection accounting for the HTTP listener.
 *
 * libevent 2.1 has no evhttp_set_max_connections and no new-connection hook: evhttp asks
 * us for each new connection's bufferevent (evhttp_set_bevcb). conn counts it there,
 * pauses the listener at max_conns (further clients wait in the kernel's backlog), and,
 * once evhttp has wired the connection up in the same loop pass, tracks its
 * evhttp_connection with a close callback that uncounts it and resumes the listener.
 * Every connection not inside a handler sits on an idle list ordered by when it last
 * finished a request (or was accepted); a sweep closes those idle longer than
 * timeout_s, so a client that dribbles a request (slowloris) or idles on keep-alive is
 * cut off after that many seconds in total. Loop thread only. */
#ifndef URLMON_CONN_H
#define URLMON_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/http.h>
#include <event2/listener.h>

#include "common.h"
#include "metrics.h"

struct conns;

int conn_open(struct event_base *base, size_t max_conns, unsigned timeout_s,
              struct metrics *metrics, struct conns **out) MUSTCHECK;
void conn_free(struct conns **cs); /* NULL-safe, clears *cs; after evhttp_free */
/* Counts http's connections from now on; listener is paused and resumed with the count. */
int conn_watch(struct conns *cs, struct evhttp *http, struct evconnlistener *listener) MUSTCHECK;
/* A request entered its handler: off the idle list. */
void conn_busy(struct conns *cs, struct evhttp_request *req);
/* Sends req's answer (evhttp_send_reply) and puts the connection back on the idle list.
 * Every answer goes through here: what else appears on a connection is libevent's own
 * error page, which conn.c replaces with {"error": ...} JSON of the same status (400, not
 * libevent's 413, for a chunk size it could not read: chunkline.h). */
void conn_reply(struct conns *cs, struct evhttp_request *req, int code);
/* Stops accepting for good (shutdown). */
void conn_stop(struct conns *cs);
long conn_count(const struct conns *cs);

#endif
