# terraform test (no AWS account: the AWS provider is mocked, tests/mocks.tfmock.hcl).
# Each run proves one promise of issue 17 and fails when it is broken. `apply` runs
# create nothing real: every resource comes from the mock; one-off tasks are off.
#
#   cd terraform && terraform init -backend=false && terraform test
#   (scripts/static-checks.sh runs it where terraform and the provider are available)

mock_provider "aws" {
  source = "./tests"
}

variables {
  aws_region                 = "eu-west-1"
  image_tag                  = "0123456789abcdef0123456789abcdef01234567"
  create_network             = true
  certificate_arn            = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  run_one_off_tasks_on_apply = false
  compute_shards             = 7
  alarm_emails               = ["oncall@example.com"]
}

# ---- 1. a fresh account: the network is created ----------------------------------
run "create_network_builds_vpc_two_azs_nat_and_endpoints" {
  command = apply

  assert {
    condition     = length(aws_vpc.this) == 1 && length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2
    error_message = "create_network must create a VPC with two public and two private subnets"
  }
  assert {
    condition     = aws_subnet.private[0].availability_zone != aws_subnet.private[1].availability_zone && aws_subnet.public[0].availability_zone != aws_subnet.public[1].availability_zone
    error_message = "the subnets must span two availability zones"
  }
  assert {
    condition     = length(aws_nat_gateway.this) >= 1 && alltrue([for r in aws_route.private_nat : r.destination_cidr_block == "0.0.0.0/0"])
    error_message = "private subnets need a NAT route (compute checks public sites)"
  }
  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "logs", "secretsmanager", "elasticfilesystem"]) && length(aws_vpc_endpoint.s3) == 1
    error_message = "VPC endpoints for ECR, S3, CloudWatch Logs, Secrets Manager and EFS are missing"
  }
  assert {
    condition     = alltrue([for s in aws_ecs_service.api.network_configuration[0].subnets : contains(aws_subnet.private[*].id, s)]) && aws_ecs_service.api.network_configuration[0].assign_public_ip == false
    error_message = "API tasks must run in the created private subnets without public IPs"
  }
  assert {
    condition     = length(aws_vpc_security_group_egress_rule.api_https) == 0 && length(aws_vpc_security_group_egress_rule.api_endpoints) == 1
    error_message = "with the created network the API tasks reach AWS through the endpoints, not 0.0.0.0/0"
  }
}

run "bring_your_own_subnets_still_works" {
  command = plan

  variables {
    create_network     = false
    vpc_id             = "vpc-0123456789abcdef0"
    public_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  }

  assert {
    condition     = length(aws_vpc.this) == 0 && length(aws_nat_gateway.this) == 0
    error_message = "no network may be created when subnets are given"
  }
  assert {
    condition     = aws_ecs_service.api.network_configuration[0].subnets == toset(["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"])
    error_message = "the API must run in the given private subnets"
  }
}

run "neither_network_nor_subnets_is_refused" {
  command = plan
  variables {
    create_network = false
  }
  expect_failures = [aws_lb.api]
}

# ---- 2. the ECS service-linked role ------------------------------------------------
run "service_linked_role_is_created_before_the_cluster" {
  command = plan
  assert {
    condition     = length(aws_iam_service_linked_role.ecs) == 1 && aws_iam_service_linked_role.ecs[0].aws_service_name == "ecs.amazonaws.com"
    error_message = "the ECS service-linked role must be created on a fresh account"
  }
}

# ---- 4. HTTPS by default, plain HTTP only as an explicit opt-out ------------------
run "https_is_the_default_and_80_redirects" {
  command = apply

  assert {
    condition     = length(aws_lb_listener.https) == 1 && aws_lb_listener.https[0].protocol == "HTTPS"
    error_message = "port 443 must serve HTTPS"
  }
  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "redirect" && aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS"
    error_message = "port 80 must only redirect to HTTPS"
  }
  assert {
    condition     = alltrue([for r in aws_lb_listener_rule.public : r.listener_arn == aws_lb_listener.https[0].arn])
    error_message = "the API must be forwarded only on the HTTPS listener"
  }
}

run "no_certificate_without_opt_out_is_refused" {
  command = plan
  variables {
    certificate_arn = null
  }
  expect_failures = [aws_lb.api]
}

run "plain_http_only_with_explicit_opt_out" {
  command = apply
  variables {
    certificate_arn  = null
    allow_plain_http = true
  }
  assert {
    condition     = length(aws_lb_listener.https) == 0 && alltrue([for r in aws_lb_listener_rule.public : r.listener_arn == aws_lb_listener.http.arn])
    error_message = "the opt-out serves the API on port 80"
  }
}

