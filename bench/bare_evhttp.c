/* bench/bare_evhttp.c: the API's peer in the benchmarks: a bare libevent evhttp server
 * that answers every request with one fixed body read from a file at start, and the
 * header lines it was given. No routing, no cache, no database: whatever urlmon-api
 * spends beyond this per request is its own overhead.
 *
 *   bench_bare_evhttp --listen 127.0.0.1:18500 --body FILE [--header "Name: value"]...
 *                     [--threads N] [--ready-file FILE]
 *
 * --threads N runs N event loops, each with its own evhttp and its own SO_REUSEPORT
 * listening socket (default 1, like a single-loop API). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <event2/util.h>

#define MAX_HEADERS 16
#define MAX_THREADS 64

struct header {
    char *name;
    char *value;
};

struct server {
    struct sockaddr_in addr;
    char *body;
    size_t body_len;
    struct header headers[MAX_HEADERS];
    size_t nheaders;
    unsigned threads;
    const char *ready_path;
};

struct loop {
    const struct server *srv;
    struct event_base *base;
    struct evhttp *http;
    struct event *sigint, *sigterm;
    evutil_socket_t fd;
    pthread_t tid;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: bench_bare_evhttp --listen ADDR:PORT --body FILE "
                 "[--header \"Name: value\"]... [--threads N] [--ready-file FILE]\n");
}

static void on_request(struct evhttp_request *req, void *arg)
{
    const struct server *srv = arg;
    struct evkeyvalq *out_headers = evhttp_request_get_output_headers(req);
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    size_t i;

    for (i = 0; i < srv->nheaders; i++)
        evhttp_add_header(out_headers, srv->headers[i].name, srv->headers[i].value);
    /* The body is immutable and outlives every request: no copy. */
    evbuffer_add_reference(out, srv->body, srv->body_len, NULL, NULL);
    evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct event_base *base = arg;

    event_base_loopexit(base, NULL);
}

