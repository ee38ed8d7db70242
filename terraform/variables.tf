# -----------------------------------------------------------------------------
# General
# -----------------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region everything is created in, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like eu-west-1 or us-gov-west-1."
  }
}

variable "name" {
  description = "Name prefix for every resource (ECS cluster, task families such as <name>-migrate, ECR repositories <name>-api / <name>-compute, RDS and Redis identifiers)."
  type        = string
  default     = "urlmon"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.name))
    error_message = "name must be 2-20 characters: lower-case letters, digits and '-', starting with a letter."
  }
}

variable "environment" {
  description = "Environment label put in the Environment tag (production, staging, ...)."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "environment must be lower-case letters, digits and '-' (at most 32 characters)."
  }
}

variable "tags" {
  description = "Extra tags added to every resource through the provider's default_tags."
  type        = map(string)
  default     = {}
}

# -----------------------------------------------------------------------------
# Network: created here (create_network = true) or brought (vpc_id + subnets)
# -----------------------------------------------------------------------------

variable "create_network" {
  description = "Create the network: a VPC over two AZs with public and private subnets, NAT (compute checks public sites), and VPC endpoints for ECR, S3, CloudWatch Logs, Secrets Manager and EFS. A fresh account's default VPC has no private subnets or NAT, so this is what a first deployment uses. When false, give vpc_id, public_subnet_ids and private_subnet_ids."
  type        = bool
  default     = false
}

variable "network_cidr" {
  description = "IPv4 CIDR of the created VPC (create_network); four /20 subnets are cut from a /16."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.network_cidr, 0)) && tonumber(split("/", var.network_cidr)[1]) <= 20
    error_message = "network_cidr must be an IPv4 CIDR of /20 or larger, e.g. 10.40.0.0/16."
  }
}

variable "network_nat_per_az" {
  description = "With create_network: one NAT gateway per AZ (survives an AZ outage, costs twice) instead of one shared NAT gateway."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "ID of the existing VPC to deploy into (create_network = false)."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be null or look like vpc-0123456789abcdef0."
  }
}

variable "public_subnet_ids" {
  description = "Existing public subnets (at least two, in different AZs) for the internet-facing ALB (create_network = false)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.public_subnet_ids) == 0 || (length(var.public_subnet_ids) >= 2 && alltrue([for s in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))]))
    error_message = "public_subnet_ids needs at least two subnet IDs (subnet-...), or none with create_network."
  }
}

variable "private_subnet_ids" {
  description = "Existing private subnets (at least two, in different AZs) for ECS tasks, RDS, ElastiCache and EFS (create_network = false). They must route 0.0.0.0/0 through a NAT gateway: tasks reach ECR, Secrets Manager and CloudWatch Logs over HTTPS, and compute reaches the monitored public sites, through it."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.private_subnet_ids) == 0 || (length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))]))
    error_message = "private_subnet_ids needs at least two subnet IDs (subnet-...), or none with create_network."
  }
}

variable "allowed_ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the ALB on port 443 (and on port 80, which only redirects to 443 unless allow_plain_http)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.allowed_ingress_cidrs) > 0 && alltrue([for c in var.allowed_ingress_cidrs : can(cidrhost(c, 0)) && !strcontains(c, ":")])
    error_message = "allowed_ingress_cidrs must be a non-empty list of IPv4 CIDR blocks such as 203.0.113.0/24."
  }
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the ALB's HTTPS listener: port 443 serves the API and port 80 redirects to HTTPS. Required unless allow_plain_http = true (docs/deployment.md shows how to get one)."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be null or an ACM certificate ARN."
  }
}

variable "allow_plain_http" {
  description = "Explicit opt-out of HTTPS for throw-away test stacks: with no certificate_arn, port 80 serves the API in plain HTTP, so the API token travels in cleartext. Never for production."
  type        = bool
  default     = false
}

variable "alb_serve_api_docs" {
  description = "Also forward /docs and /openapi.json through the ALB. Off by default: the ALB forwards only the public routes (the dashboard, /ui/*, /urls and /dashboard/*); /metrics, /status, /healthz and the docs stay inside."
  type        = bool
  default     = false
}

# -----------------------------------------------------------------------------
# Images and application settings
# -----------------------------------------------------------------------------

variable "image_tag" {
  description = "Tag of the urlmon-api and urlmon-compute images in ECR; deploy.yml passes the git commit SHA. ECR tags are immutable, so 'latest' is refused."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid Docker tag (e.g. a git SHA) and not 'latest'."
  }
}

