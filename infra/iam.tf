################################################################################
# Alerter execution role
################################################################################

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name               = "${local.function_name}-role"
  description        = "Execution role of ${local.function_name}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = var.tags
}

# What the function reads: the log files under <s3_key_prefix>/AWSLogs/ and the rules file. Its own document,
# built only from names and variables, so it is known at plan time (the existing-bucket plan test reads it there).
data "aws_iam_policy_document" "lambda_read" {
  # The version the S3 event names (s3:GetObjectVersion), not whatever is current when the function gets to it.
  statement {
    sid       = "ReadCloudTrailLogFiles"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.bucket_arn}/${local.log_prefix}*"]
  }

  statement {
    sid       = "ReadRulesFile"
    actions   = ["s3:GetObject"]
    resources = [local.rules_config_object_arn]
  }

  # An existing trail's SSE-KMS log files: without kms:Decrypt on their key GetObject fails with AccessDenied.
  # (That key's own policy must allow this role too when it does not delegate to IAM: see lambda_role_arn.)
  dynamic "statement" {
    for_each = !var.create_trail && var.existing_bucket_kms_key_arn != null ? [var.existing_bucket_kms_key_arn] : []

    content {
      sid       = "DecryptCloudTrailLogFiles"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

data "aws_iam_policy_document" "lambda" {
  source_policy_documents = [data.aws_iam_policy_document.lambda_read.json]

  # This module's key: log files of the trail it creates, the encrypted topic and queue, the environment.
  statement {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }

  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
  }

  # The on-failure destination is written with the function's own role.
  statement {
    sid       = "SendFailedInvocations"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:*"]
  }

  #### Fast path (fast_path.tf) and dedup table (dynamodb.tf) ####
  # The event source mapping polls the queue with the function's role.
  dynamic "statement" {
    for_each = var.enable_fast_path ? [1] : []

    content {
      sid       = "ConsumeFastPathQueue"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
      resources = [aws_sqs_queue.fast_path[0].arn]
    }
  }

  # Read the marks before publishing, write them after SNS accepted (the table's key is the alert key: UseStackKey).
  dynamic "statement" {
    for_each = var.enable_dedup ? [1] : []

    content {
      sid       = "DedupFindings"
      actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:BatchWriteItem"]
      resources = [aws_dynamodb_table.dedup[0].arn]
    }
  }

  # Sign each mark before writing it, verify each mark read (kms.tf: the key's policy admits this role alone).
  dynamic "statement" {
    for_each = var.enable_dedup ? [1] : []

    content {
      sid       = "MacDedupMarks"
      actions   = ["kms:GenerateMac", "kms:VerifyMac"]
      resources = [aws_kms_key.dedup_mac[0].arn]
    }
  }

  # X-Ray accepts no resource-level permissions: these two actions only take "*".
  dynamic "statement" {
    for_each = var.lambda_tracing_mode == "Active" ? [1] : []

    content {
      sid       = "WriteTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "${local.function_name}-policy"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

################################################################################
# CloudTrail -> CloudWatch Logs role (enable_cloudwatch_logs)
################################################################################

data "aws_iam_policy_document" "trail_cloudwatch_assume" {
  count = local.trail_cwl ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

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
}

resource "aws_iam_role" "trail_cloudwatch" {
  count = local.trail_cwl ? 1 : 0

  name               = "${local.trail_name}-cloudwatch-logs"
  description        = "Lets CloudTrail trail ${local.trail_name} deliver events to ${local.trail_log_group_name}"
  assume_role_policy = data.aws_iam_policy_document.trail_cloudwatch_assume[0].json

  tags = var.tags
}

data "aws_iam_policy_document" "trail_cloudwatch" {
  count = local.trail_cwl ? 1 : 0

  statement {
    sid       = "DeliverToLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.trail[0].arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "trail_cloudwatch" {
  count = local.trail_cwl ? 1 : 0

  name   = "${local.trail_name}-cloudwatch-logs"
  role   = aws_iam_role.trail_cloudwatch[0].id
  policy = data.aws_iam_policy_document.trail_cloudwatch[0].json
}
