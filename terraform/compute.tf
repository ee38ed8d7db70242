# urlmon-compute: a scheduled Fargate task per shard (or, compute_mode = "service",
# one ECS service per shard), its spool on EFS (efs.tf), plus one-off
# task definitions run during `terraform apply` before the API service moves
# to a new image:
#
#   <name>-db-bootstrap  creates/updates the two MySQL users and their grants
#                        (idempotent; runs when the DB or its definition changes)
#   <name>-migrate       `urlmon-compute migrate` with the new image
#                        (idempotent; runs whenever the image tag changes)
#
# Both are started by scripts/run-oneoff-task.sh, which waits for the task to
# stop and fails the apply unless the container exited 0.

# ---- compute: scheduled (EventBridge) or service (one ECS service per shard) -----

locals {
  compute_scheduled = var.compute_mode == "scheduled"
  compute_service   = var.compute_mode == "service"

  # Per shard: its argument and its own spool directory on the EFS volume, so a
  # shard's next task (any AZ, fresh disk) replays what the last one spooled.
  compute_shard_args = [for k in range(var.compute_shards) : {
    shard     = "${k}/${var.compute_shards}"
    spool_dir = "${local.spool_mount}/${k}-of-${var.compute_shards}"
  }]

  compute_volume_mount = [{ sourceVolume = "spool", containerPath = local.spool_mount, readOnly = false }]

  compute_container = {
    name        = local.compute_container_name
    image       = local.compute_image
    essential   = true
    stopTimeout = 60
    environment = local.compute_environment_list
    secrets     = local.compute_secrets
    mountPoints = local.compute_volume_mount
    linuxParameters = {
      initProcessEnabled = true
    }
    ulimits = [
      { name = "nofile", softLimit = 65536, hardLimit = 65536 },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this["compute"].name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "compute"
      }
    }
  }
}

# No command: the image's default is one run. Each EventBridge target overrides it
# with `--shard K/N --interval S` and SPOOL_DIR with the shard's directory.
resource "aws_ecs_task_definition" "compute" {
  family                   = "${local.name}-compute"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.compute_cpu
  memory                   = var.compute_memory
  execution_role_arn       = aws_iam_role.compute_execution.arn
  task_role_arn            = aws_iam_role.compute_task.arn
  skip_destroy             = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "spool"
    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.spool.id
      transit_encryption = "ENABLED"
      authorization_config {
        access_point_id = aws_efs_access_point.spool.id
        iam             = "ENABLED"
      }
    }
  }

  container_definitions = jsonencode([local.compute_container])

  depends_on = [aws_efs_mount_target.spool]
}

# EventBridge accepts at most 5 targets per rule: shard K goes to rule
# floor(K / 5); all rules share the same schedule.
resource "aws_cloudwatch_event_rule" "compute" {
  count = local.compute_scheduled ? local.compute_rule_count : 0

  name                = "${local.name}-compute-${count.index}"
  description         = "urlmon-compute shards ${count.index * local.targets_per_rule}..${min(var.compute_shards, (count.index + 1) * local.targets_per_rule) - 1} of ${var.compute_shards}"
  schedule_expression = var.compute_schedule

  lifecycle {
    precondition {
      condition     = local.rate_seconds != null || var.compute_interval_seconds != null
      error_message = "A cron(...) compute_schedule needs compute_interval_seconds: the slot length passed as --interval must match how often it fires."
    }
  }
}

resource "aws_cloudwatch_event_target" "compute_shard" {
  count = local.compute_scheduled ? var.compute_shards : 0

  rule      = aws_cloudwatch_event_rule.compute[floor(count.index / local.targets_per_rule)].name
  target_id = "shard-${count.index}-of-${var.compute_shards}"
  arn       = aws_ecs_cluster.this.arn
  role_arn  = aws_iam_role.events.arn

  ecs_target {
    task_count          = 1
    task_definition_arn = aws_ecs_task_definition.compute.arn
    launch_type         = "FARGATE"
    platform_version    = "LATEST"
    propagate_tags      = "TASK_DEFINITION"

    network_configuration {
      subnets          = local.private_subnet_ids
      security_groups  = [aws_security_group.compute.id]
      assign_public_ip = false
    }
  }

  # A RunTask that fails (capacity, throttling) is retried, then kept in the DLQ
  # (alarmed in alarms.tf) instead of being dropped silently.
  retry_policy {
    maximum_event_age_in_seconds = max(60, min(local.compute_interval, 86400))
    maximum_retry_attempts       = var.compute_event_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.compute_dlq.arn
  }

  # --interval: the slot length matches the schedule, so a changed schedule or
  # start-up jitter never turns a run into a "slot already done" no-op.
  input = jsonencode({
    containerOverrides = [
      {
        name    = local.compute_container_name
        command = ["--shard", local.compute_shard_args[count.index].shard, "--interval", tostring(local.compute_interval)]
        environment = [
          { name = "SPOOL_DIR", value = local.compute_shard_args[count.index].spool_dir },
        ]
      },
    ]
  })

  # New compute code only runs once its schema migration has been applied.
  depends_on = [terraform_data.migrate, aws_iam_role_policy.events]
}

