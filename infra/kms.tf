# One customer managed key protects everything this module stores: the CloudTrail log files (when the module
# creates the trail), the alert topic, the on-failure queue, both log groups and the function's environment.

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: CloudTrail logs, alert topic, on-failure queue and log groups"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms.json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}

# In a key policy "Resource": "*" means "this key": the statements below cannot name the key's own ARN.
data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:KMS key policy, where Resource "*" means this key only; kms:* goes to the account root alone (the AWS default key policy, which delegates access to IAM).
  #checkov:skip=CKV_AWS_111:KMS key policy, where Resource "*" means this key only; write actions go to the account root, this stack's execution role and service principals (CloudTrail bound to the trail ARN, CloudWatch Logs to the two log group ARNs).
  #checkov:skip=CKV_AWS_356:KMS key policy, where Resource "*" means this key only: a key policy cannot name its own ARN.
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = var.create_trail ? [1] : []

    content {
      sid       = "CloudTrailEncryptsLogs"
      actions   = ["kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [local.trail_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:cloudtrail:arn"
        values   = [local.trail_arn]
      }
    }
  }

  dynamic "statement" {
    for_each = var.create_trail ? [1] : []

    content {
      sid       = "CloudTrailDescribesKey"
      actions   = ["kms:DescribeKey"]
      resources = ["*"]

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

  # Reads SSE-KMS log files, publishes to the encrypted topic, sends to the encrypted queue, reads its environment.
  statement {
    sid       = "AlerterUsesKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
  }

  statement {
    sid = "CloudWatchLogsEncryptsLogGroups"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.${local.dns_suffix}"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = compact([local.lambda_log_group_arn, local.trail_cwl ? local.trail_log_group_arn : ""])
    }
  }

  # CloudWatch alarms publish to the encrypted topic; the topic policy limits them to this account's alarms.
  dynamic "statement" {
    for_each = var.create_alarms ? [1] : []

    content {
      sid       = "CloudWatchAlarmsPublishToEncryptedTopic"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }
    }
  }
}

################################################################################
# The alarm key: encrypts only the alarm topic, so a disabled alert key is itself alarmed.
################################################################################

resource "aws_kms_key" "alarms" {
  description             = "${var.name_prefix}: alarm topic only (independent of the alert key)"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms_alarms.json

  tags = var.tags
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.name_prefix}-alarms"
  target_key_id = aws_kms_key.alarms.key_id
}

data "aws_iam_policy_document" "kms_alarms" {
  #checkov:skip=CKV_AWS_109:KMS key policy, where Resource "*" means this key only; kms:* goes to the account root alone (the AWS default key policy, which delegates access to IAM).
  #checkov:skip=CKV_AWS_111:KMS key policy, where Resource "*" means this key only; write actions go to the account root and to service principals bound to this account's alarms and watchdog rule.
  #checkov:skip=CKV_AWS_356:KMS key policy, where Resource "*" means this key only: a key policy cannot name its own ARN.
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

################################################################################
# Administrator principals (both key policies here; the log bucket policy reads local.administrator_arns too).
################################################################################

# The issuer of the caller's session: an assumed role's role ARN (not the session ARN, which changes per run),
# or the IAM user's ARN.
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  administrator_arns = var.key_administrator_arns != null ? var.key_administrator_arns : [data.aws_iam_session_context.current.issuer_arn]
}
