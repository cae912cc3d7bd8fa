# Two customer managed keys. The alert key (aws_kms_key.this) protects everything the alert path stores: the
# CloudTrail log files (when the module creates the trail), the alert topic, the on-failure queue, both log groups and
# the function's environment. The alarm key (aws_kms_key.alarms) encrypts only the alarm topic, so disabling or
# deleting the alert key, which stops log delivery and alert publishing at once, still raises alarms.
#
# Both key policies deny kms:DisableKey, kms:ScheduleKeyDeletion and kms:PutKeyPolicy to every principal whose ARN
# is not one of local.administrator_arns (var.key_administrator_arns, default: whoever applies Terraform).
# Break-glass, as AWS KMS really behaves:
# - An explicit Deny in a key policy binds every principal, the account root user included ("no AWS principal,
#   including the account root user ... has any permissions to a KMS key unless they are explicitly allowed, and
#   never denied"): the root user cannot lift it by signing in.
# - The usual way out is an administrator principal: it runs PutKeyPolicy (or `terraform apply` with a changed
#   key_administrator_arns).
# - The exception is matched on aws:PrincipalArn, an ARN string, not the role's unique id: if a listed role was
#   deleted, an IAM administrator (or the root user) can create a role with the same path and name, assume it and
#   use it. (The same fact is the limit of this control: whoever can change a listed role's trust policy, or
#   recreate it, can become a key administrator. Watch those roles; the CIS IAM-policy-change alerts do.)
# - If no listed principal can be used or recreated, nobody in the account can change the policy: AWS documents that
#   a key whose policy no longer lets anyone manage it is "unmanageable" and you must contact AWS Support to regain
#   access (KMS developer guide, "Default key policy").
# - AWS KMS refuses to create a key or put a key policy that would stop the calling principal from calling
#   PutKeyPolicy later (the policy lockout safety check; this module never sets bypass_policy_lockout_safety_check),
#   so an apply whose key_administrator_arns leaves out the caller fails instead of locking the caller out.

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

