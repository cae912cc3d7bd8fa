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

# Optional Object Lock (governance mode): a default retention on every new object version. Enabled here on the
# versioned bucket (PutObjectLockConfiguration accepts existing buckets), not with aws_s3_bucket's
# object_lock_enabled, which would replace the bucket (and lose its logs) when switched on later. One-way: S3
# never disables Object Lock on a bucket again.
resource "aws_s3_bucket_object_lock_configuration" "trail" {
  count = var.create_trail && var.object_lock_retention_days > 0 ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id

  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = var.object_lock_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.trail]
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

    # Log, digest and Insights files only (<s3_key_prefix>/AWSLogs/…): never the rules file beside them, whose
    # expiry would stop every cold start.
    filter {
      prefix = local.log_prefix
    }

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
  }

  #### Athena results and the findings archive (athena.tf, archive.tf) ####
  # Query results are re-creatable copies: they expire after a week by default. The log rule above filters on
  # <s3_key_prefix>/AWSLogs/ and never reaches athena-results/ or the archive's prefix.
  dynamic "rule" {
    for_each = var.enable_athena && var.athena_results_bucket_name == null ? [var.athena_results_expiration_days] : []

    content {
      id     = "athena-results"
      status = "Enabled"

      filter {
        prefix = "athena-results/"
      }

      expiration {
        days = rule.value
      }

      noncurrent_version_expiration {
        noncurrent_days = 1
      }
    }
  }

  dynamic "rule" {
    for_each = var.enable_findings_archive && var.findings_archive_bucket_name == null && var.findings_archive_expiration_days > 0 ? [var.findings_archive_expiration_days] : []

    content {
      id     = "findings-archive"
      status = "Enabled"

      filter {
        prefix = var.findings_archive_prefix
      }

      expiration {
        days = rule.value
      }

      noncurrent_version_expiration {
        noncurrent_days = var.noncurrent_version_expiration_days
      }
    }
  }

  # Unfinished multipart uploads anywhere in the bucket (no completed object, the rules file included, is touched).
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

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

  source_policy_documents = [data.aws_iam_policy_document.bucket_state[0].json]

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
      ["${aws_s3_bucket.trail[0].arn}/${local.log_prefix}${local.account_id}/*"],
      local.org_trail ? ["${aws_s3_bucket.trail[0].arn}/${local.log_prefix}${data.aws_organizations_organization.this[0].id}/*"] : [],
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

  # Only CloudTrail writes log files: a forged file (or a forged version of a delivered one) written by anyone
  # else, administrators included, is refused. "Not the CloudTrail service" is aws:PrincipalServiceName, which
  # AWS puts in the request context only when a service principal makes the call (CloudTrail delivering with
  # its service principal, as the Allow above grants); for an IAM user, role or root the key is absent. A negated
  # operator on an absent key is true, and the IfExists form says so explicitly: every caller without the key
  # (all IAM identities) and every other service is denied. aws:PrincipalIsAWSService would let every AWS
  # service through, and aws:SourceArn alone is absent for identities in the same way, so neither says "only
  # CloudTrail" as directly.
  statement {
    sid       = "DenyLogWritesExceptCloudTrail"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.trail[0].arn}/${local.log_prefix}*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "aws:PrincipalServiceName"
      values   = ["cloudtrail.amazonaws.com"]
    }
  }

  # Delivered log files stay: only the administrator principals (local.administrator_arns, the key
  # administrators, who run Terraform: bucket_force_destroy empties the bucket as them) may delete a version.
  # Lifecycle expiry is S3 itself and not subject to this policy.
  statement {
    sid       = "DenyLogDeletesExceptAdministrators"
    effect    = "Deny"
    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    resources = ["${aws_s3_bucket.trail[0].arn}/${local.log_prefix}*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.administrator_arns
    }
  }

  # The rules file: written by Terraform (as an administrator) and by nobody else. Its writes are also data
  # events of the trail (trail.tf), and the function refuses a file whose SHA-256 differs.
  statement {
    sid       = "DenyRulesFileWritesExceptAdministrators"
    effect    = "Deny"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]
    resources = ["${aws_s3_bucket.trail[0].arn}/${local.rules_config_key}"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.administrator_arns
    }
  }

  # The bucket settings that can blind the pipeline: its notification (PutBucketNotificationConfiguration is
  # authorised as s3:PutBucketNotification), policy, lifecycle (DeleteBucketLifecycle is
  # s3:PutLifecycleConfiguration too), versioning, Object Lock, default encryption, replication (a copy of every
  # log file to a bucket elsewhere), ownership controls (ACLs back on), the public access block, and the bucket.
  # Terraform must run as one of the administrator principals to manage them. Break-glass: the root user of the
  # bucket's account can always Get/Put/DeleteBucketPolicy, even when the policy denies it (an S3 safeguard;
  # only an SCP or a VPC endpoint policy can stop it), so a policy that locks every administrator out can be
  # replaced by the root user.
  statement {
    sid    = "DenyBucketConfigurationChangesExceptAdministrators"
    effect = "Deny"
    actions = [
      "s3:PutBucketNotification",
      "s3:PutBucketPolicy",
      "s3:DeleteBucketPolicy",
      "s3:PutLifecycleConfiguration",
      "s3:PutBucketVersioning",
      "s3:PutBucketObjectLockConfiguration",
      "s3:PutEncryptionConfiguration",
      "s3:PutReplicationConfiguration",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketPublicAccessBlock",
      "s3:DeleteBucket",
    ]
    resources = [aws_s3_bucket.trail[0].arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.administrator_arns
    }
  }
}

