/* api/write.h: the routes that change something: POST /urls (queue URLs for the compute
 * job, through Redis), PUT and PATCH /urls/{id} (change a URL's settings, through MySQL,
 * body rules in urlpatch.h; answered with the URL as GET /urls/{id} shows it, after the
 * cached top lists, which show names, are deleted) and DELETE /urls/{id} (deactivate,
 * through MySQL). All require Authorization: Bearer API_TOKEN when API_TOKEN is set. */
#ifndef URLMON_WRITE_H
#define URLMON_WRITE_H

#include "common.h"

struct rq;

void write_post(struct rq *rq);
void write_put(struct rq *rq);
void write_patch(struct rq *rq);
void write_delete(struct rq *rq);
/* 0 when the request may write; otherwise it has been answered (401). */
int write_auth(struct rq *rq) MUSTCHECK;

#endif
