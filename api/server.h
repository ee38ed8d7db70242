/* api/server.h: urlmon-api's HTTP service: evhttp on one event loop, MySQL on worker
 * threads, Redis through hiredis' async API on the same loop.
 *
 * api_open builds everything from the configuration (pool, workers, Redis client,
 * listener); api_run serves until SIGTERM/SIGINT, then stops accepting, lets requests
 * in flight finish (at most 10 s) and returns the exit status. */
#ifndef URLMON_SERVER_H
#define URLMON_SERVER_H

#include <stddef.h>

#include "common.h"
#include "config.h"

struct api;

int api_open(const struct config *cfg, struct api **out, char *err, size_t errlen) MUSTCHECK;
int api_run(struct api *a);
void api_free(struct api **a);

#endif
