# One log group per kind of task; ECS ships container stdout/stderr here
# through the awslogs driver.

resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(["api", "compute", "migrate", "db-bootstrap", "load-urls"])

  name              = "/ecs/${local.name}/${each.key}"
  retention_in_days = var.log_retention_days
}