static int read_file(const char *path, char **out, size_t *len)
{
    int rc = -1;
    FILE *f = NULL;
    char *buf = NULL;
    long n;

    if (!(f = fopen(path, "rb")) || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        goto out;
    if (!(buf = malloc((size_t)n + 1)))
        goto out;
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        goto out;
    buf[n] = '\0';
    *out = buf;
    *len = (size_t)n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

static int parse_listen(const char *val, struct sockaddr_in *sin)
{
    int rc = -1;
    char host[64];
    const char *colon = strrchr(val, ':');
    char *end = NULL;
    unsigned long port;
    size_t hlen;

    if (!colon || (hlen = (size_t)(colon - val)) == 0 || hlen >= sizeof(host))
        goto out;
    memcpy(host, val, hlen);
    host[hlen] = '\0';
    errno = 0;
    port = strtoul(colon + 1, &end, 10);
    if (errno || *end || port < 1 || port > 65535)
        goto out;
    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
        goto out;
    rc = 0;
out:
    return rc;
}

static int add_header(struct server *srv, const char *line)
{
    int rc = -1;
    const char *colon = strchr(line, ':');
    const char *v;
    char *name = NULL, *value = NULL;

    if (!colon || colon == line || srv->nheaders >= MAX_HEADERS)
        goto out;
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
        ;
    if (!(name = strndup(line, (size_t)(colon - line))) || !(value = strdup(v)))
        goto out;
    srv->headers[srv->nheaders].name = name;
    srv->headers[srv->nheaders].value = value;
    srv->nheaders++;
    name = value = NULL;
    rc = 0;
out:
    free(name);
    free(value);
    return rc;
}

/* Returns 0 to run, 1 after --help, -1 on a bad option (message printed). */
static int parse_args(int argc, char **argv, struct server *srv)
{
    const char *body_path = NULL;
    int i, listen_set = 0;

    srv->threads = 1;
    for (i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        unsigned long n;

        if (strcmp(opt, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if (!val) {
            fprintf(stderr, "bench_bare_evhttp: %s needs a value\n", opt);
            return -1;
        }
        i++;
        if (strcmp(opt, "--listen") == 0) {
            if (parse_listen(val, &srv->addr) != 0) {
                fprintf(stderr, "bench_bare_evhttp: --listen %s: want IPV4:PORT\n", val);
                return -1;
            }
            listen_set = 1;
        } else if (strcmp(opt, "--body") == 0) {
            body_path = val;
        } else if (strcmp(opt, "--header") == 0) {
            if (add_header(srv, val) != 0) {
                fprintf(stderr, "bench_bare_evhttp: --header %s: want \"Name: value\"\n", val);
                return -1;
            }
        } else if (strcmp(opt, "--threads") == 0) {
            errno = 0;
            n = strtoul(val, &end, 10);
            if (errno || *end || n < 1 || n > MAX_THREADS) {
                fprintf(stderr, "bench_bare_evhttp: --threads %s: want 1-%d\n", val, MAX_THREADS);
                return -1;
            }
            srv->threads = (unsigned)n;
        } else if (strcmp(opt, "--ready-file") == 0) {
            srv->ready_path = val;
        } else {
            fprintf(stderr, "bench_bare_evhttp: unknown option %s\n", opt);
            usage(stderr);
            return -1;
        }
    }
    if (!listen_set || !body_path) {
        usage(stderr);
        return -1;
    }
    if (read_file(body_path, &srv->body, &srv->body_len) != 0) {
        fprintf(stderr, "bench_bare_evhttp: cannot read %s: %s\n", body_path, strerror(errno));
        return -1;
    }
    return 0;
}

static evutil_socket_t listen_socket(const struct sockaddr_in *sin)
{
    evutil_socket_t fd = -1;
    int one = 1;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) != 0 || listen(fd, 4096) != 0)
        goto fail;
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    return -1;
}

static int loop_open(struct loop *l, const struct server *srv, int handle_signals)
{
    int rc = -1;

    l->srv = srv;
    l->fd = -1;
    if (!(l->base = event_base_new()) || !(l->http = evhttp_new(l->base)))
        goto out;
    evhttp_set_gencb(l->http, on_request, (void *)srv);
    if ((l->fd = listen_socket(&srv->addr)) < 0)
        goto out;
    if (!evhttp_accept_socket_with_handle(l->http, l->fd))
        goto out;
    if (handle_signals) {
        l->sigint = evsignal_new(l->base, SIGINT, on_signal, l->base);
        l->sigterm = evsignal_new(l->base, SIGTERM, on_signal, l->base);
        if (!l->sigint || !l->sigterm || event_add(l->sigint, NULL) != 0 ||
            event_add(l->sigterm, NULL) != 0)
            goto out;
    }
    rc = 0;
out:
    return rc;
}

static void loop_close(struct loop *l)
{
    if (l->sigint)
        event_free(l->sigint);
    if (l->sigterm)
        event_free(l->sigterm);
    if (l->http)
        evhttp_free(l->http); /* closes the bound socket */
    else if (l->fd >= 0)
        close(l->fd);
    if (l->base)
        event_base_free(l->base);
    memset(l, 0, sizeof(*l));
}

static void *loop_main(void *arg)
{
    struct loop *l = arg;

    event_base_dispatch(l->base);
    return NULL;
}

static int write_ready(const char *path, const struct server *srv)
{
    int rc = -1;
    FILE *f = NULL;
    char tmp[4096];
    char host[INET_ADDRSTRLEN];
    int n;

    n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        goto out;
    if (!inet_ntop(AF_INET, &srv->addr.sin_addr, host, sizeof(host)))
        goto out;
    if (!(f = fopen(tmp, "w")))
        goto out;
    fprintf(f, "%ld %s:%u\n", (long)getpid(), host, (unsigned)ntohs(srv->addr.sin_port));
    if (fclose(f) != 0) {
        f = NULL;
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) != 0)
        goto out;
    rc = 0;
out:
    if (f)
        fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    struct server srv;
    struct loop loops[MAX_THREADS];
    unsigned i, started = 0;
    int rc = 1, parsed;

    memset(&srv, 0, sizeof(srv));
    memset(loops, 0, sizeof(loops));
    parsed = parse_args(argc, argv, &srv);
    if (parsed != 0) {
        rc = parsed > 0 ? 0 : 2;
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    if (evthread_use_pthreads() != 0)
        goto out;
    /* Loop 0 runs on the main thread and owns the signals; it stops the others. */
    for (i = 0; i < srv.threads; i++) {
        if (loop_open(&loops[i], &srv, i == 0) != 0) {
            fprintf(stderr, "bench_bare_evhttp: cannot listen: %s\n", strerror(errno));
            goto out;
        }
    }
    if (srv.ready_path && write_ready(srv.ready_path, &srv) != 0) {
        fprintf(stderr, "bench_bare_evhttp: cannot write %s\n", srv.ready_path);
        goto out;
    }
    for (i = 1; i < srv.threads; i++) {
        if (pthread_create(&loops[i].tid, NULL, loop_main, &loops[i]) != 0)
            goto out;
        started = i;
    }
    event_base_dispatch(loops[0].base);
    rc = 0;
out:
    for (i = 1; i <= started; i++) {
        event_base_loopexit(loops[i].base, NULL);
        pthread_join(loops[i].tid, NULL);
    }
    for (i = 0; i < srv.threads && i < MAX_THREADS; i++)
        loop_close(&loops[i]);
    for (i = 0; i < srv.nheaders; i++) {
        free(srv.headers[i].name);
        free(srv.headers[i].value);
    }
    free(srv.body);
    return rc;
}
