/* api/write.h: the routes that change something: POST /urls (queue URLs for the compute
 * job, through Redis) and DELETE /urls/{id} (deactivate, through MySQL). Both require
 * Authorization: Bearer API_TOKEN when API_TOKEN is set. */
#ifndef URLMON_WRITE_H
#define URLMON_WRITE_H

#include "common.h"

struct rq;

void write_post(struct rq *rq);
void write_delete(struct rq *rq);
/* 0 when the request may write; otherwise it has been answered (401). */
int write_auth(struct rq *rq) MUSTCHECK;

#endif
