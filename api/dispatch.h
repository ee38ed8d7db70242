/* api/dispatch.h: the entry of every request evhttp parsed: checks what applies to all
 * routes (Host, repeated headers, the method, CORS preflights, shutdown), then calls the
 * route's handler from one table (dispatch.c). Adding a route: its path in route.c's
 * match_path, its enum route_id, and one line in dispatch.c's handlers[] naming the
 * function of its own module that answers it. */
#ifndef URLMON_DISPATCH_H
#define URLMON_DISPATCH_H

#include <event2/http.h>

/* evhttp's generic callback; arg is the struct api. */
void dispatch_request(struct evhttp_request *req, void *arg);
/* The METRICS_PORT listener's callback: /metrics, /status and /healthz only, else 404. */
void dispatch_internal(struct evhttp_request *req, void *arg);

#endif
