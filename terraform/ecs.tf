# ECS cluster and the urlmon-api Fargate service behind the ALB, with
# CPU-based target-tracking auto scaling.
#
# Task definitions keep their old revisions (skip_destroy): EventBridge targets, the
# deployment circuit breaker's rollback and a running service may still point at the
# previous revision while a deploy is under way; deregistering it would leave them on
# an INACTIVE definition. deploy.yml checks the API service's rollout state
# (terraform/scripts/wait-rollout.sh) instead of trusting services-stable.

# An account that never used ECS has no service-linked role yet; the first cluster
# then often fails once with "Unable to assume the service linked role".
resource "aws_iam_service_linked_role" "ecs" {
  count            = var.create_ecs_service_linked_role ? 1 : 0
  aws_service_name = "ecs.amazonaws.com"
  description      = "ECS service-linked role, created by urlmon's Terraform on a fresh account"
}

resource "aws_ecs_cluster" "this" {
  name = local.name

  depends_on = [aws_iam_service_linked_role.ecs]

  setting {
    name  = "containerInsights"
    value = var.container_insights ? "enabled" : "disabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_ecs_task_definition" "api" {
  family                   = "${local.name}-api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.api_cpu
  memory                   = var.api_memory
  execution_role_arn       = aws_iam_role.api_execution.arn
  task_role_arn            = aws_iam_role.api_task.arn
  skip_destroy             = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name                   = local.api_container_name
      image                  = local.api_image
      essential              = true
      readonlyRootFilesystem = true
      stopTimeout            = 30
      portMappings = [
        { containerPort = var.api_port, protocol = "tcp" },
      ]
      environment = local.api_environment_list
      secrets     = local.api_secrets
      # Liveness, as the ALB's check: a database failover must not get tasks killed.
      healthCheck = {
        command     = ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:${var.api_port}${local.liveness_path}"]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 20
      }
      linuxParameters = {
        initProcessEnabled = true
      }
      ulimits = [
        { name = "nofile", softLimit = 65536, hardLimit = 65536 },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this["api"].name
          awslogs-region        = var.aws_region
          awslogs-stream-prefix = "api"
        }
      }
    },
  ])

  lifecycle {
    precondition {
      condition     = var.api_db_min_pool <= var.api_db_max_pool
      error_message = "api_db_min_pool must not exceed api_db_max_pool."
    }
  }
}

resource "aws_ecs_service" "api" {
  name                               = "${local.name}-api"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.api.arn
  desired_count                      = var.api_desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  health_check_grace_period_seconds  = var.api_health_check_grace_seconds
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true

  network_configuration {
    subnets          = local.private_subnet_ids
    security_groups  = [aws_security_group.api.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
    container_name   = local.api_container_name
    container_port   = var.api_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Auto scaling owns desired_count after creation.
  lifecycle {
    ignore_changes = [desired_count]
  }

  # The service only moves to a new task definition after the listeners
  # exist, the execution role can read its secrets, and the schema migration
  # for the same image has finished (compute.tf).
  depends_on = [
    aws_lb_listener.http,
    aws_lb_listener.https,
    aws_lb_listener_rule.public,
    aws_iam_role_policy.api_execution,
    terraform_data.migrate,
  ]
}

resource "aws_appautoscaling_target" "api" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.api.name}"
  min_capacity       = var.api_min_count
  max_capacity       = var.api_max_count

  lifecycle {
    precondition {
      condition     = var.api_min_count <= var.api_max_count && var.api_desired_count >= var.api_min_count && var.api_desired_count <= var.api_max_count
      error_message = "Need api_min_count <= api_desired_count <= api_max_count."
    }
  }
}

resource "aws_appautoscaling_policy" "api_cpu" {
  name               = "${local.name}-api-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  resource_id        = aws_appautoscaling_target.api.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.api_cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