# The findings archive and the Athena query results, when they are in the created log bucket, protected as the logs
# are. The archive: only the function's role writes it (a forged finding line) and only the administrators delete
# from it. Query results: only Athena writes them (aws:CalledVia: Athena writes results with the caller's forward
# access session, so a result object written by a direct PutObject is refused; ForAllValues over an absent key is
# true, so a call not made through any service is denied), and only the administrators delete them (the lifecycle
# rule expires them; that is S3 itself and not subject to the policy).
data "aws_iam_policy_document" "bucket_state" {
  count = var.create_trail ? 1 : 0

  dynamic "statement" {
    for_each = var.enable_findings_archive && var.findings_archive_bucket_name == null ? [1] : []

    content {
      sid       = "DenyArchiveWritesExceptAlerter"
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.trail[0].arn}/${var.findings_archive_prefix}*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "ArnNotEquals"
        variable = "aws:PrincipalArn"
        values   = [aws_iam_role.lambda.arn]
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_findings_archive && var.findings_archive_bucket_name == null ? [1] : []

    content {
      sid       = "DenyArchiveDeletesExceptAdministrators"
      effect    = "Deny"
      actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
      resources = ["${aws_s3_bucket.trail[0].arn}/${var.findings_archive_prefix}*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "ArnNotLike"
        variable = "aws:PrincipalArn"
        values   = local.administrator_arns
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_athena && var.athena_results_bucket_name == null ? [1] : []

    content {
      sid       = "DenyQueryResultWritesExceptAthena"
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.trail[0].arn}/${local.athena_results_prefix}*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "ForAllValues:StringNotEquals"
        variable = "aws:CalledVia"
        values   = ["athena.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_athena && var.athena_results_bucket_name == null ? [1] : []

    content {
      sid       = "DenyQueryResultDeletesExceptAdministrators"
      effect    = "Deny"
      actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
      resources = ["${aws_s3_bucket.trail[0].arn}/${local.athena_results_prefix}*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "ArnNotLike"
        variable = "aws:PrincipalArn"
        values   = local.administrator_arns
      }
    }
  }
}

# S3 -> Lambda. A bucket has exactly one notification configuration and this resource owns all of it, so by
# default (create_bucket_notification = null) it is only created on the bucket this module creates.
#
# Existing-bucket mode (create_trail = false): attaching the alerter to a bucket that already notifies something
# else must not replace that configuration. The two safe ways in, both built by existing_bucket.tf
# (existing_bucket_delivery; its null default resolves to "eventbridge" there):
#  1. "eventbridge": EventBridge notifications on the bucket. The bucket owner reads the configuration
#     (aws s3api get-bucket-notification-configuration) and puts it back with "EventBridgeConfiguration": {}
#     ADDED and every existing Topic/Queue/LambdaFunction entry kept (the existing_bucket_setup output prints
#     the commands); the module's rule on the default bus matches source "aws.s3", detail-type "Object Created",
#     detail.bucket.name = the bucket and detail.object.key prefix "<s3_key_prefix>/AWSLogs/", targeting the
#     function, with a lambda permission for events.amazonaws.com bound to that rule's ARN. Other consumers keep
#     working unchanged.
#  2. "sns": an SNS topic announcing the log files (existing_bucket_sns_topic_arn): an S3 fan-out topic (the
#     bucket's one notification sends ObjectCreated under "<s3_key_prefix>/AWSLogs/" to it, and every consumer
#     subscribes to the topic instead of being the bucket's direct target), or the existing trail's own SNS
#     topic. The module subscribes the function and lets that topic invoke it.
# The function reads all of these envelopes (functions/alerter/src/envelope.rs: S3's EventBridge event, an S3
# notification in SNS or SQS, CloudTrail's SNS notification), and the module's grants already fit every route:
# s3:GetObject/s3:GetObjectVersion on <s3_key_prefix>/AWSLogs/ (iam.tf; EventBridge and S3 events name the
# version) and kms:Decrypt on existing_bucket_kms_key_arn.
resource "aws_s3_bucket_notification" "trail" {
  count = local.create_bucket_notification ? 1 : 0

  bucket = local.bucket_name

  lambda_function {
    id                  = "${var.name_prefix}-cloudtrail-log-files"
    lambda_function_arn = aws_lambda_function.alerter.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.log_prefix
    filter_suffix       = ".json.gz"
  }

  depends_on = [aws_lambda_permission.s3]
}
