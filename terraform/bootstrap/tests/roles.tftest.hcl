# terraform test of the bootstrap roles (mocked AWS provider, no account).
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
  }
}

variables {
  aws_region        = "eu-west-1"
  github_repository = "example/urlmon"
  state_bucket      = "example-urlmon-tf-state"
}

# Item 3: a first apply (Multi-AZ RDS: 15-40 min) outlives a one-hour session.
run "deploy_session_outlasts_a_first_apply" {
  command = plan
  assert {
    condition     = aws_iam_role.deploy.max_session_duration >= 7200
    error_message = "the deploy role's session must last at least 2 hours"
  }
}

run "a_one_hour_session_is_refused" {
  command = plan
  variables {
    deploy_max_session_seconds = 3600
  }
  expect_failures = [var.deploy_max_session_seconds]
}

# Item 2: the deploy role may create the service-linked roles a fresh account lacks.
run "deploy_role_may_create_service_linked_roles" {
  command = plan
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.deploy.statement :
      contains(s.actions, "iam:CreateServiceLinkedRole") && contains(flatten([for c in s.condition : c.values if c.variable == "iam:AWSServiceName"]), "ecs.amazonaws.com")
    ])
    error_message = "the deploy role needs iam:CreateServiceLinkedRole for ecs.amazonaws.com"
  }
}

# Item 8: plan reads, apply writes, and only apply runs in the production environment.
run "plan_role_is_read_only" {
  command = plan
  assert {
    condition     = aws_iam_role_policy_attachment.plan_read_only.policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    error_message = "the plan role must carry ReadOnlyAccess"
  }
  assert {
    condition = alltrue(flatten([for s in data.aws_iam_policy_document.plan.statement : [
      for a in s.actions : s.effect == "Deny" || contains(["s3:GetObject", "s3:ListBucket", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable"], a)
    ]]))
    error_message = "the plan role may add only state reads and the state lock to ReadOnlyAccess"
  }
  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.plan.statement : s.effect == "Deny" && contains(s.actions, "secretsmanager:GetSecretValue")])
    error_message = "the plan role must be denied secret values"
  }
}

run "only_the_production_environment_may_deploy" {
  command = plan
  assert {
    condition = toset(flatten([for c in one(data.aws_iam_policy_document.trust["deploy"].statement).condition : c.values if c.variable == "token.actions.githubusercontent.com:sub"])) == toset([
      "repo:example/urlmon:environment:production"
    ])
    error_message = "the deploy role must trust only the production environment of this repository"
  }
  assert {
    condition     = !anytrue([for v in flatten([for c in one(data.aws_iam_policy_document.trust["plan"].statement).condition : c.values if c.variable == "token.actions.githubusercontent.com:sub"]) : strcontains(v, "environment:")])
    error_message = "the plan role must not be the production environment's"
  }
}
