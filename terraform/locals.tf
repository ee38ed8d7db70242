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
      CACHE_ADDRESS         = aws_elasticache_replication_group.this.primary_endpoint_address
      CACHE_PORT            = "6379"
      LOG_LEVEL             = var.log_level
      ALLOW_PRIVATE_TARGETS = "0"
    },
  )

  api_environment = merge(local.common_environment, {
    DB_USER     = var.db_api_username
    API_ADDRESS = "0.0.0.0"
    API_PORT    = tostring(var.api_port)
    CACHE_TTL   = tostring(var.cache_ttl_seconds)
    MAX_POOL    = tostring(var.api_db_max_pool)
    MIN_POOL    = tostring(var.api_db_min_pool)
  })

  compute_environment = merge(local.common_environment, {
    DB_USER               = var.db_compute_username
    TIMEOUT               = tostring(var.check_timeout_seconds)
    CONCURRENCY           = tostring(var.check_concurrency)
    RETENTION_DAYS        = tostring(var.retention_days)
    ROLLUP_RETENTION_DAYS = tostring(var.rollup_retention_days)
    SPOOL_DIR             = "/var/lib/urlmon/spool"
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
    subnets         = join(",", var.private_subnet_ids)
    security_groups = aws_security_group.compute.id
  }
}
