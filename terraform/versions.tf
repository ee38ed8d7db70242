terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Remote state. Values are given at init time so that no account-specific
  # names live in the repository, e.g.:
  #   terraform init \
  #     -backend-config="bucket=my-tf-state" \
  #     -backend-config="key=urlmon/production.tfstate" \
  #     -backend-config="region=eu-west-1" \
  #     -backend-config="dynamodb_table=my-tf-locks" \
  #     -backend-config="encrypt=true"
  # For purely local experiments: terraform init -backend=false
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}