variable "log_level" {
  description = "LOG_LEVEL for every urlmon container."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be one of debug, info, warn, error."
  }
}

variable "extra_environment" {
  description = "Extra non-secret environment variables for every urlmon container (e.g. CHECK_THREADS, BATCH_SIZE, MAX_BODY_BYTES, MAX_REDIRECTS, CONNECT_TIMEOUT). Keys set by Terraform itself win over these. Secrets and ALLOW_PRIVATE_TARGETS are refused."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for k in keys(var.extra_environment) :
      can(regex("^[A-Z][A-Z0-9_]*$", k)) && !contains(["DB_PASSWORD", "API_TOKEN", "CACHE_PASSWORD", "ALLOW_PRIVATE_TARGETS"], k)
    ])
    error_message = "extra_environment keys must be UPPER_SNAKE_CASE and must not be DB_PASSWORD, API_TOKEN, CACHE_PASSWORD or ALLOW_PRIVATE_TARGETS."
  }
}

# -----------------------------------------------------------------------------
# API service (ECS Fargate behind the ALB)
# -----------------------------------------------------------------------------

variable "api_port" {
  description = "Port urlmon-api listens on inside the task (API_PORT); the ALB target group uses it."
  type        = number
  default     = 8000

  validation {
    condition     = var.api_port >= 1024 && var.api_port <= 65535
    error_message = "api_port must be 1024-65535 (the container runs as a non-root user)."
  }
}

variable "api_metrics_port" {
  description = "METRICS_PORT of urlmon-api: /metrics, /status and /healthz on a separate listener (loopback, for a scraping sidecar), and /metrics no longer on api_port."
  type        = number
  default     = 9100

  validation {
    condition     = var.api_metrics_port >= 1024 && var.api_metrics_port <= 65535
    error_message = "api_metrics_port must be 1024-65535."
  }
}

variable "api_cpu" {
  description = "Fargate CPU units for one API task."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.api_cpu)
    error_message = "api_cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "api_memory" {
  description = "Fargate memory (MiB) for one API task; must be a valid combination with api_cpu."
  type        = number
  default     = 512

  validation {
    condition     = var.api_memory >= 512 && var.api_memory <= 30720
    error_message = "api_memory must be 512-30720 MiB."
  }
}

variable "api_desired_count" {
  description = "Initial number of API tasks. Application Auto Scaling adjusts it afterwards between api_min_count and api_max_count."
  type        = number
  default     = 2

  validation {
    condition     = var.api_desired_count >= 1 && var.api_desired_count <= 100
    error_message = "api_desired_count must be 1-100."
  }
}

variable "api_min_count" {
  description = "Lowest number of API tasks auto scaling may go down to."
  type        = number
  default     = 2

  validation {
    condition     = var.api_min_count >= 1
    error_message = "api_min_count must be at least 1."
  }
}

variable "api_max_count" {
  description = "Highest number of API tasks auto scaling may go up to (must be >= api_min_count)."
  type        = number
  default     = 6

  validation {
    condition     = var.api_max_count >= 1 && var.api_max_count <= 100
    error_message = "api_max_count must be 1-100."
  }
}

variable "api_cpu_target_percent" {
  description = "Target average CPU utilisation (%) for the API service's target-tracking scaling policy."
  type        = number
  default     = 60

  validation {
    condition     = var.api_cpu_target_percent >= 10 && var.api_cpu_target_percent <= 90
    error_message = "api_cpu_target_percent must be 10-90."
  }
}

variable "api_health_check_grace_seconds" {
  description = "Seconds ECS ignores ALB health checks after an API task starts."
  type        = number
  default     = 30

  validation {
    condition     = var.api_health_check_grace_seconds >= 0 && var.api_health_check_grace_seconds <= 600
    error_message = "api_health_check_grace_seconds must be 0-600."
  }
}

variable "api_db_max_pool" {
  description = "MAX_POOL: MySQL connections one API task may hold."
  type        = number
  default     = 10

  validation {
    condition     = var.api_db_max_pool >= 1 && var.api_db_max_pool <= 256
    error_message = "api_db_max_pool must be 1-256."
  }
}

variable "api_db_min_pool" {
  description = "MIN_POOL: MySQL connections one API task opens at start (<= api_db_max_pool)."
  type        = number
  default     = 1

  validation {
    condition     = var.api_db_min_pool >= 0 && var.api_db_min_pool <= 256
    error_message = "api_db_min_pool must be 0-256."
  }
}

