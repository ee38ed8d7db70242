# ElastiCache Redis 7 replication group in the private subnets.
#
# At-rest encryption is always on. In-transit (TLS) encryption is a variable
# that defaults to false: urlmon links hiredis 0.14 (Debian 12), which cannot
# speak TLS. See var.redis_transit_encryption_enabled.

resource "aws_elasticache_subnet_group" "this" {
  name        = "${local.name}-redis"
  description = "urlmon Redis: private subnets"
  subnet_ids  = local.private_subnet_ids
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = "${local.name}-redis"
  description          = "urlmon API cache"

  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  port                 = 6379
  parameter_group_name = "default.redis7"

  num_cache_clusters         = var.redis_num_cache_clusters
  automatic_failover_enabled = var.redis_num_cache_clusters > 1
  multi_az_enabled           = var.redis_num_cache_clusters > 1

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [aws_security_group.redis.id]

  at_rest_encryption_enabled = true
  transit_encryption_enabled = var.redis_transit_encryption_enabled

  auto_minor_version_upgrade = true
  maintenance_window         = "sun:04:30-sun:05:30"
  snapshot_retention_limit   = 0
  apply_immediately          = true
}
