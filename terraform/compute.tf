# urlmon-compute: a scheduled Fargate task (one per shard), plus two one-off
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

# ---- scheduled compute run ---------------------------------------------------

resource "aws_ecs_task_definition" "compute" {
  family                   = "${local.name}-compute"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.compute_cpu
  memory                   = var.compute_memory
  execution_role_arn       = aws_iam_role.compute_execution.arn
  task_role_arn            = aws_iam_role.compute_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # No command: the image's default is one run. Each EventBridge target
  # overrides it with `--shard K/N`.
  container_definitions = jsonencode([
    {
      name        = local.compute_container_name
      image       = local.compute_image
      essential   = true
      stopTimeout = 60
      environment = local.compute_environment_list
      secrets     = local.compute_secrets
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
    },
  ])
}

# EventBridge accepts at most 5 targets per rule: shard K goes to rule
# floor(K / 5); all rules share the same schedule.
resource "aws_cloudwatch_event_rule" "compute" {
  count = local.compute_rule_count

  name                = "${local.name}-compute-${count.index}"
  description         = "urlmon-compute shards ${count.index * local.targets_per_rule}..${min(var.compute_shards, (count.index + 1) * local.targets_per_rule) - 1} of ${var.compute_shards}"
  schedule_expression = var.compute_schedule
}

resource "aws_cloudwatch_event_target" "compute_shard" {
  count = var.compute_shards

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
      subnets          = var.private_subnet_ids
      security_groups  = [aws_security_group.compute.id]
      assign_public_ip = false
    }
  }

  input = jsonencode({
    containerOverrides = [
      {
        name    = local.compute_container_name
        command = ["--shard", "${count.index}/${var.compute_shards}"]
      },
    ]
  })

  # New compute code only runs once its schema migration has been applied.
  depends_on = [terraform_data.migrate, aws_iam_role_policy.events]
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

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The SQL is the same as docs/deployment.md gives for running by hand.
  # Passwords arrive as secrets and are checked to be alphanumeric before they
  # are put into SQL. mysql_native_password: both urlmon (MariaDB
  # Connector/C from Debian 12) and the mariadb client authenticate with it
  # without TLS or RSA key exchange; MySQL 8.0 still supports it.
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
    CREATE USER IF NOT EXISTS '$DB_API_USER'@'%' IDENTIFIED WITH mysql_native_password BY '$API_DB_PASSWORD';
    ALTER USER '$DB_API_USER'@'%' IDENTIFIED WITH mysql_native_password BY '$API_DB_PASSWORD';
    GRANT SELECT, UPDATE ON $DB_NAME.* TO '$DB_API_USER'@'%';
    CREATE USER IF NOT EXISTS '$DB_COMPUTE_USER'@'%' IDENTIFIED WITH mysql_native_password BY '$COMPUTE_DB_PASSWORD';
    ALTER USER '$DB_COMPUTE_USER'@'%' IDENTIFIED WITH mysql_native_password BY '$COMPUTE_DB_PASSWORD';
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
    aws_vpc_security_group_egress_rule.compute_to_rds,
    aws_vpc_security_group_egress_rule.compute_web,
    aws_vpc_security_group_ingress_rule.rds_from_tasks,
  ]
}
