#!/usr/bin/env bash
# Run one ECS Fargate task, wait until it stops, and fail unless its container
# exited 0. Used by terraform apply (terraform_data.db_bootstrap and
# terraform_data.migrate in compute.tf) and usable by hand:
#
#   REGION=eu-west-1 CLUSTER=urlmon TASK_DEFINITION=urlmon-migrate \
#   CONTAINER=urlmon-migrate SUBNETS=subnet-aaa,subnet-bbb \
#   SECURITY_GROUPS=sg-0123 bash terraform/scripts/run-oneoff-task.sh
#
# `terraform output -json one_off_task_run_settings` prints these values.
# Needs the AWS CLI v2 and credentials allowed to ecs:RunTask,
# ecs:DescribeTasks and iam:PassRole on the task's roles.
set -euo pipefail

: "${REGION:?REGION is required}"
: "${CLUSTER:?CLUSTER is required}"
: "${TASK_DEFINITION:?TASK_DEFINITION is required}"
: "${CONTAINER:?CONTAINER is required}"
: "${SUBNETS:?SUBNETS is required (comma-separated)}"
: "${SECURITY_GROUPS:?SECURITY_GROUPS is required (comma-separated)}"
# Longest time to wait for the task to stop (seconds).
MAX_WAIT="${MAX_WAIT:-1800}"

log() { printf 'run-oneoff-task: %s\n' "$*" >&2; }

network="awsvpcConfiguration={subnets=[${SUBNETS}],securityGroups=[${SECURITY_GROUPS}],assignPublicIp=DISABLED}"

log "starting ${TASK_DEFINITION} on cluster ${CLUSTER}"
read -r task_arn failure < <(aws ecs run-task \
    --region "$REGION" \
    --cluster "$CLUSTER" \
    --task-definition "$TASK_DEFINITION" \
    --launch-type FARGATE \
    --count 1 \
    --started-by terraform-oneoff \
    --network-configuration "$network" \
    --query '[tasks[0].taskArn, failures[0].reason]' \
    --output text) || true
if [ -z "${task_arn:-}" ] || [ "$task_arn" = "None" ]; then
    log "run-task started nothing (failure: ${failure:-unknown})"
    exit 1
fi
log "task ${task_arn}"

deadline=$((SECONDS + MAX_WAIT))
while :; do
    status="$(aws ecs describe-tasks --region "$REGION" --cluster "$CLUSTER" \
        --tasks "$task_arn" --query 'tasks[0].lastStatus' --output text)"
    if [ "$status" = "STOPPED" ]; then
        break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        log "task still ${status} after ${MAX_WAIT}s; stopping it"
        aws ecs stop-task --region "$REGION" --cluster "$CLUSTER" --task "$task_arn" \
            --reason "run-oneoff-task timeout" >/dev/null || true
        exit 1
    fi
    sleep "${POLL_SECONDS:-10}"
done

exit_code="$(aws ecs describe-tasks --region "$REGION" --cluster "$CLUSTER" \
    --tasks "$task_arn" \
    --query "tasks[0].containers[?name=='${CONTAINER}'].exitCode | [0]" --output text)"
reason="$(aws ecs describe-tasks --region "$REGION" --cluster "$CLUSTER" \
    --tasks "$task_arn" --query 'tasks[0].stoppedReason' --output text)"

if [ "$exit_code" != "0" ]; then
    log "FAILED: container ${CONTAINER} exit code ${exit_code}; stopped reason: ${reason}"
    log "container logs: the /ecs/<name>/... CloudWatch log group of this task (terraform output log_groups)"
    exit 1
fi
log "OK: ${CONTAINER} exited 0"