# ---- no 0.0.0.0/0 on anything but the ALB's HTTPS listener (and its redirect) ------
run "world_ingress_only_on_the_alb" {
  command = apply

  assert {
    condition     = alltrue([for r in aws_vpc_security_group_ingress_rule.alb_https : r.from_port == 443 && r.to_port == 443 && r.security_group_id == aws_security_group.alb.id])
    error_message = "HTTPS ingress must be the ALB's port 443 only"
  }
  assert {
    # Port 80 is open only because its listener redirects to 443.
    condition     = alltrue([for r in aws_vpc_security_group_ingress_rule.alb_http : r.from_port == 80 && r.security_group_id == aws_security_group.alb.id]) && aws_lb_listener.http.default_action[0].type == "redirect"
    error_message = "port 80 may be open to the world only to redirect to HTTPS"
  }
  assert {
    condition = alltrue(concat(
      [aws_vpc_security_group_ingress_rule.api_from_alb.cidr_ipv4 == null],
      [for r in aws_vpc_security_group_ingress_rule.rds_from_tasks : r.cidr_ipv4 == null],
      [for r in aws_vpc_security_group_ingress_rule.redis_from_tasks : r.cidr_ipv4 == null],
      [aws_vpc_security_group_ingress_rule.efs_from_compute.cidr_ipv4 == null],
      [for r in aws_vpc_security_group_ingress_rule.endpoints_https : r.cidr_ipv4 == var.network_cidr],
    ))
    error_message = "API tasks, RDS, Redis, EFS and the endpoints admit only security groups or the VPC, never a CIDR like 0.0.0.0/0"
  }
  assert {
    condition     = aws_db_instance.this.publicly_accessible == false
    error_message = "RDS must not be publicly accessible"
  }
}

# ---- 6. internals stay inside: the ALB forwards only public routes ------------------
run "alb_forwards_only_public_routes" {
  command = apply

  assert {
    condition     = aws_lb_listener.https[0].default_action[0].type == "fixed-response" && aws_lb_listener.https[0].default_action[0].fixed_response[0].status_code == "404"
    error_message = "anything not public must get a 404 from the ALB"
  }
  assert {
    condition = length(setintersection(
      toset(flatten([for r in aws_lb_listener_rule.public : tolist(r.condition)[0].path_pattern[0].values])),
      toset(["/metrics", "/status", "/healthz", "/openapi.json", "/*", "/metrics*", "/status*"]),
    )) == 0
    error_message = "/metrics, /status, /healthz and /openapi.json must not be forwarded"
  }
  assert {
    condition     = contains(flatten([for r in aws_lb_listener_rule.public : tolist(r.condition)[0].path_pattern[0].values]), "/urls/*")
    error_message = "the public API (/urls/*) must be forwarded"
  }
  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.api.container_definitions)[0].environment, { name = "METRICS_PORT", value = "9100" })
    error_message = "urlmon-api must serve /metrics on its own port (METRICS_PORT), off the ALB's"
  }
}

# ---- 9. health: the ALB and the container check liveness, not dependencies --------
run "health_checks_probe_liveness" {
  command = apply

  assert {
    condition     = aws_lb_target_group.api.health_check[0].path == "/healthz"
    error_message = "the ALB health check must probe the liveness route /healthz (never /status, which fails with a database)"
  }
  assert {
    condition     = strcontains(join(" ", jsondecode(aws_ecs_task_definition.api.container_definitions)[0].healthCheck.command), ":8000/healthz")
    error_message = "the container health check must probe /healthz"
  }
}

# ---- secrets only from Secrets Manager ------------------------------------------------
run "secrets_only_from_secrets_manager" {
  command = apply

  assert {
    condition = alltrue(flatten([for td in [aws_ecs_task_definition.api, aws_ecs_task_definition.compute, aws_ecs_task_definition.migrate] : [
      for c in jsondecode(td.container_definitions) : [
        for s in c.secrets : startswith(s.valueFrom, "arn:aws:secretsmanager:")
      ]
    ]]))
    error_message = "every secret must come from Secrets Manager"
  }
  assert {
    condition = alltrue(flatten([for td in [aws_ecs_task_definition.api, aws_ecs_task_definition.compute, aws_ecs_task_definition.migrate] : [
      for c in jsondecode(td.container_definitions) : [
        for e in c.environment : !contains(["DB_PASSWORD", "API_TOKEN", "CACHE_PASSWORD"], e.name)
      ]
    ]]))
    error_message = "no secret may be a plain environment variable"
  }
  assert {
    condition     = contains([for s in jsondecode(aws_ecs_task_definition.api.container_definitions)[0].secrets : s.name], "DB_PASSWORD") && contains([for s in jsondecode(aws_ecs_task_definition.api.container_definitions)[0].secrets : s.name], "API_TOKEN")
    error_message = "the API gets DB_PASSWORD and API_TOKEN as secrets"
  }
}