variable "cache_ttl_seconds" {
  description = "CACHE_TTL: seconds a cached API answer lives in Redis."
  type        = number
  default     = 600

  validation {
    condition     = var.cache_ttl_seconds >= 1 && var.cache_ttl_seconds <= 86400
    error_message = "cache_ttl_seconds must be 1-86400."
  }
}

variable "api_token_enabled" {
  description = "When true, a Secrets Manager secret for API_TOKEN is created and injected into the API task, so POST/DELETE need a Bearer token. Its value must be put in the secret before the first deploy (docs/deployment.md)."
  type        = bool
  default     = true
}

# -----------------------------------------------------------------------------
# Compute (scheduled ECS tasks)
# -----------------------------------------------------------------------------

variable "compute_cpu" {
  description = "Fargate CPU units for one compute (and migrate) task."
  type        = number
  default     = 1024

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.compute_cpu)
    error_message = "compute_cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "compute_memory" {
  description = "Fargate memory (MiB) for one compute (and migrate) task; must be a valid combination with compute_cpu."
  type        = number
  default     = 2048

  validation {
    condition     = var.compute_memory >= 512 && var.compute_memory <= 30720
    error_message = "compute_memory must be 512-30720 MiB."
  }
}

variable "compute_shards" {
  description = "Number of compute tasks started per schedule tick; task K (0-based) runs `urlmon-compute --shard K/N`."
  type        = number
  default     = 1

  validation {
    condition     = var.compute_shards >= 1 && var.compute_shards <= 64 && floor(var.compute_shards) == var.compute_shards
    error_message = "compute_shards must be a whole number from 1 to 64."
  }
}

variable "compute_mode" {
  description = "How compute runs: \"scheduled\" (EventBridge starts one task per shard every compute_schedule; each run does one slot and exits) or \"service\" (one ECS service per shard, desired count 1, running `urlmon-compute --service --shard K/N --interval S` continuously)."
  type        = string
  default     = "scheduled"

  validation {
    condition     = contains(["scheduled", "service"], var.compute_mode)
    error_message = "compute_mode must be \"scheduled\" or \"service\"."
  }
}

variable "compute_schedule" {
  description = "EventBridge schedule expression for the compute run (compute_mode = \"scheduled\"). rate(N minutes|hours|days) gives the slot length passed as --interval; a cron(...) expression needs compute_interval_seconds."
  type        = string
  default     = "rate(10 minutes)"

  validation {
    condition     = can(regex("^rate\\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\\)$", var.compute_schedule)) || can(regex("^cron\\(.+\\)$", var.compute_schedule))
    error_message = "compute_schedule must be rate(N minutes|hours|days) or cron(...)."
  }
}

variable "compute_interval_seconds" {
  description = "Slot length in seconds passed to every compute task as --interval. Null: derived from a rate(...) compute_schedule (rate(10 minutes) = 600). Required with a cron(...) schedule and must match how often it fires, or runs are skipped as \"slot already done\"."
  type        = number
  default     = null

  validation {
    condition     = var.compute_interval_seconds == null ? true : (var.compute_interval_seconds >= 60 && var.compute_interval_seconds <= 86400)
    error_message = "compute_interval_seconds must be null or 60-86400."
  }
}

variable "aws_cli_image" {
  description = "Image with the AWS CLI used by the one-off load-urls task to fetch urls_csv_s3_uri (ECR Public: no Docker Hub rate limit). Pinned to a tag or digest."
  type        = string
  default     = "public.ecr.aws/aws-cli/aws-cli:2.15.30"

  validation {
    condition     = can(regex("^[^:@]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$", var.aws_cli_image)) && !endswith(var.aws_cli_image, ":latest")
    error_message = "aws_cli_image must be pinned to a tag other than latest, or to a digest."
  }
}

variable "compute_event_retry_attempts" {
  description = "EventBridge retries of a failed RunTask (capacity, throttling) before the event goes to the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.compute_event_retry_attempts >= 0 && var.compute_event_retry_attempts <= 185
    error_message = "compute_event_retry_attempts must be 0-185."
  }
}

variable "urls_csv_s3_uri" {
  description = "s3://bucket/key of a URL list CSV (header name,url[,regex]). When set, a one-off load-urls task definition is created that fetches it and loads it with `urlmon-compute --data-path` (docs/deployment.md); its task role may read only that object."
  type        = string
  default     = null

  validation {
    condition     = var.urls_csv_s3_uri == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$", var.urls_csv_s3_uri))
    error_message = "urls_csv_s3_uri must be null or s3://bucket/key."
  }
}

