/* tests/integration/api_bench_peer.c: a benchmark peer for urlmon-api's cached path: a
 * bare evhttp server that, per request, does one asynchronous hiredis GET of a key and
 * answers its value with the same headers as the API. Nothing else: no routing, no
 * validation, no metrics, no connection accounting. urlmon-api's cached GETs compared
 * with this peer show the API's own overhead; compared with bench_bare_evhttp they show
 * the cost of the Redis round trip itself.
 *
 *   api_bench_peer PORT REDIS_PORT KEY */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

static redisAsyncContext *redis;
static const char *key;

static void got(redisAsyncContext *c, void *r, void *privdata)
{
    struct evhttp_request *req = privdata;
    redisReply *reply = r;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);

    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Cache", "HIT");
    if (reply && reply->type == REDIS_REPLY_STRING)
        evbuffer_add(evhttp_request_get_output_buffer(req), reply->str, (size_t)reply->len);
    evhttp_send_reply(req, reply ? 200 : 503, NULL, NULL);
}

static int port_arg(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);

    return end && *end == '\0' && v > 0 && v < 65536 ? (int)v : -1;
}

static void handle(struct evhttp_request *req, void *arg)
{
    if (redisAsyncCommand(redis, got, req, "GET %s", key) != REDIS_OK)
        evhttp_send_error(req, 503, NULL);
}

int main(int argc, char **argv)
{
    struct event_base *base;
    struct evhttp *http;
    int port, redis_port;

    if (argc != 4 || (port = port_arg(argv[1])) < 0 || (redis_port = port_arg(argv[2])) < 0) {
        fprintf(stderr, "usage: api_bench_peer PORT REDIS_PORT KEY\n");
        return 2;
    }
    key = argv[3];
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    base = event_base_new();
    http = evhttp_new(base);
    redis = redisAsyncConnect("127.0.0.1", redis_port);
    if (!base || !http || !redis || redis->err ||
        evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)port) != 0) {
        fprintf(stderr, "api_bench_peer: cannot start\n");
        return 1;
    }
    redisLibeventAttach(redis, base);
    evhttp_set_gencb(http, handle, NULL);
    event_base_dispatch(base);
    return 0;
}