# ---- 5. TLS to MySQL; Redis TLS refused while urlmon cannot speak it ----------------
run "mysql_requires_tls_and_urlmon_verifies_it" {
  command = apply

  assert {
    condition     = contains([for p in aws_db_parameter_group.this.parameter : "${p.name}=${p.value}"], "require_secure_transport=1")
    error_message = "RDS must require secure transport"
  }
  assert {
    condition = alltrue([for td in [aws_ecs_task_definition.api, aws_ecs_task_definition.compute, aws_ecs_task_definition.migrate] :
      contains(jsondecode(td.container_definitions)[0].environment, { name = "DB_TLS", value = "1" }) &&
    contains(jsondecode(td.container_definitions)[0].environment, { name = "DB_TLS_CA", value = "/usr/share/urlmon/rds-ca-bundle.pem" })])
    error_message = "every urlmon container must connect with DB_TLS=1 and the RDS CA bundle"
  }
}

run "redis_tls_is_refused_until_urlmon_speaks_it" {
  command = plan
  variables {
    redis_transit_encryption_enabled = true
  }
  expect_failures = [var.redis_transit_encryption_enabled]
}

# ---- 7. MySQL 8.4 LTS ---------------------------------------------------------------
run "mysql_84_is_the_default" {
  command = plan
  assert {
    condition     = aws_db_instance.this.engine_version == "8.4" && aws_db_parameter_group.this.family == "mysql8.4"
    error_message = "MySQL 8.4 LTS must be the default, with the mysql8.4 parameter group family"
  }
}

run "mysql_80_still_accepted" {
  command = plan
  variables {
    db_engine_version = "8.0"
  }
  assert {
    condition     = aws_db_parameter_group.this.family == "mysql8.0"
    error_message = "8.0 must map to the mysql8.0 family"
  }
}

run "mysql_57_is_refused" {
  command = plan
  variables {
    db_engine_version = "5.7"
  }
  expect_failures = [var.db_engine_version]
}

# ---- 10/11/12. one target per shard, explicit interval, durable spool, retry + DLQ ---
run "one_target_per_shard_with_interval_spool_retry_and_dlq" {
  command = apply

  assert {
    condition     = length(aws_cloudwatch_event_target.compute_shard) == 7 && length(aws_cloudwatch_event_rule.compute) == 2
    error_message = "7 shards need 7 targets over 2 rules (at most 5 targets per rule)"
  }
  assert {
    condition = [for t in aws_cloudwatch_event_target.compute_shard : jsondecode(t.input).containerOverrides[0].command] == [
      for k in range(7) : ["--shard", "${k}/7", "--interval", "600"]
    ]
    error_message = "target K must pass --shard K/7 and the schedule's interval (--interval 600 for rate(10 minutes))"
  }
  assert {
    condition     = length(distinct([for t in aws_cloudwatch_event_target.compute_shard : jsondecode(t.input).containerOverrides[0].environment[0].value])) == 7 && alltrue([for t in aws_cloudwatch_event_target.compute_shard : startswith(jsondecode(t.input).containerOverrides[0].environment[0].value, "/var/lib/urlmon/spool/")])
    error_message = "each shard must spool into its own directory on the EFS mount"
  }
  assert {
    condition     = one(aws_ecs_task_definition.compute.volume).efs_volume_configuration[0].file_system_id == aws_efs_file_system.spool.id && one(aws_ecs_task_definition.compute.volume).efs_volume_configuration[0].transit_encryption == "ENABLED"
    error_message = "the compute spool must be on EFS (TLS mounts)"
  }
  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.compute.container_definitions)[0].mountPoints, { sourceVolume = "spool", containerPath = "/var/lib/urlmon/spool", readOnly = false })
    error_message = "the compute container must mount the spool volume at SPOOL_DIR"
  }
  assert {
    condition     = alltrue([for t in aws_cloudwatch_event_target.compute_shard : t.retry_policy[0].maximum_retry_attempts >= 1 && t.dead_letter_config[0].arn == aws_sqs_queue.compute_dlq.arn])
    error_message = "every EventBridge target needs a retry policy and the dead-letter queue"
  }
}

run "interval_follows_the_schedule" {
  command = apply
  variables {
    compute_schedule = "rate(2 hours)"
    compute_shards   = 1
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_target.compute_shard[0].input).containerOverrides[0].command == ["--shard", "0/1", "--interval", "7200"]
    error_message = "rate(2 hours) must pass --interval 7200"
  }
}

