/* tests/integration/soak_leak.c: a deliberate leak for proving fault_api_soak can fail.
 *
 * Not part of the product. Preloaded into urlmon-api (LD_PRELOAD) by fault_api_soak.py
 * when FAULT_SOAK_LEAK_BYTES is set: every answer the API sends (evhttp_send_reply,
 * which conn_reply calls for each one) first allocates that many bytes, writes them
 * (so the pages count in VmRSS) and never frees them: the leak of a forgotten free per
 * request. The soak must then FAIL. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

/* The leaked blocks, chained so the compiler cannot drop the allocation as unused. */
void *soak_leak_head;

typedef void (*send_reply_fn)(struct evhttp_request *, int, const char *, struct evbuffer *);

void evhttp_send_reply(struct evhttp_request *req, int code, const char *reason,
                       struct evbuffer *databuf)
{
    static send_reply_fn real;
    static size_t bytes;
    void *leak;

    if (!real) {
        const char *env = getenv("FAULT_SOAK_LEAK_BYTES");
        bytes = env ? strtoul(env, NULL, 10) : 0;
        real = (send_reply_fn)dlsym(RTLD_NEXT, "evhttp_send_reply");
    }
    if (bytes >= sizeof(void *) && (leak = malloc(bytes))) {
        memset(leak, 0xa5, bytes); /* never freed, on purpose */
        memcpy(leak, &soak_leak_head, sizeof(void *));
        soak_leak_head = leak;
    }
    real(req, code, reason, databuf);
}
