# Existing VPC and subnets are inputs (variables.tf); this file only adds the
# security groups. Rules are least-privilege and each one is its own resource:
#
#   internet --80/443--> ALB --api_port--> API tasks
#   API tasks     --3306--> RDS, --6379--> Redis, --443--> 0.0.0.0/0 (via NAT)
#   compute tasks --3306--> RDS, --6379--> Redis, --80/443--> 0.0.0.0/0 (via NAT)
#
# The 443 egress of the API tasks is what Fargate needs to pull from ECR, read
# Secrets Manager and ship CloudWatch logs through the private subnets' NAT
# gateway (no VPC interface endpoints are created). Compute needs 80/443 to
# the internet anyway, because it checks public sites.

data "aws_vpc" "this" {
  id = var.vpc_id
}

resource "aws_security_group" "alb" {
  name_prefix = "${local.name}-alb-"
  description = "urlmon ALB: HTTP/HTTPS in from allowed CIDRs, API port out to API tasks"
  vpc_id      = data.aws_vpc.this.id

  tags = { Name = "${local.name}-alb" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "api" {
  name_prefix = "${local.name}-api-"
  description = "urlmon API tasks: API port in from the ALB only"
  vpc_id      = data.aws_vpc.this.id

  tags = { Name = "${local.name}-api" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "compute" {
  name_prefix = "${local.name}-compute-"
  description = "urlmon compute, migrate and db-bootstrap tasks: no ingress"
  vpc_id      = data.aws_vpc.this.id

  tags = { Name = "${local.name}-compute" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "rds" {
  name_prefix = "${local.name}-rds-"
  description = "urlmon RDS MySQL: 3306 in from API and compute tasks only"
  vpc_id      = data.aws_vpc.this.id

  tags = { Name = "${local.name}-rds" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "redis" {
  name_prefix = "${local.name}-redis-"
  description = "urlmon ElastiCache Redis: 6379 in from API and compute tasks only"
  vpc_id      = data.aws_vpc.this.id

  tags = { Name = "${local.name}-redis" }

  lifecycle {
    create_before_destroy = true
  }
}

# ---- ALB --------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  for_each = toset(var.allowed_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from an allowed CIDR"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = local.https_enabled ? toset(var.allowed_ingress_cidrs) : toset([])

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from an allowed CIDR"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_api" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the API tasks on the API port only"
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
  referenced_security_group_id = aws_security_group.api.id
}

# ---- API tasks --------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "api_from_alb" {
  security_group_id            = aws_security_group.api.id
  description                  = "API port from the ALB only"
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "api_to_rds" {
  security_group_id            = aws_security_group.api.id
  description                  = "MySQL"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = aws_security_group.rds.id
}

resource "aws_vpc_security_group_egress_rule" "api_to_redis" {
  security_group_id            = aws_security_group.api.id
  description                  = "Redis"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.redis.id
}

resource "aws_vpc_security_group_egress_rule" "api_https" {
  security_group_id = aws_security_group.api.id
  description       = "HTTPS via NAT to ECR, Secrets Manager and CloudWatch Logs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

# ---- compute / migrate / db-bootstrap tasks --------------------------------

resource "aws_vpc_security_group_egress_rule" "compute_to_rds" {
  security_group_id            = aws_security_group.compute.id
  description                  = "MySQL"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = aws_security_group.rds.id
}

resource "aws_vpc_security_group_egress_rule" "compute_to_redis" {
  security_group_id            = aws_security_group.compute.id
  description                  = "Redis"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.redis.id
}

resource "aws_vpc_security_group_egress_rule" "compute_web" {
  for_each = toset(["80", "443"])

  security_group_id = aws_security_group.compute.id
  description       = "Monitored public sites (and ECR/Secrets Manager/Logs on 443) via NAT"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv4         = "0.0.0.0/0"
}

# ---- data stores ------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "rds_from_tasks" {
  for_each = {
    api     = aws_security_group.api.id
    compute = aws_security_group.compute.id
  }

  security_group_id            = aws_security_group.rds.id
  description                  = "MySQL from ${each.key} tasks"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_tasks" {
  for_each = {
    api     = aws_security_group.api.id
    compute = aws_security_group.compute.id
  }

  security_group_id            = aws_security_group.redis.id
  description                  = "Redis from ${each.key} tasks"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = each.value
}