run "cron_needs_an_explicit_interval" {
  command = plan
  variables {
    compute_schedule = "cron(0/15 * * * ? *)"
  }
  expect_failures = [aws_cloudwatch_event_rule.compute]
}

# ---- 12. alarms and their topic ---------------------------------------------------------
run "alarms_go_to_sns" {
  command = apply

  assert {
    condition = alltrue([for a in [
      aws_cloudwatch_metric_alarm.compute_no_success, aws_cloudwatch_metric_alarm.compute_dlq,
      aws_cloudwatch_metric_alarm.api_5xx_rate, aws_cloudwatch_metric_alarm.alb_unhealthy_hosts,
      aws_cloudwatch_metric_alarm.rds_cpu, aws_cloudwatch_metric_alarm.rds_storage,
    ] : contains(a.alarm_actions, aws_sns_topic.alarms.arn)])
    error_message = "every alarm must notify the SNS topic"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.redis_memory) == 2 && length(aws_cloudwatch_metric_alarm.redis_evictions) == 2
    error_message = "Redis memory and eviction alarms on each node"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.compute_no_success.period * aws_cloudwatch_metric_alarm.compute_no_success.evaluation_periods == 1200 && aws_cloudwatch_metric_alarm.compute_no_success.treat_missing_data == "breaching"
    error_message = "no successful run in two slots (2 x 600 s) must alarm, silence included"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.compute_failed.event_pattern).detail.containers.exitCode == [{ "anything-but" = 0 }] && aws_cloudwatch_event_target.compute_failed.arn == aws_sns_topic.alarms.arn
    error_message = "a compute task exiting non-zero must reach the SNS topic"
  }
  assert {
    condition     = length(aws_sns_topic_subscription.alarm_email) == 1
    error_message = "alarm_emails must be subscribed"
  }
}

# ---- 13. the URL list from S3 ---------------------------------------------------------
run "load_urls_from_s3" {
  command = apply
  variables {
    urls_csv_s3_uri = "s3://my-bucket/lists/urls.csv"
  }
  assert {
    condition     = [for c in jsondecode(aws_ecs_task_definition.load_urls[0].container_definitions) : c.command] == [["s3", "cp", "--only-show-errors", "s3://my-bucket/lists/urls.csv", "/data/urls.csv"], ["--data-path", "/data/urls.csv", "--shard", "0/7", "--interval", "600"]]
    error_message = "load-urls must fetch the CSV, then load it with --data-path"
  }
  assert {
    condition     = data.aws_iam_policy_document.load_urls_task[0].statement[0].resources == toset(["arn:aws:s3:::my-bucket/lists/urls.csv"])
    error_message = "the load task may read that one object only"
  }
}

# ---- 14. task definitions are kept --------------------------------------------------
run "task_definitions_are_kept" {
  command = plan
  variables {
    urls_csv_s3_uri = "s3://my-bucket/urls.csv"
  }
  assert {
    condition = alltrue([
      aws_ecs_task_definition.api.skip_destroy, aws_ecs_task_definition.compute.skip_destroy,
      aws_ecs_task_definition.migrate.skip_destroy, aws_ecs_task_definition.db_bootstrap.skip_destroy,
      aws_ecs_task_definition.load_urls[0].skip_destroy,
    ])
    error_message = "every task definition needs skip_destroy: old revisions stay ACTIVE for rollbacks and targets"
  }
}

# ---- 17. compute as a service: one ECS service per shard ----------------------------
run "service_mode_runs_one_service_per_shard" {
  command = apply
  variables {
    compute_mode   = "service"
    compute_shards = 3
  }
  assert {
    condition     = length(aws_ecs_service.compute) == 3 && alltrue([for s in aws_ecs_service.compute : s.desired_count == 1])
    error_message = "service mode needs one service per shard with desired count 1"
  }
  assert {
    condition = [for td in aws_ecs_task_definition.compute_service : jsondecode(td.container_definitions)[0].command] == [
      for k in range(3) : ["--service", "--shard", "${k}/3", "--interval", "600"]
    ]
    error_message = "shard K's service must run urlmon-compute --service --shard K/3 --interval 600"
  }
  assert {
    condition     = length(aws_cloudwatch_event_target.compute_shard) == 0 && length(aws_cloudwatch_event_rule.compute) == 0
    error_message = "service mode must not also schedule runs"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.compute_service_running) == 3 && alltrue([for td in aws_ecs_task_definition.compute_service : one(td.volume).efs_volume_configuration[0].file_system_id == aws_efs_file_system.spool.id]) && contains(jsondecode(aws_cloudwatch_event_rule.compute_failed.event_pattern).detail.group, { prefix = "service:urlmon-compute" })
    error_message = "each shard service needs the durable spool, a liveness alarm, and its failed tasks reported"
  }
}