variable "check_timeout_seconds" {
  description = "TIMEOUT: seconds a check of one monitored URL may take."
  type        = number
  default     = 10

  validation {
    condition     = var.check_timeout_seconds >= 1 && var.check_timeout_seconds <= 300
    error_message = "check_timeout_seconds must be 1-300."
  }
}

variable "check_concurrency" {
  description = "CONCURRENCY: checks in flight at once in one compute task."
  type        = number
  default     = 1000

  validation {
    condition     = var.check_concurrency >= 1 && var.check_concurrency <= 50000
    error_message = "check_concurrency must be 1-50000."
  }
}

variable "retention_days" {
  description = "RETENTION_DAYS: days raw check results are kept."
  type        = number
  default     = 35

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 3650
    error_message = "retention_days must be 1-3650."
  }
}

variable "rollup_retention_days" {
  description = "ROLLUP_RETENTION_DAYS: days hourly/daily rollups are kept."
  type        = number
  default     = 400

  validation {
    condition     = var.rollup_retention_days >= 31 && var.rollup_retention_days <= 36500
    error_message = "rollup_retention_days must be 31-36500."
  }
}

variable "run_one_off_tasks_on_apply" {
  description = "When true, `terraform apply` runs the one-off ECS tasks itself (db-bootstrap when the database or its task definition changes, migrate whenever the migrate task definition changes, i.e. on every new image) and waits for them, before it updates the API service and the compute schedule. Needs bash and the AWS CLI where Terraform runs. When false, run them by hand (docs/deployment.md)."
  type        = bool
  default     = true
}

# -----------------------------------------------------------------------------
# RDS MySQL
# -----------------------------------------------------------------------------

variable "db_engine_version" {
  description = "RDS MySQL engine version: 8.4 (LTS, the default) or 8.0 (past standard support: a new 8.0 instance lands in paid extended support). A major version alone lets RDS pick and upgrade the minor version; the parameter group family (mysql8.4 / mysql8.0) follows."
  type        = string
  default     = "8.4"

  validation {
    condition     = can(regex("^8\\.(0|4)(\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be 8.4, 8.4.x, 8.0 or 8.0.x."
  }
}

variable "db_allow_major_version_upgrade" {
  description = "Let a change of db_engine_version's major version (8.0 -> 8.4) upgrade the running instance. Off by default: an existing 8.0 deployment keeps db_engine_version = \"8.0\" until the upgrade is planned (docs/deployment.md)."
  type        = bool
  default     = false
}

variable "db_ca_cert_identifier" {
  description = "RDS certificate authority of the instance's server certificate. urlmon verifies it (DB_TLS=1) against the RDS CA bundle in the image (/usr/share/urlmon/rds-ca-bundle.pem)."
  type        = string
  default     = "rds-ca-rsa2048-g1"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.small"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.db_instance_class))
    error_message = "db_instance_class must look like db.t4g.small."
  }
}

variable "db_allocated_storage" {
  description = "Initial RDS storage in GiB (gp3)."
  type        = number
  default     = 20

  validation {
    condition     = var.db_allocated_storage >= 20 && var.db_allocated_storage <= 65536
    error_message = "db_allocated_storage must be 20-65536 GiB."
  }
}

variable "db_max_allocated_storage" {
  description = "Upper limit in GiB for RDS storage autoscaling (0 disables it)."
  type        = number
  default     = 100

  validation {
    condition     = var.db_max_allocated_storage == 0 || var.db_max_allocated_storage >= 20
    error_message = "db_max_allocated_storage must be 0 (off) or at least 20 GiB."
  }
}

variable "db_name" {
  description = "Name of the MySQL database urlmon uses (DB_NAME)."
  type        = string
  default     = "urlmon"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,63}$", var.db_name))
    error_message = "db_name must be lower-case letters, digits and '_', starting with a letter."
  }
}

variable "db_master_username" {
  description = "RDS master user. Its password is generated and kept in Secrets Manager by RDS itself (manage_master_user_password); urlmon never uses this user."
  type        = string
  default     = "urlmon_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.db_master_username)) && !contains(["admin", "root", "rdsadmin"], var.db_master_username)
    error_message = "db_master_username must be 1-16 lower-case letters, digits, '_', and not a reserved name."
  }
}

variable "db_api_username" {
  description = "MySQL user of urlmon-api (SELECT, UPDATE on the database)."
  type        = string
  default     = "urlmon_api"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,31}$", var.db_api_username))
    error_message = "db_api_username must be lower-case letters, digits and '_' (at most 32)."
  }
}

