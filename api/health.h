/* api/health.h: the operational GETs: /healthz and /status (MySQL and Redis reachable?)
 * and /metrics (Prometheus text). */
#ifndef URLMON_HEALTH_H
#define URLMON_HEALTH_H

struct rq;

void health_serve(struct rq *rq);
void health_metrics(struct rq *rq);

#endif
