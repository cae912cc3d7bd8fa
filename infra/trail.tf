resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_252:Log-file delivery is already signalled by the S3 ObjectCreated notification that invokes the alerter; a CloudTrail SNS topic would be a second, redundant path (and the alert topic's email/SMS subscribers must not get one message per log file).
  count = var.create_trail ? 1 : 0

  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.trail[0].id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = aws_kms_key.this.arn
  is_organization_trail         = var.is_organization_trail
  enable_logging                = var.enable_logging

  cloud_watch_logs_group_arn = local.trail_cwl ? "${aws_cloudwatch_log_group.trail[0].arn}:*" : null
  cloud_watch_logs_role_arn  = local.trail_cwl ? aws_iam_role.trail_cloudwatch[0].arn : null

  tags = var.tags

  # CloudTrail checks at creation time that it may write to the bucket with the key.
  depends_on = [
    aws_s3_bucket_policy.trail,
    aws_s3_bucket_server_side_encryption_configuration.trail,
  ]
}

resource "aws_cloudwatch_log_group" "trail" {
  count = local.trail_cwl ? 1 : 0

  name              = local.trail_log_group_name
  retention_in_days = var.trail_log_group_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = var.tags
}
