# The CloudTrail log bucket, created only with the trail. With create_trail = false the existing bucket is an
# input and only the notification below is attached to it.

resource "aws_s3_bucket" "trail" {
  #checkov:skip=CKV_AWS_144:Cross-region replication needs a second bucket and key in another region; keep a copy with an organization log-archive account or an S3 replication rule owned by that account.
  count = var.create_trail ? 1 : 0

  bucket        = local.created_bucket_name
  force_destroy = var.bucket_force_destroy

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "trail" {
  count = var.create_trail ? 1 : 0

  bucket                  = aws_s3_bucket.trail[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "trail" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "trail" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
  }
}

resource "aws_s3_bucket_logging" "trail" {
  count = var.create_trail && var.access_log_bucket_name != null ? 1 : 0

  bucket        = aws_s3_bucket.trail[0].id
  target_bucket = var.access_log_bucket_name
  target_prefix = "s3-access/${local.created_bucket_name}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "trail" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id

  rule {
    id     = "cloudtrail-logs"
    status = "Enabled"

    # The whole bucket: it holds nothing but the trail's log and digest files.
    filter {}

    dynamic "transition" {
      for_each = var.log_archive_days > 0 ? [var.log_archive_days] : []

      content {
        days          = transition.value
        storage_class = "GLACIER_IR"
      }
    }

    dynamic "expiration" {
      for_each = var.log_expiration_days > 0 ? [var.log_expiration_days] : []

      content {
        days = expiration.value
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.trail]

  lifecycle {
    precondition {
      condition     = var.log_expiration_days == 0 || var.log_archive_days == 0 || var.log_expiration_days > var.log_archive_days
      error_message = "log_expiration_days must be greater than log_archive_days (or either of them 0)."
    }
  }
}

resource "aws_s3_bucket_policy" "trail" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  policy = data.aws_iam_policy_document.bucket[0].json

  # Putting a policy while the public access block is still being applied fails intermittently.
  depends_on = [aws_s3_bucket_public_access_block.trail]
}

data "aws_iam_policy_document" "bucket" {
  count = var.create_trail ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.trail[0].arn, "${aws_s3_bucket.trail[0].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "CloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.trail[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid     = "CloudTrailWrite"
    actions = ["s3:PutObject"]
    # An organization trail also writes every member account's logs under AWSLogs/<org-id>/.
    resources = concat(
      ["${aws_s3_bucket.trail[0].arn}/AWSLogs/${local.account_id}/*"],
      local.org_trail ? ["${aws_s3_bucket.trail[0].arn}/AWSLogs/${data.aws_organizations_organization.this[0].id}/*"] : [],
    )

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }
}

# S3 -> Lambda. A bucket has exactly one notification configuration and this resource owns all of it: set
# create_bucket_notification = false when an existing bucket already sends its events elsewhere.
resource "aws_s3_bucket_notification" "trail" {
  count = var.create_bucket_notification ? 1 : 0

  bucket = local.bucket_name

  lambda_function {
    id                  = "${var.name_prefix}-cloudtrail-log-files"
    lambda_function_arn = aws_lambda_function.alerter.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "AWSLogs/"
    filter_suffix       = ".json.gz"
  }

  depends_on = [aws_lambda_permission.s3]
}
