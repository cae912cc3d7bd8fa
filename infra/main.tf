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

  # Where CloudTrail writes: <s3_key_prefix>/AWSLogs/… (CloudTrail puts the "/" after a non-empty prefix itself).
  # The one definition the notification filter, the function's read grant, the bucket policy, the lifecycle rule
  # and the trail's own s3_key_prefix all use.
  log_prefix = var.s3_key_prefix == "" ? "AWSLogs/" : "${var.s3_key_prefix}/AWSLogs/"

  # With create_trail = false the bucket's single notification configuration belongs to whoever set it up: the
  # module only takes it over when asked to (create_bucket_notification = true).
  create_bucket_notification = var.create_bucket_notification != null ? var.create_bucket_notification : var.create_trail

  # The rules file, beside the logs but outside AWSLogs/ (so it never triggers the notification, and the
  # lifecycle rule never expires it). Always stored: the user's rules_config ("" when null) with the [pipeline]
  # table appended.
  rules_config_key        = "trailwarden/rules.toml"
  rules_config_object_arn = "${local.bucket_arn}/${local.rules_config_key}"
  function_arn            = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"

  # This deployment's own resources, watched by the rule trailwarden-pipeline-tampering (the [pipeline] contract:
  # the kind of each is read from its ARN). Every ARN here comes from names or from resources that do not depend
  # on the function: the function's environment carries the SHA-256 of the file that lists them.
  pipeline_resources = concat(
    [
      local.bucket_arn,
      local.rules_config_object_arn,
      local.function_arn,
      aws_iam_role.lambda.arn,
      aws_sns_topic.alerts.arn,
      aws_kms_key.this.arn,
    ],
    var.create_trail ? [local.trail_arn] : [],
    local.pipeline_watch_arns,
    local.existing_bucket_delivery_watch_arns,
    local.fast_path_rule_arns,
    local.pipeline_state_arns,
  )

  # What else the pipeline depends on (ARNs from names, or from resources that do not depend on the function): the
  # queues, the dedup table and its MAC key, the Athena workgroup, the Glue database and tables, the prefixes of the
  # findings archive and the query results, and the key administrators' roles (whoever changes their trust policy
  # becomes a key administrator; role ARNs only, and only those without wildcards). Not the fast path's event source
  # mapping: its ARN carries a UUID known only once it exists, after the function, whose configuration carries this
  # file's SHA-256 (a dependency cycle); the watchdog's function rule and the service control policy name it.
  pipeline_state_arns = concat(
    ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.function_name}-dlq"],
    var.enable_fast_path ? [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.fast_path_queue_name}",
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.fast_path_dlq_name}",
    ] : [],
    var.enable_dedup ? [local.dedup_table_arn, aws_kms_key.dedup_mac[0].arn] : [],
    var.enable_athena ? [
      "arn:${local.partition}:athena:${local.region}:${local.account_id}:workgroup/${var.name_prefix}-hunting",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.glue_database_name}/cloudtrail",
      "arn:${local.partition}:s3:::${local.athena_results_bucket}/${local.athena_results_prefix}*",
    ] : [],
    local.glue_database ? ["arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.glue_database_name}"] : [],
    var.enable_findings_archive ? [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.glue_database_name}/findings",
      "${local.findings_archive_bucket_arn}/${var.findings_archive_prefix}*",
    ] : [],
    local.administrator_role_arns,
  )
  pipeline_table = join("", concat(
    [
      "# Added by the trailwarden Terraform module: this deployment's own resources, watched by the rule\n",
      "# trailwarden-pipeline-tampering. Do not edit: the function checks this file's SHA-256 at cold start.\n",
      "[pipeline]\n",
      "resources = [\n",
    ],
    [for arn in local.pipeline_resources : "  ${jsonencode(arn)},\n"],
    ["]\n"],
  ))

  rules_config_user = var.rules_config == null ? "" : var.rules_config
  # A blank line between the user's part and the generated table (and a newline first if the user's file has no
  # final one), so the table never continues a line of the user's.
  rules_config_content = local.rules_config_user == "" ? local.pipeline_table : join("", [
    local.rules_config_user,
    endswith(local.rules_config_user, "\n") ? "" : "\n",
    "\n",
    local.pipeline_table,
  ])
  rules_config_env = {
    TRAILWARDEN_CONFIG = "s3://${local.bucket_name}/${local.rules_config_key}"
    # SHA-256 (lowercase hex) of exactly the stored bytes: the function refuses to start on any other content.
    # A changed file also changes the function's configuration, so new instances replace old ones.
    TRAILWARDEN_CONFIG_SHA256 = sha256(local.rules_config_content)
  }

  # SNS filter policy for SMS subscribers: every severity at or above sms_min_severity.
  severities     = ["low", "medium", "high", "critical"]
  sms_severities = slice(local.severities, index(local.severities, var.sms_min_severity), length(local.severities))
}
