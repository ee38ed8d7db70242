variable "aws_region" {
  description = "Region of the state bucket, the lock table and the urlmon stack."
  type        = string
}

variable "name" {
  description = "The urlmon stack's name prefix (var.name of the main configuration); the roles may manage only roles called <name>-*."
  type        = string
  default     = "urlmon"
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflows may assume the roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "state_bucket" {
  description = "Name of the S3 bucket created for the main configuration's state (globally unique)."
  type        = string
}

variable "lock_table" {
  description = "Name of the DynamoDB table created for state locking."
  type        = string
  default     = "urlmon-terraform-locks"
}

variable "create_oidc_provider" {
  description = "Create GitHub's OIDC identity provider; false when the account already has one (it exists once per account)."
  type        = bool
  default     = true
}

variable "deploy_max_session_seconds" {
  description = "Longest session of the deploy role, and what the apply job asks for. A first apply with Multi-AZ RDS takes 15-40 minutes plus ECS, ALB and the one-off tasks: at least 2 hours."
  type        = number
  default     = 14400

  validation {
    condition     = var.deploy_max_session_seconds >= 7200 && var.deploy_max_session_seconds <= 43200
    error_message = "deploy_max_session_seconds must be 7200-43200 (IAM's maximum is 12 hours)."
  }
}
