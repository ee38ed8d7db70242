output "alb_dns_name" {
  description = "DNS name of the ALB; point a CNAME/alias at it."
  value       = aws_lb.api.dns_name
}

output "api_url" {
  description = "Base URL of the API through the ALB (https unless the allow_plain_http opt-out is used)."
  value       = local.https_enabled ? "https://${aws_lb.api.dns_name}" : "http://${aws_lb.api.dns_name}"
}

output "ecr_repository_urls" {
  description = "ECR repository URLs, by image (api, compute); deploy.yml pushes <url>:<git sha>."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "ecs_cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "api_service_name" {
  description = "ECS service running urlmon-api."
  value       = aws_ecs_service.api.name
}

output "task_definitions" {
  description = "Task definition ARNs (with revision) of api, compute, migrate and db-bootstrap."
  value = {
    api          = aws_ecs_task_definition.api.arn
    compute      = aws_ecs_task_definition.compute.arn
    migrate      = aws_ecs_task_definition.migrate.arn
    db_bootstrap = aws_ecs_task_definition.db_bootstrap.arn
    load_urls    = local.load_urls ? aws_ecs_task_definition.load_urls[0].arn : null
  }
}

output "one_off_task_run_settings" {
  description = "Environment for terraform/scripts/run-oneoff-task.sh to run migrate or db-bootstrap by hand."
  value = {
    REGION          = var.aws_region
    CLUSTER         = aws_ecs_cluster.this.name
    SUBNETS         = local.one_off_network.subnets
    SECURITY_GROUPS = local.one_off_network.security_groups
    migrate = {
      TASK_DEFINITION = aws_ecs_task_definition.migrate.arn
      CONTAINER       = local.migrate_container_name
    }
    db_bootstrap = {
      TASK_DEFINITION = aws_ecs_task_definition.db_bootstrap.arn
      CONTAINER       = "db-bootstrap"
    }
    load_urls = local.load_urls ? {
      TASK_DEFINITION = aws_ecs_task_definition.load_urls[0].arn
      CONTAINER       = "load"
    } : null
  }
}

output "compute_schedule_rules" {
  description = "EventBridge rules that start the compute shards (at most 5 shards per rule); empty with compute_mode = \"service\"."
  value       = aws_cloudwatch_event_rule.compute[*].name
}

output "compute_service_names" {
  description = "ECS services running the compute shards (compute_mode = \"service\"); empty when scheduled."
  value       = aws_ecs_service.compute[*].name
}

output "compute_interval_seconds" {
  description = "Slot length passed to every compute task as --interval."
  value       = local.compute_interval
}

output "compute_dead_letter_queue_url" {
  description = "SQS queue holding EventBridge events whose RunTask failed after the retries."
  value       = aws_sqs_queue.compute_dlq.id
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm publishes to; subscribe chat or paging here."
  value       = aws_sns_topic.alarms.arn
}

output "vpc_id" {
  description = "VPC the stack runs in (created with create_network, else the given one)."
  value       = local.vpc_id
}

output "spool_file_system_id" {
  description = "EFS file system holding the compute spool (one directory per shard)."
  value       = aws_efs_file_system.spool.id
}

output "db_endpoint" {
  description = "RDS MySQL address (DB_ADDRESS)."
  value       = aws_db_instance.this.address
}

output "db_master_secret_arn" {
  description = "Secrets Manager secret (managed by RDS) holding the master user's password."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "redis_primary_endpoint" {
  description = "ElastiCache Redis primary endpoint (CACHE_ADDRESS)."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "secret_arns" {
  description = "Secrets whose values the operator sets once (docs/deployment.md)."
  value = {
    db_api_password     = aws_secretsmanager_secret.db_api_password.arn
    db_compute_password = aws_secretsmanager_secret.db_compute_password.arn
    api_token           = var.api_token_enabled ? aws_secretsmanager_secret.api_token[0].arn : null
  }
}

output "log_groups" {
  description = "CloudWatch log groups, by task kind."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}

output "security_group_ids" {
  description = "Security groups created for the ALB, API tasks, compute tasks, RDS and Redis."
  value = {
    alb     = aws_security_group.alb.id
    api     = aws_security_group.api.id
    compute = aws_security_group.compute.id
    rds     = aws_security_group.rds.id
    redis   = aws_security_group.redis.id
    efs     = aws_security_group.efs.id
  }
}