resource "aws_sqs_queue" "compute_dlq" {
  name                      = "${local.name}-compute-dlq"
  message_retention_seconds = 1209600 # 14 days, the most SQS keeps
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "compute_dlq" {
  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.compute_dlq.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:events:${var.aws_region}:${data.aws_caller_identity.current.account_id}:rule/${local.name}-compute-*"]
    }
  }
}

resource "aws_sqs_queue_policy" "compute_dlq" {
  queue_url = aws_sqs_queue.compute_dlq.id
  policy    = data.aws_iam_policy_document.compute_dlq.json
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

# ---- compute_mode = "service": one continuously running task per shard -----------
#
# `urlmon-compute --service --shard K/N --interval S` (the schedule issue's continuous
# mode) keeps one slot after another itself. A service cannot override the command
# per service, so each shard has its own task definition; desired count 1, and a
# deployment stops the old task before starting the new one so that a shard never
# runs twice (the run lock would make the second one skip anyway).

resource "aws_ecs_task_definition" "compute_service" {
  count = local.compute_service ? var.compute_shards : 0

  family                   = "${local.name}-compute-shard-${count.index}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.compute_cpu
  memory                   = var.compute_memory
  execution_role_arn       = aws_iam_role.compute_execution.arn
  task_role_arn            = aws_iam_role.compute_task.arn
  skip_destroy             = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "spool"
    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.spool.id
      transit_encryption = "ENABLED"
      authorization_config {
        access_point_id = aws_efs_access_point.spool.id
        iam             = "ENABLED"
      }
    }
  }

  container_definitions = jsonencode([merge(local.compute_container, {
    command = ["--service", "--shard", local.compute_shard_args[count.index].shard, "--interval", tostring(local.compute_interval)]
    environment = concat(
      [for e in local.compute_environment_list : e if e.name != "SPOOL_DIR"],
      [{ name = "SPOOL_DIR", value = local.compute_shard_args[count.index].spool_dir }],
    )
  })])

  depends_on = [aws_efs_mount_target.spool]
}

resource "aws_ecs_service" "compute" {
  count = local.compute_service ? var.compute_shards : 0

  name                               = "${local.name}-compute-shard-${count.index}"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.compute_service[count.index].arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true

  network_configuration {
    subnets          = local.private_subnet_ids
    security_groups  = [aws_security_group.compute.id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [terraform_data.migrate, aws_iam_role_policy.compute_execution]
}

# ---- one-off: schema migration ----------------------------------------------

resource "aws_ecs_task_definition" "migrate" {
  family                   = "${local.name}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.compute_cpu
  memory                   = var.compute_memory
  execution_role_arn       = aws_iam_role.compute_execution.arn
  task_role_arn            = aws_iam_role.compute_task.arn
  skip_destroy             = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name        = local.migrate_container_name
      image       = local.compute_image
      essential   = true
      command     = ["migrate"]
      environment = local.compute_environment_list
      secrets     = local.compute_secrets
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this["migrate"].name
          awslogs-region        = var.aws_region
          awslogs-stream-prefix = "migrate"
        }
      }
    },
  ])
}

# ---- one-off: MySQL users ---------------------------------------------------

