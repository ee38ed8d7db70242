output "role_arns" {
  description = "Put these in the repository variables AWS_IMAGES_ROLE_ARN, AWS_PLAN_ROLE_ARN and AWS_DEPLOY_ROLE_ARN."
  value = {
    AWS_IMAGES_ROLE_ARN = aws_iam_role.images.arn
    AWS_PLAN_ROLE_ARN   = aws_iam_role.plan.arn
    AWS_DEPLOY_ROLE_ARN = aws_iam_role.deploy.arn
  }
}

output "state" {
  description = "TF_STATE_BUCKET and TF_LOCK_TABLE for the repository variables and terraform init."
  value = {
    TF_STATE_BUCKET = aws_s3_bucket.state.bucket
    TF_LOCK_TABLE   = aws_dynamodb_table.lock.name
  }
}

output "deploy_max_session_seconds" {
  description = "Session length the apply job may ask for (DEPLOY_SESSION_SECONDS)."
  value       = aws_iam_role.deploy.max_session_duration
}
