# Secrets Manager holds every credential; task definitions reference them in
# their `secrets` blocks, so no value ever appears as a plain environment
# variable, in the Terraform state or in the plan artifact.
#
# - RDS master password: generated, stored and rotated by RDS itself
#   (manage_master_user_password in rds.tf). Only the db-bootstrap task reads it.
# - MySQL passwords of the two urlmon users and API_TOKEN: the secrets are
#   created here *without a value*; the operator puts the value once
#   (docs/deployment.md), e.g. `openssl rand -hex 32`.

resource "aws_secretsmanager_secret" "db_api_password" {
  name                    = "${local.name}/mysql/${var.db_api_username}"
  description             = "urlmon: MySQL password of ${var.db_api_username} (DB_PASSWORD of urlmon-api). Letters and digits only."
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret" "db_compute_password" {
  name                    = "${local.name}/mysql/${var.db_compute_username}"
  description             = "urlmon: MySQL password of ${var.db_compute_username} (DB_PASSWORD of urlmon-compute and migrate). Letters and digits only."
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret" "api_token" {
  count = var.api_token_enabled ? 1 : 0

  name                    = "${local.name}/api-token"
  description             = "urlmon: API_TOKEN, the Bearer token POST/DELETE on urlmon-api require."
  recovery_window_in_days = 7
}