# Both key policies start from this one (source_policy_documents): the account administers the key through IAM,
# and nobody but the key administrators may disable it, schedule its deletion or replace its policy.
data "aws_iam_policy_document" "key_guard" {
  #checkov:skip=CKV_AWS_109:KMS key policy, where Resource "*" means this key only; kms:* goes to the account root alone (the AWS default key policy, which delegates access to IAM), and key deletion, disabling and policy changes are denied to all but the named administrators.
  #checkov:skip=CKV_AWS_111:KMS key policy, where Resource "*" means this key only; the only write statement is the account root's (the AWS default key policy).
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

  statement {
    sid    = "DenyKeyTamperingExceptAdministrators"
    effect = "Deny"
    actions = [
      "kms:DisableKey",
      "kms:ScheduleKeyDeletion",
      "kms:PutKeyPolicy",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.administrator_arns
    }
  }
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:KMS key policy, where Resource "*" means this key only; kms:* goes to the account root alone (the AWS default key policy, which delegates access to IAM).
  #checkov:skip=CKV_AWS_111:KMS key policy, where Resource "*" means this key only; write actions go to the account root, this stack's execution role and service principals (CloudTrail bound to the trail ARN, CloudWatch Logs to the two log group ARNs, EventBridge only through the fast-path queue, whose policy admits this stack's fast-path rules alone).
  #checkov:skip=CKV_AWS_356:KMS key policy, where Resource "*" means this key only: a key policy cannot name its own ARN.
  source_policy_documents = [data.aws_iam_policy_document.key_guard.json]

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

  # Most CloudWatch alarms publish to the alarm topic (the alarm key); the EventBridge rules' FailedInvocations alarms
  # and the watchdog rules publish to the alert topic too (watchdog.tf), which needs a data key from this key. As on
  # the alarm key, no aws:SourceArn condition: the binding to this stack's alarms and rules is the alert topic's
  # policy (ThisStacksAlarmsPublish, WatchdogRulePublishes, DenyPublishExceptPublishers).
  dynamic "statement" {
    for_each = length(local.rule_failed_alarm_arns) > 0 ? [1] : []

    content {
      sid       = "CloudWatchAlarmsPublishToAlertTopic"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.create_watchdog ? [1] : []

    content {
      sid       = "EventBridgeWatchdogPublishesToAlertTopic"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }
    }
  }

  # The fast-path rules send to the encrypted fast-path queue (fast_path.tf), which needs a data key from this key.
  # No aws:SourceArn/aws:SourceAccount condition: neither is documented for the KMS request SQS makes when
  # EventBridge sends to an encrypted queue (an unmet condition would drop every fast-path event, silently). The
  # binding to this stack's rules is the queue policy's (FastPathRulesSend: aws:SourceArn = the rules' ARNs).
  dynamic "statement" {
    for_each = var.enable_fast_path ? [1] : []

    content {
      sid       = "EventBridgeSendsToFastPathQueue"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
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
  #checkov:skip=CKV_AWS_109:KMS key policy, where Resource "*" means this key only; kms:* goes to the account root alone (the AWS default key policy, which delegates access to IAM), and key deletion, disabling and policy changes are denied to all but the named administrators.
  #checkov:skip=CKV_AWS_111:KMS key policy, where Resource "*" means this key only; write actions go to the account root and to the CloudWatch and EventBridge service principals, which can only reach this key through the alarm topic, whose policy admits this stack's alarms and watchdog rule alone.
  #checkov:skip=CKV_AWS_356:KMS key policy, where Resource "*" means this key only: a key policy cannot name its own ARN.
  source_policy_documents = [data.aws_iam_policy_document.key_guard.json]

  # CloudWatch alarm actions and the EventBridge watchdog publish to the alarm topic, which needs a data key from
  # this key. Neither statement carries aws:SourceArn/aws:SourceAccount: they are not documented for the KMS request
  # that an alarm action or an EventBridge delivery to an encrypted topic makes (an unmet condition would drop every
  # alarm without a trace), so the binding to this stack's alarms and watchdog rule is in the alarm topic's policy,
  # the only path by which these service principals reach this key. The key encrypts nothing else.
  statement {
    sid       = "CloudWatchAlarmsPublishToAlarmTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }

  statement {
    sid       = "EventBridgeWatchdogPublishesToAlarmTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
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

  # The administrators that are IAM roles named exactly (no wildcard): the [pipeline] table lists them and the
  # watchdog's iam rule watches them (who can change their trust policy can become a key administrator).
  administrator_role_arns = [
    for a in local.administrator_arns : a
    if can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/", a)) && !strcontains(a, "*") && !strcontains(a, "?")
  ]
  administrator_role_names = [for a in local.administrator_role_arns : reverse(split("/", a))[0]]
}

# key_administrator_arns left null makes whoever runs `terraform apply` the only principal that may disable the keys,
# change the topics' delivery, the bucket's configuration and the dedup table: usually a person's SSO session role
# or a CI role, not a durable break-glass role. Allowed (a first apply works), but never silently.
check "key_administrators_chosen" {
  assert {
    condition     = var.key_administrator_arns != null
    error_message = "key_administrator_arns is not set: the key administrators default to the principal applying Terraform (${data.aws_iam_session_context.current.issuer_arn}). Set key_administrator_arns to durable, tightly held roles (see the variable's description)."
  }
}

################################################################################
# The dedup MAC key (enable_dedup): an HMAC key that signs the function's dedup marks, so a mark written by anyone
# else (who could otherwise suppress an alert by pre-writing its finding id) does not verify (DedupMarkUnauthenticated).
# Only the function's role may GenerateMac/VerifyMac: the Deny binds every other principal, administrators and the
# root user included (a key-policy Deny is not lifted by IAM). Administrators administer it as the other keys.
# HMAC keys do not support automatic rotation.
################################################################################

resource "aws_kms_key" "dedup_mac" {
  #checkov:skip=CKV_AWS_7:HMAC keys (GENERATE_VERIFY_MAC) do not support automatic key rotation; KMS accepts EnableKeyRotation for symmetric encryption keys only.
  count = var.enable_dedup ? 1 : 0

  description              = "${var.name_prefix}: MAC of the dedup table's marks (only the alerter's role may use it)"
  customer_master_key_spec = "HMAC_256"
  key_usage                = "GENERATE_VERIFY_MAC"
  deletion_window_in_days  = var.kms_deletion_window_days
  policy                   = data.aws_iam_policy_document.kms_dedup_mac[0].json

  tags = var.tags
}

resource "aws_kms_alias" "dedup_mac" {
  count = var.enable_dedup ? 1 : 0

  name          = "alias/${var.name_prefix}-dedup-mac"
  target_key_id = aws_kms_key.dedup_mac[0].key_id
}

data "aws_iam_policy_document" "kms_dedup_mac" {
  #checkov:skip=CKV_AWS_109:KMS key policy, where Resource "*" means this key only; kms:* goes to the account root alone (the AWS default key policy), and key deletion, disabling, policy changes and MAC use are denied to all but the named principals.
  #checkov:skip=CKV_AWS_111:KMS key policy, where Resource "*" means this key only; the only write statements are the account root's and the alerter role's GenerateMac/VerifyMac.
  #checkov:skip=CKV_AWS_356:KMS key policy, where Resource "*" means this key only: a key policy cannot name its own ARN.
  count = var.enable_dedup ? 1 : 0

  source_policy_documents = [data.aws_iam_policy_document.key_guard.json]

  statement {
    sid       = "AlerterMacsDedupMarks"
    actions   = ["kms:GenerateMac", "kms:VerifyMac"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
  }

  statement {
    sid       = "DenyMacExceptAlerter"
    effect    = "Deny"
    actions   = ["kms:GenerateMac", "kms:VerifyMac"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.lambda.arn]
    }
  }
}