resource "aws_ecs_task_definition" "db_bootstrap" {
  family                   = "${local.name}-db-bootstrap"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.db_bootstrap_execution.arn
  skip_destroy             = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The SQL is the same as docs/deployment.md gives for running by hand.
  # Passwords arrive as secrets and are checked to be alphanumeric before they
  # are put into SQL. caching_sha2_password (MySQL 8.4 no longer enables
  # mysql_native_password): urlmon's MariaDB Connector/C (Debian 12's libmariadb3
  # ships its caching_sha2_password plugin) sends the password over the TLS that
  # RDS requires (REQUIRE SSL on both users as well), so no RSA key exchange.
  container_definitions = jsonencode([
    {
      name       = "db-bootstrap"
      image      = var.db_client_image
      essential  = true
      entryPoint = ["/bin/bash", "-c"]
      command    = [local.db_bootstrap_script]
      environment = [
        { name = "DB_HOST", value = aws_db_instance.this.address },
        { name = "DB_PORT", value = tostring(aws_db_instance.this.port) },
        { name = "DB_ADMIN_USER", value = var.db_master_username },
        { name = "DB_NAME", value = var.db_name },
        { name = "DB_API_USER", value = var.db_api_username },
        { name = "DB_COMPUTE_USER", value = var.db_compute_username },
      ]
      secrets = [
        # The RDS-managed secret is JSON; take its "password" key.
        { name = "MYSQL_PWD", valueFrom = "${aws_db_instance.this.master_user_secret[0].secret_arn}:password::" },
        { name = "API_DB_PASSWORD", valueFrom = aws_secretsmanager_secret.db_api_password.arn },
        { name = "COMPUTE_DB_PASSWORD", valueFrom = aws_secretsmanager_secret.db_compute_password.arn },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this["db-bootstrap"].name
          awslogs-region        = var.aws_region
          awslogs-stream-prefix = "db-bootstrap"
        }
      }
    },
  ])
}

locals {
  db_bootstrap_script = <<-EOT
    set -euo pipefail
    for v in API_DB_PASSWORD COMPUTE_DB_PASSWORD; do
      val="$(printenv "$v" || true)"
      if [ -z "$val" ] || [ -n "$(printf '%s' "$val" | tr -d 'A-Za-z0-9')" ]; then
        echo "db-bootstrap: secret $v must be set and contain only letters and digits (openssl rand -hex 32)" >&2
        exit 2
      fi
    done
    mariadb --ssl --host="$DB_HOST" --port="$DB_PORT" --user="$DB_ADMIN_USER" <<SQL
    CREATE DATABASE IF NOT EXISTS $DB_NAME;
    CREATE USER IF NOT EXISTS '$DB_API_USER'@'%' IDENTIFIED WITH caching_sha2_password BY '$API_DB_PASSWORD' REQUIRE SSL;
    ALTER USER '$DB_API_USER'@'%' IDENTIFIED WITH caching_sha2_password BY '$API_DB_PASSWORD' REQUIRE SSL;
    GRANT SELECT, UPDATE ON $DB_NAME.* TO '$DB_API_USER'@'%';
    CREATE USER IF NOT EXISTS '$DB_COMPUTE_USER'@'%' IDENTIFIED WITH caching_sha2_password BY '$COMPUTE_DB_PASSWORD' REQUIRE SSL;
    ALTER USER '$DB_COMPUTE_USER'@'%' IDENTIFIED WITH caching_sha2_password BY '$COMPUTE_DB_PASSWORD' REQUIRE SSL;
    GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, CREATE VIEW, SHOW VIEW, TRIGGER ON $DB_NAME.* TO '$DB_COMPUTE_USER'@'%';
    SQL
    echo "db-bootstrap: users $DB_API_USER and $DB_COMPUTE_USER are in place on $DB_NAME"
  EOT
}

# ---- running the one-off tasks during apply ---------------------------------

resource "terraform_data" "db_bootstrap" {
  count = var.run_one_off_tasks_on_apply ? 1 : 0

  triggers_replace = [
    aws_db_instance.this.id,
    aws_ecs_task_definition.db_bootstrap.arn,
  ]

  provisioner "local-exec" {
    command = "bash '${path.module}/scripts/run-oneoff-task.sh'"
    environment = {
      REGION          = var.aws_region
      CLUSTER         = aws_ecs_cluster.this.name
      TASK_DEFINITION = aws_ecs_task_definition.db_bootstrap.arn
      CONTAINER       = "db-bootstrap"
      SUBNETS         = local.one_off_network.subnets
      SECURITY_GROUPS = local.one_off_network.security_groups
    }
  }

  depends_on = [
    aws_iam_role_policy.db_bootstrap_execution,
    aws_vpc_security_group_egress_rule.compute_to_rds,
    aws_vpc_security_group_egress_rule.compute_web,
    aws_vpc_security_group_ingress_rule.rds_from_tasks,
    aws_nat_gateway.this,
    aws_vpc_endpoint.interface,
  ]
}

