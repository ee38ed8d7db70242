/*
 * target.c: urlmon-target, the project's own misbehaving HTTP server for integration,
 * fault and load tests. main(): command line, descriptor limit, binding, worker threads,
 * ready file, signals. See README.md for the behaviours.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>

#include "conn.h"
#include "opts.h"
#include "reqlog.h"
#include "worker.h"

#define FD_MARGIN 64 /* descriptors beyond --max-conns: listeners, epoll, log, stdio */

static const char *mode_name(enum tgt_mode mode)
{
    return mode == TGT_MODE_BLACKHOLE ? "blackhole"
           : mode == TGT_MODE_GARBAGE ? "garbage"
                                      : "listen";
}

/* Raise RLIMIT_NOFILE to want (the hard limit too, if allowed, else up to it). Returns the
 * soft limit in effect. */
static rlim_t raise_fd_limit(rlim_t want)
{
    struct rlimit rl = {0, 0};
    struct rlimit up = {want, want};

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        goto out;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
        if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
            rl = up;
            goto out;
        }
        want = rl.rlim_max; /* no CAP_SYS_RESOURCE: as far as the hard limit goes */
    }
    up.rlim_cur = want;
    up.rlim_max = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &up) == 0)
        rl = up;
out:
    return rl.rlim_cur;
}

/*
 * Make sure nobody else listens on each address (our own sockets use SO_REUSEPORT, which
 * would silently share a port with another instance) and turn port 0 into a free port.
 */
static int probe_addresses(struct topts *o)
{
    int rc = -1;
    size_t i;
    int one = 1;
    evutil_socket_t fd = -1;
    char name[80];

    for (i = 0; i < o->nlistens; i++) {
        struct tlisten *tl = &o->listens[i];
        socklen_t len = (socklen_t)sizeof(tl->addr);

        topts_format_addr(&tl->addr, name, sizeof(name));
        fd = socket(tl->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            bind(fd, (struct sockaddr *)&tl->addr, (socklen_t)tl->addrlen) != 0 ||
            getsockname(fd, (struct sockaddr *)&tl->addr, &len) != 0) {
            fprintf(stderr, "urlmon-target: --%s %s: %s\n", mode_name(tl->mode), name,
                    strerror(errno));
            goto out;
        }
        evutil_closesocket(fd);
        fd = -1;
    }
    rc = 0;
out:
    if (fd >= 0)
        evutil_closesocket(fd);
    return rc;
}

/* "pid N" then one "<mode> ADDR:PORT" line per listener, written under a temporary name
 * and renamed, so a reader never sees half of it. */
static int write_ready_file(const struct topts *o)
{
    int rc = -1;
    char tmp[4096], name[80];
    FILE *f = NULL;
    size_t i;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", o->ready_path, (long)getpid()) >= (int)sizeof(tmp))
        goto out;
    if (!(f = fopen(tmp, "w")))
        goto out;
    fprintf(f, "pid %ld\n", (long)getpid());
    for (i = 0; i < o->nlistens; i++) {
        topts_format_addr(&o->listens[i].addr, name, sizeof(name));
        fprintf(f, "%s %s\n", mode_name(o->listens[i].mode), name);
    }
    if (fclose(f) != 0) {
        f = NULL;
        goto out;
    }
    f = NULL;
    if (rename(tmp, o->ready_path) != 0)
        goto out;
    rc = 0;
out:
    if (f)
        fclose(f);
    if (rc != 0)
        fprintf(stderr, "urlmon-target: --ready-file %s: %s\n", o->ready_path, strerror(errno));
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 1, sig = 0, i, started = 0, prc;
    struct topts o;
    struct reqlog *log = NULL;
    struct worker **workers = NULL;
    sigset_t stop_sigs;
    char err[256];
    uint64_t conns = 0, reqs = 0;
    rlim_t want, have;

    if ((prc = topts_parse(argc, argv, &o)) != 0) {
        rc = prc == 1 ? 0 : TOPTS_EXIT_USAGE;
        goto out;
    }
    if (o.ready_path)
        (void)unlink(o.ready_path); /* never leave a stale one from an earlier run */
    want = (rlim_t)o.max_conns + FD_MARGIN + (rlim_t)(o.nlistens * (size_t)o.threads);
    if ((have = raise_fd_limit(want)) < want)
        fprintf(stderr,
                "urlmon-target: --max-conns %ld: descriptor limit is only %llu (the hard "
                "limit), fewer connections fit\n",
                o.max_conns, (unsigned long long)have);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGINT);
    sigaddset(&stop_sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL); /* inherited by the workers */

    if (evthread_use_pthreads() != 0) {
        fprintf(stderr, "urlmon-target: evthread_use_pthreads failed\n");
        goto out;
    }
    tconn_global_init();
    if (probe_addresses(&o) != 0)
        goto out;
    if (o.log_path && reqlog_open(o.log_path, &log, err, sizeof(err)) != 0) {
        fprintf(stderr, "urlmon-target: --log: %s\n", err);
        goto out;
    }
    if (!(workers = calloc((size_t)o.threads, sizeof(*workers))))
        goto out;
    for (i = 0; i < o.threads; i++) {
        if (worker_new(i, o.listens, o.nlistens, log, &workers[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "urlmon-target: %s\n", err);
            goto out;
        }
    }
    for (started = 0; started < o.threads; started++) {
        if (worker_start(workers[started], err, sizeof(err)) != 0) {
            fprintf(stderr, "urlmon-target: %s\n", err);
            goto out;
        }
    }
    if (o.ready_path && write_ready_file(&o) != 0)
        goto out;
    printf("ready\n");
    fflush(stdout);

    while (sigwait(&stop_sigs, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
        ;
    rc = 0;
out:
    for (i = 0; i < started; i++)
        worker_stop(workers[i]);
    for (i = 0; i < started; i++)
        worker_join(workers[i]);
    for (i = 0; workers && i < o.threads; i++) {
        uint64_t c = 0, r = 0;
        if (workers[i])
            worker_stats(workers[i], &c, &r);
        conns += c;
        reqs += r;
        worker_free(&workers[i]);
    }
    free(workers);
    reqlog_free(&log);
    if (sig != 0)
        fprintf(stderr, "urlmon-target: stopped on signal %d: %llu connections, %llu requests\n",
                sig, (unsigned long long)conns, (unsigned long long)reqs);
    topts_release(&o);
    libevent_global_shutdown();
    return rc;
}
