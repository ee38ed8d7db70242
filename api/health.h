/* api/health.h: the operational GETs: /healthz (liveness: the process serves; always
 * 200 while it does), /status (readiness: MySQL and Redis reachable, Redis policy;
 * 503 naming what is down) and /metrics (Prometheus text). */
#ifndef URLMON_HEALTH_H
#define URLMON_HEALTH_H

struct rq;

void health_live(struct rq *rq);
void health_serve(struct rq *rq);
void health_metrics(struct rq *rq);

#endif
