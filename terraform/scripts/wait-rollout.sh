#!/usr/bin/env bash
# Wait for an ECS service's deployment of TASK_DEFINITION to finish, and fail unless
# it completed on that task definition. `aws ecs wait services-stable` is not enough:
# after the deployment circuit breaker rolls back, the service is stable again on the
# OLD task definition and the wait passes, so a failed rollout would show green.
#
#   REGION=eu-west-1 CLUSTER=urlmon SERVICE=urlmon-api \
#   TASK_DEFINITION=arn:aws:ecs:...:task-definition/urlmon-api:42 \
#   bash terraform/scripts/wait-rollout.sh
#
# deploy.yml runs it after terraform apply with TASK_DEFINITION from
# `terraform output -json task_definitions`. Needs the AWS CLI v2 and
# ecs:DescribeServices.
set -euo pipefail

: "${REGION:?REGION is required}"
: "${CLUSTER:?CLUSTER is required}"
: "${SERVICE:?SERVICE is required}"
: "${TASK_DEFINITION:?TASK_DEFINITION is required (the revision this deploy registered)}"
MAX_WAIT="${MAX_WAIT:-1800}"

log() { printf 'wait-rollout: %s\n' "$*" >&2; }

deadline=$((SECONDS + MAX_WAIT))
while :; do
    # The PRIMARY deployment is the one ECS is moving to (or, after a rollback, the
    # one it went back to). JMESPath backticks, not shell.
    # shellcheck disable=SC2016
    read -r state td reason < <(aws ecs describe-services --region "$REGION" \
        --cluster "$CLUSTER" --services "$SERVICE" \
        --query 'services[0].deployments[?status==`PRIMARY`] | [0].[rolloutState, taskDefinition, rolloutStateReason]' \
        --output text) || true
    case "${state:-}" in
    COMPLETED)
        if [ "$td" != "$TASK_DEFINITION" ]; then
            log "FAILED: ${SERVICE} is stable on ${td}, not on ${TASK_DEFINITION}: the rollout was rolled back (${reason:-no reason given})"
            exit 1
        fi
        log "OK: ${SERVICE} completed its rollout to ${td}"
        exit 0
        ;;
    FAILED)
        log "FAILED: rollout of ${SERVICE} to ${td}: ${reason:-no reason given}"
        exit 1
        ;;
    IN_PROGRESS) ;;
    *)
        log "cannot read the deployments of ${SERVICE} (got '${state:-nothing}')"
        exit 1
        ;;
    esac
    if [ "$SECONDS" -ge "$deadline" ]; then
        log "FAILED: ${SERVICE} still IN_PROGRESS after ${MAX_WAIT}s"
        exit 1
    fi
    sleep "${POLL_SECONDS:-15}"
done
