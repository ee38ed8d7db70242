# Roles:
#   <name>-api-execution      pulls the api image, writes api logs, reads the
#                             api DB password and API_TOKEN secrets only
#   <name>-compute-execution  pulls the compute image, writes compute/migrate
#                             logs, reads the compute DB password secret only
#   <name>-db-bootstrap-execution  writes db-bootstrap logs, reads the RDS
#                             master secret and the two urlmon DB passwords
#                             (image comes from ECR Public: no ECR permission)
#   <name>-api-task           task role with no permissions: urlmon calls no AWS API
#   <name>-compute-task       mounts the spool EFS through its access point
#                             (efs.tf), nothing else
#   <name>-load-urls-task     reads the one urls_csv_s3_uri object (compute.tf)
#   <name>-events             lets EventBridge run the compute task definition

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_execution" {
  name               = "${local.name}-api-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role" "compute_execution" {
  name               = "${local.name}-compute-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role" "db_bootstrap_execution" {
  name               = "${local.name}-db-bootstrap-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role" "api_task" {
  name               = "${local.name}-api-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role" "compute_task" {
  name               = "${local.name}-compute-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

# ---- execution role policies -----------------------------------------------

data "aws_iam_policy_document" "api_execution" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource-level permissions
  }
  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = [aws_ecr_repository.this["api"].arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this["api"].arn}:*"]
  }
  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for s in local.api_secrets : s.valueFrom]
  }
}

data "aws_iam_policy_document" "compute_execution" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource-level permissions
  }
  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = [aws_ecr_repository.this["compute"].arn]
  }
  statement {
    sid     = "Logs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${aws_cloudwatch_log_group.this["compute"].arn}:*",
      "${aws_cloudwatch_log_group.this["migrate"].arn}:*",
      "${aws_cloudwatch_log_group.this["load-urls"].arn}:*",
    ]
  }
  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for s in local.compute_secrets : s.valueFrom]
  }
}

data "aws_iam_policy_document" "db_bootstrap_execution" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this["db-bootstrap"].arn}:*"]
  }
  statement {
    sid     = "Secrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_db_instance.this.master_user_secret[0].secret_arn,
      aws_secretsmanager_secret.db_api_password.arn,
      aws_secretsmanager_secret.db_compute_password.arn,
    ]
  }
}

resource "aws_iam_role_policy" "api_execution" {
  name   = "pull-logs-secrets"
  role   = aws_iam_role.api_execution.id
  policy = data.aws_iam_policy_document.api_execution.json
}

resource "aws_iam_role_policy" "compute_execution" {
  name   = "pull-logs-secrets"
  role   = aws_iam_role.compute_execution.id
  policy = data.aws_iam_policy_document.compute_execution.json
}

resource "aws_iam_role_policy" "db_bootstrap_execution" {
  name   = "logs-secrets"
  role   = aws_iam_role.db_bootstrap_execution.id
  policy = data.aws_iam_policy_document.db_bootstrap_execution.json
}

data "aws_iam_policy_document" "compute_task" {
  statement {
    sid       = "SpoolOnEfs"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.spool.arn]
    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.spool.arn]
    }
  }
}

resource "aws_iam_role_policy" "compute_task" {
  name   = "spool-efs"
  role   = aws_iam_role.compute_task.id
  policy = data.aws_iam_policy_document.compute_task.json
}

# ---- EventBridge -> ECS RunTask ---------------------------------------------

data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "events" {
  name               = "${local.name}-events"
  assume_role_policy = data.aws_iam_policy_document.events_assume.json
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "RunComputeTask"
    actions   = ["ecs:RunTask"]
    resources = ["${aws_ecs_task_definition.compute.arn_without_revision}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }
  statement {
    # Needed because the targets propagate the task definition's tags to the
    # tasks they start (ECS tagging authorization).
    sid       = "TagComputeTasks"
    actions   = ["ecs:TagResource"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask"]
    }
  }
  statement {
    sid       = "PassComputeRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.compute_execution.arn, aws_iam_role.compute_task.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "run-compute-task"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}