resource "terraform_data" "migrate" {
  count = var.run_one_off_tasks_on_apply ? 1 : 0

  triggers_replace = [aws_ecs_task_definition.migrate.arn]

  provisioner "local-exec" {
    command = "bash '${path.module}/scripts/run-oneoff-task.sh'"
    environment = {
      REGION          = var.aws_region
      CLUSTER         = aws_ecs_cluster.this.name
      TASK_DEFINITION = aws_ecs_task_definition.migrate.arn
      CONTAINER       = local.migrate_container_name
      SUBNETS         = local.one_off_network.subnets
      SECURITY_GROUPS = local.one_off_network.security_groups
    }
  }

  depends_on = [
    terraform_data.db_bootstrap,
    aws_iam_role_policy.compute_execution,
    aws_nat_gateway.this,
    aws_vpc_endpoint.interface,
    aws_vpc_security_group_egress_rule.compute_to_rds,
    aws_vpc_security_group_egress_rule.compute_web,
    aws_vpc_security_group_ingress_rule.rds_from_tasks,
  ]
}

# ---- one-off: load the URL list from S3 -----------------------------------------
#
# With urls_csv_s3_uri set: `fetch` (the AWS CLI image) copies the CSV into a volume
# shared inside the task, then `load` (the compute image) runs
# `urlmon-compute --data-path /data/urls.csv --shard 0/N --interval S`: it loads the
# list, then does shard 0's run of the current slot (or nothing, "slot already done").
# Run it with terraform/scripts/run-oneoff-task.sh (docs/deployment.md, step 7); the
# task role may read that one object and nothing else.

locals {
  load_urls       = var.urls_csv_s3_uri != null
  urls_csv_bucket = local.load_urls ? split("/", trimprefix(var.urls_csv_s3_uri, "s3://"))[0] : ""
  urls_csv_key    = local.load_urls ? join("/", slice(split("/", trimprefix(var.urls_csv_s3_uri, "s3://")), 1, length(split("/", trimprefix(var.urls_csv_s3_uri, "s3://"))))) : ""
}

resource "aws_iam_role" "load_urls_task" {
  count              = local.load_urls ? 1 : 0
  name               = "${local.name}-load-urls-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "load_urls_task" {
  count = local.load_urls ? 1 : 0
  statement {
    sid       = "ReadTheUrlList"
    actions   = ["s3:GetObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${local.urls_csv_bucket}/${local.urls_csv_key}"]
  }
}

resource "aws_iam_role_policy" "load_urls_task" {
  count  = local.load_urls ? 1 : 0
  name   = "read-url-list"
  role   = aws_iam_role.load_urls_task[0].id
  policy = data.aws_iam_policy_document.load_urls_task[0].json
}

resource "aws_ecs_task_definition" "load_urls" {
  count = local.load_urls ? 1 : 0

  family                   = "${local.name}-load-urls"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.compute_cpu
  memory                   = var.compute_memory
  execution_role_arn       = aws_iam_role.compute_execution.arn
  task_role_arn            = aws_iam_role.load_urls_task[0].arn
  skip_destroy             = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "data"
  }

  container_definitions = jsonencode([
    {
      name        = "fetch"
      image       = var.aws_cli_image
      essential   = false
      command     = ["s3", "cp", "--only-show-errors", var.urls_csv_s3_uri, "/data/urls.csv"]
      mountPoints = [{ sourceVolume = "data", containerPath = "/data", readOnly = false }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this["load-urls"].name
          awslogs-region        = var.aws_region
          awslogs-stream-prefix = "fetch"
        }
      }
    },
    merge(local.compute_container, {
      name        = "load"
      command     = ["--data-path", "/data/urls.csv", "--shard", "0/${var.compute_shards}", "--interval", tostring(local.compute_interval)]
      environment = concat([for e in local.compute_environment_list : e if e.name != "SPOOL_DIR"], [{ name = "SPOOL_DIR", value = local.compute_shard_args[0].spool_dir }])
      mountPoints = [{ sourceVolume = "data", containerPath = "/data", readOnly = true }]
      dependsOn   = [{ containerName = "fetch", condition = "SUCCESS" }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this["load-urls"].name
          awslogs-region        = var.aws_region
          awslogs-stream-prefix = "load"
        }
      }
    }),
  ])
}