variable "db_compute_username" {
  description = "MySQL user of urlmon-compute and migrate (DML + DDL on the database)."
  type        = string
  default     = "urlmon_compute"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,31}$", var.db_compute_username))
    error_message = "db_compute_username must be lower-case letters, digits and '_' (at most 32)."
  }
}

variable "db_multi_az" {
  description = "Run RDS as a Multi-AZ deployment (standby in another AZ)."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated RDS backups to keep (backups are always on, so at least 1)."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be 1-35."
  }
}

variable "db_deletion_protection" {
  description = "Protect the RDS instance from deletion (turn off, apply, then destroy)."
  type        = bool
  default     = true
}

variable "db_skip_final_snapshot" {
  description = "Skip the final snapshot when the RDS instance is destroyed. Leave false for anything holding real data."
  type        = bool
  default     = false
}

variable "db_apply_immediately" {
  description = "Apply RDS modifications immediately instead of in the next maintenance window."
  type        = bool
  default     = false
}

variable "db_client_image" {
  description = "Image with the mariadb command-line client used by the one-off db-bootstrap task that creates the two urlmon MySQL users (ECR Public mirror of the Docker official image by default, so no Docker Hub rate limit applies)."
  type        = string
  default     = "public.ecr.aws/docker/library/mariadb:10.11"

  validation {
    condition     = can(regex("^[^:@]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$", var.db_client_image)) && !endswith(var.db_client_image, ":latest")
    error_message = "db_client_image must be pinned to a tag other than latest, or to a digest."
  }
}

# -----------------------------------------------------------------------------
# ElastiCache Redis
# -----------------------------------------------------------------------------

variable "redis_engine_version" {
  description = "ElastiCache Redis engine version (7.x)."
  type        = string
  default     = "7.1"

  validation {
    condition     = can(regex("^7\\.[0-9]+$", var.redis_engine_version))
    error_message = "redis_engine_version must be 7.x."
  }
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.micro"

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.redis_node_type))
    error_message = "redis_node_type must look like cache.t4g.micro."
  }
}

variable "redis_num_cache_clusters" {
  description = "Nodes in the Redis replication group (1 primary + N-1 replicas). 2 or more turns on automatic failover and Multi-AZ."
  type        = number
  default     = 2

  validation {
    condition     = var.redis_num_cache_clusters >= 1 && var.redis_num_cache_clusters <= 6
    error_message = "redis_num_cache_clusters must be 1-6."
  }
}

variable "redis_transit_encryption_enabled" {
  description = "ElastiCache in-transit (TLS) encryption, and with it AUTH (ElastiCache accepts an auth token only with TLS). BLOCKED, so only false is accepted: urlmon links Debian 12's hiredis 0.14, which has no hiredis_ssl, so with TLS on no urlmon task could connect to Redis. It opens when urlmon gains CACHE_TLS (hiredis >= 1.0). Redis stays in private subnets behind a security group that admits only the urlmon tasks; at-rest encryption is always on."
  type        = bool
  default     = false

  validation {
    condition     = var.redis_transit_encryption_enabled == false
    error_message = "redis_transit_encryption_enabled = true would lock urlmon out of Redis: its hiredis 0.14 (Debian 12) has no TLS. See docs/deployment.md, \"Redis TLS\"."
  }
}

# -----------------------------------------------------------------------------
# ECR, logs, cluster
# -----------------------------------------------------------------------------

variable "ecr_keep_images" {
  description = "How many tagged images each ECR repository keeps; older ones expire (untagged images expire after 7 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.ecr_keep_images >= 1 && var.ecr_keep_images <= 1000
    error_message = "ecr_keep_images must be 1-1000."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm SNS topic (each confirms once by mail). The topic ARN is an output; other subscribers (chat, paging) can be added to it."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@ ]+@[^@ ]+\\.[^@ ]+$", e))])
    error_message = "alarm_emails must be e-mail addresses."
  }
}

variable "create_ecs_service_linked_role" {
  description = "Create the ECS service-linked role (AWSServiceRoleForECS). An account that never used ECS lacks it, and the first cluster then fails once with \"Unable to assume the service linked role\". Set false where it already exists (IAM answers \"has been taken in this account\")."
  type        = bool
  default     = true
}

variable "container_insights" {
  description = "Enable CloudWatch Container Insights on the ECS cluster."
  type        = bool
  default     = true
}
