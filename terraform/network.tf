# The network: either created here (var.create_network: a VPC over two AZs with public
# and private subnets, NAT for compute's checks of public sites, and VPC endpoints for
# ECR, S3, CloudWatch Logs, Secrets Manager and EFS so AWS traffic stays inside the VPC)
# or brought (var.vpc_id + subnet lists). Then the security groups. Rules are
# least-privilege and each one is its own resource:
#
#   internet --443 (80: redirect only)--> ALB --api_port--> API tasks
#   API tasks     --3306--> RDS, --6379--> Redis, --443--> AWS APIs (endpoints or NAT)
#   compute tasks --3306--> RDS, --6379--> Redis, --2049--> EFS (spool),
#                 --80/443--> 0.0.0.0/0 (via NAT: the monitored public sites)
#
# With the created network the API tasks reach AWS only through the endpoints: their
# 443 egress goes to the VPC's CIDR and the S3 prefix list, never 0.0.0.0/0. With
# brought subnets it goes through their NAT to 0.0.0.0/0.

data "aws_availability_zones" "available" {
  count = var.create_network ? 1 : 0
  state = "available"
}

resource "aws_vpc" "this" {
  count = var.create_network ? 1 : 0

  cidr_block           = var.network_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # interface endpoints with private DNS need it

  tags = { Name = local.name }
}

resource "aws_internet_gateway" "this" {
  count  = var.create_network ? 1 : 0
  vpc_id = aws_vpc.this[0].id
  tags   = { Name = local.name }
}

# /20 per subnet: public 0-1, private 2-3 of the /16 (or whatever network_cidr is).
resource "aws_subnet" "public" {
  count = var.create_network ? 2 : 0

  vpc_id                  = aws_vpc.this[0].id
  availability_zone       = data.aws_availability_zones.available[0].names[count.index]
  cidr_block              = cidrsubnet(var.network_cidr, 4, count.index)
  map_public_ip_on_launch = false

  tags = { Name = "${local.name}-public-${count.index}" }
}

resource "aws_subnet" "private" {
  count = var.create_network ? 2 : 0

  vpc_id            = aws_vpc.this[0].id
  availability_zone = data.aws_availability_zones.available[0].names[count.index]
  cidr_block        = cidrsubnet(var.network_cidr, 4, count.index + 2)

  tags = { Name = "${local.name}-private-${count.index}" }
}

resource "aws_route_table" "public" {
  count  = var.create_network ? 1 : 0
  vpc_id = aws_vpc.this[0].id
  tags   = { Name = "${local.name}-public" }
}

resource "aws_route" "public_internet" {
  count = var.create_network ? 1 : 0

  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count          = var.create_network ? 2 : 0
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

# One NAT gateway per AZ (network_nat_per_az, for an AZ outage) or one for both.
locals {
  nat_count = var.create_network ? (var.network_nat_per_az ? 2 : 1) : 0
}

resource "aws_eip" "nat" {
  count  = local.nat_count
  domain = "vpc"
  tags   = { Name = "${local.name}-nat-${count.index}" }
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id
  tags          = { Name = "${local.name}-${count.index}" }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  count  = var.create_network ? 2 : 0
  vpc_id = aws_vpc.this[0].id
  tags   = { Name = "${local.name}-private-${count.index}" }
}

resource "aws_route" "private_nat" {
  count = var.create_network ? 2 : 0

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[min(count.index, local.nat_count - 1)].id
}

resource "aws_route_table_association" "private" {
  count          = var.create_network ? 2 : 0
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# ---- VPC endpoints (created network only) ------------------------------------

resource "aws_vpc_endpoint" "s3" {
  count = var.create_network ? 1 : 0

  vpc_id            = aws_vpc.this[0].id
  service_name      = "com.amazonaws.${var.aws_region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id # ECR image layers live in S3

  tags = { Name = "${local.name}-s3" }
}

resource "aws_security_group" "endpoints" {
  count = var.create_network ? 1 : 0

  name_prefix = "${local.name}-endpoints-"
  description = "urlmon VPC interface endpoints: HTTPS in from the VPC"
  vpc_id      = aws_vpc.this[0].id

  tags = { Name = "${local.name}-endpoints" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  count = var.create_network ? 1 : 0

  security_group_id = aws_security_group.endpoints[0].id
  description       = "HTTPS from inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.network_cidr
}

resource "aws_vpc_endpoint" "interface" {
  for_each = var.create_network ? toset(local.interface_endpoints) : toset([])

  vpc_id              = aws_vpc.this[0].id
  service_name        = "com.amazonaws.${var.aws_region}.${each.value}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints[0].id]

  tags = { Name = "${local.name}-${each.value}" }
}

data "aws_ec2_managed_prefix_list" "s3" {
  count = var.create_network ? 1 : 0
  name  = "com.amazonaws.${var.aws_region}.s3"
}

data "aws_vpc" "this" {
  id = local.vpc_id
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
  description       = local.https_enabled ? "HTTP from an allowed CIDR (redirected to HTTPS)" : "HTTP from an allowed CIDR (plain HTTP: allow_plain_http opt-out)"
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

# Brought subnets: AWS APIs through their NAT. Created network: the VPC endpoints
# (interface endpoints in the VPC's CIDR, S3 through its prefix list) and nothing else.
resource "aws_vpc_security_group_egress_rule" "api_https" {
  count = var.create_network ? 0 : 1

  security_group_id = aws_security_group.api.id
  description       = "HTTPS via NAT to ECR, Secrets Manager and CloudWatch Logs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "api_endpoints" {
  count = var.create_network ? 1 : 0

  security_group_id = aws_security_group.api.id
  description       = "HTTPS to the VPC interface endpoints (ECR, Logs, Secrets Manager)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.network_cidr
}

resource "aws_vpc_security_group_egress_rule" "api_s3" {
  count = var.create_network ? 1 : 0

  security_group_id = aws_security_group.api.id
  description       = "HTTPS to S3 (ECR image layers) through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = data.aws_ec2_managed_prefix_list.s3[0].id
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

resource "aws_vpc_security_group_egress_rule" "compute_to_efs" {
  security_group_id            = aws_security_group.compute.id
  description                  = "NFS to the spool's EFS mount targets"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.efs.id
}

# ---- data stores ------------------------------------------------------------

resource "aws_security_group" "efs" {
  name_prefix = "${local.name}-efs-"
  description = "urlmon spool EFS: NFS in from compute tasks only"
  vpc_id      = data.aws_vpc.this.id

  tags = { Name = "${local.name}-efs" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "efs_from_compute" {
  security_group_id            = aws_security_group.efs.id
  description                  = "NFS from compute tasks"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.compute.id
}

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
