# Failures are not silent: every alarm and event below goes to one SNS topic
# (alarm_emails subscribe to it; add any other subscriber to the topic ARN output).
#
#   compute task stopped with exit != 0   EventBridge rule on ECS task state changes
#   no successful compute run in 2 slots  log metric filter on "run N done: slot"
#   compute RunTask failures in the DLQ   SQS ApproximateNumberOfMessagesVisible
#   compute service not running (service) Container Insights RunningTaskCount < 1
#   API 5xx rate, ALB unhealthy hosts     ALB metrics (target group, load balancer)
#   RDS CPU, RDS free storage             AWS/RDS
#   Redis memory, Redis evictions         AWS/ElastiCache, per node of the group

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# EventBridge publishes the task-failure events; CloudWatch alarms publish as the
# cloudwatch service. The AWS-managed SNS key lets both (CloudWatch alarms need a
# key policy of their own only with a customer key).
data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid       = "EventBridgeAndCloudWatch"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]
  # Two slots of the compute schedule, as CloudWatch periods (multiples of 60 s).
  slot_period = max(60, ceil(local.compute_interval / 60) * 60)
}

# ---- compute ------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "compute_failed" {
  name        = "${local.name}-compute-failed"
  description = "A urlmon compute, migrate or load-urls task stopped with a non-zero exit code"
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn = [aws_ecs_cluster.this.arn]
      lastStatus = ["STOPPED"]
      # Scheduled and one-off tasks are "family:<family>"; service-mode tasks "service:<service>".
      group = [
        { prefix = "family:${local.name}-compute" }, { prefix = "service:${local.name}-compute" },
        "family:${local.name}-migrate", "family:${local.name}-load-urls",
      ]
      containers = {
        exitCode = [{ "anything-but" = 0 }]
      }
    }
  })
}

resource "aws_cloudwatch_event_target" "compute_failed" {
  rule      = aws_cloudwatch_event_rule.compute_failed.name
  target_id = "sns"
  arn       = aws_sns_topic.alarms.arn

  input_transformer {
    input_paths = {
      group  = "$.detail.group"
      task   = "$.detail.taskArn"
      reason = "$.detail.stoppedReason"
    }
    input_template = "\"urlmon: task <task> (<group>) stopped with a non-zero exit code: <reason>. Logs: CloudWatch /ecs/${local.name}/...\""
  }
}

resource "aws_cloudwatch_log_metric_filter" "compute_run_done" {
  name           = "${local.name}-compute-run-done"
  log_group_name = aws_cloudwatch_log_group.this["compute"].name
  pattern        = "\"done: slot\""

  metric_transformation {
    name          = "ComputeRunsDone"
    namespace     = "urlmon/${local.name}"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "compute_no_success" {
  alarm_name          = "${local.name}-compute-no-successful-run"
  alarm_description   = "No compute run finished as done in two slots of ${local.compute_interval} s (the schedule or the service is not running, or every run fails)."
  namespace           = "urlmon/${local.name}"
  metric_name         = aws_cloudwatch_log_metric_filter.compute_run_done.metric_transformation[0].name
  statistic           = "Sum"
  period              = local.slot_period
  evaluation_periods  = 2
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "compute_dlq" {
  alarm_name          = "${local.name}-compute-runtask-dead-letters"
  alarm_description   = "EventBridge could not start a compute task after its retries; the events wait in ${aws_sqs_queue.compute_dlq.name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.compute_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

# compute_mode = "service": the liveness of each shard's service.
resource "aws_cloudwatch_metric_alarm" "compute_service_running" {
  count = local.compute_service ? var.compute_shards : 0

  alarm_name          = "${local.name}-compute-shard-${count.index}-not-running"
  alarm_description   = "The compute service of shard ${count.index}/${var.compute_shards} has no running task (needs container_insights)."
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  dimensions          = { ClusterName = aws_ecs_cluster.this.name, ServiceName = aws_ecs_service.compute[count.index].name }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 5
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  lifecycle {
    precondition {
      condition     = var.container_insights
      error_message = "compute_mode = \"service\" alarms on Container Insights' RunningTaskCount: keep container_insights = true."
    }
  }
}

# ---- API / ALB ----------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "api_5xx_rate" {
  alarm_name          = "${local.name}-api-5xx-rate"
  alarm_description   = "More than 5 % of API answers through the ALB are 5xx (target or ALB) for 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 5
  evaluation_periods  = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(t5xx, 0) + FILL(e5xx, 0)) / MAX([FILL(requests, 0), 1])"
    label       = "5xx %"
    return_data = true
  }
  metric_query {
    id = "t5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = aws_lb.api.arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }
  metric_query {
    id = "e5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = aws_lb.api.arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = aws_lb.api.arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "alb_unhealthy_hosts" {
  alarm_name          = "${local.name}-api-unhealthy-targets"
  alarm_description   = "API tasks fail the ALB's liveness check (${local.liveness_path})."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = aws_lb.api.arn_suffix, TargetGroup = aws_lb_target_group.api.arn_suffix }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---- RDS ----------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "rds_cpu" {
  alarm_name          = "${local.name}-rds-cpu"
  alarm_description   = "RDS CPU above 80 % for 15 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = aws_db_instance.this.identifier }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "rds_storage" {
  alarm_name          = "${local.name}-rds-free-storage"
  alarm_description   = "RDS free storage below 10 % of the allocated storage."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = aws_db_instance.this.identifier }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.db_allocated_storage * 1073741824 / 10
  comparison_operator = "LessThanThreshold"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---- Redis (ElastiCache names the nodes <group id>-001, -002, ...) ---------------

resource "aws_cloudwatch_metric_alarm" "redis_memory" {
  count = var.redis_num_cache_clusters

  alarm_name          = "${local.name}-redis-memory-${count.index + 1}"
  alarm_description   = "Redis node ${count.index + 1} above 80 % of maxmemory: the queue and cache will soon be refused (noeviction)."
  namespace           = "AWS/ElastiCache"
  metric_name         = "DatabaseMemoryUsagePercentage"
  dimensions          = { CacheClusterId = format("%s-%03d", aws_elasticache_replication_group.this.replication_group_id, count.index + 1) }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "redis_evictions" {
  count = var.redis_num_cache_clusters

  alarm_name          = "${local.name}-redis-evictions-${count.index + 1}"
  alarm_description   = "Redis node ${count.index + 1} evicted keys: with an allkeys-* policy queued URLs can be lost."
  namespace           = "AWS/ElastiCache"
  metric_name         = "Evictions"
  dimensions          = { CacheClusterId = format("%s-%03d", aws_elasticache_replication_group.this.replication_group_id, count.index + 1) }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}
