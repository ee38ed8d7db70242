# RDS MySQL (8.4 LTS by default, 8.0 accepted) in the private subnets. TLS is
# required (require_secure_transport): urlmon connects with DB_TLS=1 and verifies the
# server certificate against the RDS CA bundle in the image. The master password is generated and
# kept in Secrets Manager by RDS (manage_master_user_password); urlmon itself
# connects as the two least-privilege users the db-bootstrap task creates
# (compute.tf, docs/deployment.md).

resource "aws_db_subnet_group" "this" {
  name        = "${local.name}-db"
  description = "urlmon RDS: private subnets"
  subnet_ids  = local.private_subnet_ids
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${local.name}-${replace(local.db_family, ".", "")}-"
  family      = local.db_family
  description = "urlmon ${local.db_family}: UTC, utf8mb4, TLS required"

  parameter {
    name  = "require_secure_transport"
    value = "1"
  }

  parameter {
    name  = "time_zone"
    value = "UTC"
  }

  parameter {
    name  = "character_set_server"
    value = "utf8mb4"
  }

  parameter {
    name  = "collation_server"
    value = "utf8mb4_unicode_ci"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  identifier     = "${local.name}-mysql"
  engine         = "mysql"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name                     = var.db_name
  username                    = var.db_master_username
  manage_master_user_password = true

  multi_az               = var.db_multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.rds.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name
  ca_cert_identifier     = var.db_ca_cert_identifier

  backup_retention_period = var.db_backup_retention_days
  backup_window           = "02:00-03:00"
  maintenance_window      = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot   = true

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = var.db_allow_major_version_upgrade
  apply_immediately           = var.db_apply_immediately
  deletion_protection         = var.db_deletion_protection
  skip_final_snapshot         = var.db_skip_final_snapshot
  final_snapshot_identifier   = var.db_skip_final_snapshot ? null : "${local.name}-mysql-final"
}
