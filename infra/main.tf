data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_organizations_organization" "this" {
  count = local.org_trail ? 1 : 0
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  dns_suffix = data.aws_partition.current.dns_suffix

  org_trail = var.create_trail && var.is_organization_trail
  trail_cwl = var.create_trail && var.enable_cloudwatch_logs

  # Names are derived once so that policies can name ARNs that do not exist yet (the trail's ARN sits in the
  # bucket and key policies it depends on).
  trail_name            = "${var.name_prefix}-trail"
  trail_arn             = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
  function_name         = "${var.name_prefix}-alerter"
  lambda_log_group_name = "/aws/lambda/${local.function_name}"
  lambda_log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.lambda_log_group_name}"
  trail_log_group_name  = "/aws/cloudtrail/${local.trail_name}"
  trail_log_group_arn   = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.trail_log_group_name}"
  alarm_arn_prefix      = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-"
  created_bucket_name   = "${var.name_prefix}-cloudtrail-${local.account_id}-${local.region}"

  # "" only while existing_bucket_name is missing, which the precondition on aws_lambda_permission.s3 reports.
  bucket_name = var.create_trail ? aws_s3_bucket.trail[0].id : (var.existing_bucket_name != null ? var.existing_bucket_name : "")
  bucket_arn  = "arn:${local.partition}:s3:::${local.bucket_name}"

  # The rules file, beside the logs but outside AWSLogs/ (so it never triggers the notification).
  rules_config_key = "trailwarden/rules.toml"
  rules_config_env = var.rules_config == null ? {} : {
    TRAILWARDEN_CONFIG = "s3://${local.bucket_name}/${local.rules_config_key}"
    # A changed file changes the function's configuration, so new instances (which read it at cold start) replace old ones.
    TRAILWARDEN_CONFIG_SHA256 = sha256(var.rules_config)
  }

  # SNS filter policy for SMS subscribers: every severity at or above sms_min_severity.
  severities     = ["low", "medium", "high", "critical"]
  sms_severities = slice(local.severities, index(local.severities, var.sms_min_severity), length(local.severities))
}
