locals {
  name = var.name

  tags = merge(
    {
      Project     = "urlmon"
      Environment = var.environment
      ManagedBy   = "terraform"
    },
    var.tags,
  )

  https_enabled = var.certificate_arn != null

  # The network, created (network.tf) or brought.
  vpc_id             = var.create_network ? aws_vpc.this[0].id : var.vpc_id
  public_subnet_ids  = var.create_network ? aws_subnet.public[*].id : var.public_subnet_ids
  private_subnet_ids = var.create_network ? aws_subnet.private[*].id : var.private_subnet_ids
  interface_endpoints = [
    "ecr.api", "ecr.dkr", "logs", "secretsmanager", "elasticfilesystem",
  ]

  # The API's liveness route (api/health.c): 200 while the process serves, whatever
  # MySQL and Redis do. The ALB and the container health check probe it, never /status.
  liveness_path = "/healthz"

  # What the ALB forwards; everything else gets a 404 at the ALB (/metrics, /status,
  # /healthz, and the docs unless alb_serve_api_docs). At most 5 paths per rule.
  alb_public_paths = concat(
    ["/", "/ui/*", "/urls", "/urls/*", "/dashboard/*"],
    var.alb_serve_api_docs ? ["/docs", "/docs/", "/openapi.json"] : [],
  )
  alb_path_groups = chunklist(local.alb_public_paths, 5)

  # The slot length every compute task gets as --interval: from rate(N unit) or given.
  rate_match = regexall("^rate\\(([0-9]+) (minute|minutes|hour|hours|day|days)\\)$", var.compute_schedule)
  rate_seconds = length(local.rate_match) == 0 ? null : tonumber(local.rate_match[0][0]) * lookup(
    { minute = 60, minutes = 60, hour = 3600, hours = 3600, day = 86400, days = 86400 },
    local.rate_match[0][1],
  )
  compute_interval = coalesce(var.compute_interval_seconds, local.rate_seconds, 600)

  # RDS parameter group family follows the major version (8.0 / 8.4).
  db_major  = regex("^8\\.[0-9]+", var.db_engine_version)
  db_family = "mysql${local.db_major}"

  # The RDS CA bundle in the image (Dockerfile), against which DB_TLS verifies RDS.
  db_tls_ca = "/usr/share/urlmon/rds-ca-bundle.pem"

  # Spool on EFS, one directory per shard (efs.tf).
  spool_mount = "/var/lib/urlmon/spool"

  api_container_name     = "urlmon-api"
  compute_container_name = "urlmon-compute"
  migrate_container_name = "urlmon-migrate"

  api_image     = "${aws_ecr_repository.this["api"].repository_url}:${var.image_tag}"
  compute_image = "${aws_ecr_repository.this["compute"].repository_url}:${var.image_tag}"

  # Settings shared by every urlmon container. Secrets are NOT here: they are
  # injected through the task definition `secrets` blocks (ecs.tf, compute.tf).
  # ALLOW_PRIVATE_TARGETS is fixed to 0: the SSRF guard must stay on in AWS.
  common_environment = merge(
    var.extra_environment,
    {
      DB_ADDRESS            = aws_db_instance.this.address
      DB_PORT               = tostring(aws_db_instance.this.port)
      DB_NAME               = var.db_name
      DB_TLS                = "1"
      DB_TLS_CA             = local.db_tls_ca
      CACHE_ADDRESS         = aws_elasticache_replication_group.this.primary_endpoint_address
      CACHE_PORT            = "6379"
      LOG_LEVEL             = var.log_level
      ALLOW_PRIVATE_TARGETS = "0"
    },
  )

  api_environment = merge(local.common_environment, {
    DB_USER      = var.db_api_username
    API_ADDRESS  = "0.0.0.0"
    API_PORT     = tostring(var.api_port)
    METRICS_PORT = tostring(var.api_metrics_port)
    CACHE_TTL    = tostring(var.cache_ttl_seconds)
    MAX_POOL     = tostring(var.api_db_max_pool)
    MIN_POOL     = tostring(var.api_db_min_pool)
  })

  compute_environment = merge(local.common_environment, {
    DB_USER               = var.db_compute_username
    TIMEOUT               = tostring(var.check_timeout_seconds)
    CONCURRENCY           = tostring(var.check_concurrency)
    RETENTION_DAYS        = tostring(var.retention_days)
    ROLLUP_RETENTION_DAYS = tostring(var.rollup_retention_days)
    SPOOL_DIR             = local.spool_mount # + /<K>-of-<N> per shard (compute.tf)
  })

  # ECS wants environment as a list of {name, value}; sorted for stable diffs.
  api_environment_list     = [for k in sort(keys(local.api_environment)) : { name = k, value = local.api_environment[k] }]
  compute_environment_list = [for k in sort(keys(local.compute_environment)) : { name = k, value = local.compute_environment[k] }]

  api_secrets = concat(
    [{ name = "DB_PASSWORD", valueFrom = aws_secretsmanager_secret.db_api_password.arn }],
    var.api_token_enabled ? [{ name = "API_TOKEN", valueFrom = aws_secretsmanager_secret.api_token[0].arn }] : [],
  )
  compute_secrets = [{ name = "DB_PASSWORD", valueFrom = aws_secretsmanager_secret.db_compute_password.arn }]

  # EventBridge allows at most 5 targets per rule, so N shards are spread
  # over ceil(N / 5) rules with the same schedule.
  targets_per_rule   = 5
  compute_rule_count = ceil(var.compute_shards / local.targets_per_rule)

  one_off_network = {
    subnets         = join(",", local.private_subnet_ids)
    security_groups = aws_security_group.compute.id
  }
}
