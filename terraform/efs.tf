# The compute spool on EFS: results that could not be written to MySQL wait here,
# not on the task's throwaway disk, so the shard's next task (a fresh disk, maybe
# another AZ) replays them. One directory per shard under the access point
# (SPOOL_DIR = /var/lib/urlmon/spool/<K>-of-<N>, compute.tf); a run that ends with
# batches still spooled exits 1 (compute/run.c), which alarms.tf reports.

resource "aws_efs_file_system" "spool" {
  creation_token   = "${local.name}-spool"
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  lifecycle_policy {
    transition_to_ia = "AFTER_30_DAYS"
  }

  tags = { Name = "${local.name}-spool" }
}

resource "aws_efs_backup_policy" "spool" {
  file_system_id = aws_efs_file_system.spool.id
  backup_policy {
    status = "ENABLED"
  }
}

# One mount target per private subnet (they are in different AZs).
resource "aws_efs_mount_target" "spool" {
  count = length(local.private_subnet_ids)

  file_system_id  = aws_efs_file_system.spool.id
  subnet_id       = local.private_subnet_ids[count.index]
  security_groups = [aws_security_group.efs.id]
}

# The image runs as uid/gid 10001 (Dockerfile); the access point pins that identity
# and roots it at /spool, created with the right owner on first use.
resource "aws_efs_access_point" "spool" {
  file_system_id = aws_efs_file_system.spool.id

  posix_user {
    uid = 10001
    gid = 10001
  }

  root_directory {
    path = "/spool"
    creation_info {
      owner_uid   = 10001
      owner_gid   = 10001
      permissions = "0750"
    }
  }

  tags = { Name = "${local.name}-spool" }
}

# Only TLS mounts through the access point, by the compute task role.
data "aws_iam_policy_document" "spool" {
  statement {
    sid       = "ComputeThroughTheAccessPoint"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.spool.arn]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.compute_task.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.spool.arn]
    }
  }
  statement {
    sid       = "DenyWithoutTls"
    effect    = "Deny"
    actions   = ["*"]
    resources = [aws_efs_file_system.spool.arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_efs_file_system_policy" "spool" {
  file_system_id = aws_efs_file_system.spool.id
  policy         = data.aws_iam_policy_document.spool.json
}
