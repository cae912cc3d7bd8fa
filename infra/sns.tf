################################################################################
# Topics: the alert topic (the function's alerts, encrypted with the alert key) and the alarm topic (every CloudWatch
# alarm of this stack and the EventBridge watchdog, encrypted with the alarm key).
#
# Unsubscribing. An email subscription confirmed by clicking the link AWS sends can be cancelled by anyone holding
# the unsubscribe link at the foot of every message, without signing in: one forwarded alert is enough to silence a
# recipient. Confirmed with AuthenticateOnUnsubscribe, it can only be removed by a signed Unsubscribe call from the
# topic owner or the subscription owner (which CloudTrail records and the watchdog below pages on). Terraform cannot
# confirm an email subscription (the token only reaches the mailbox), so each recipient (or an operator they forward
# the confirmation email to, unclicked) copies the "Confirm subscription" link, takes its Token parameter, and runs,
# with credentials of this account:
#
#   aws sns confirm-subscription --topic-arn <topic_arn or alarm_topic_arn output> \
#     --token <Token from the link> --authenticate-on-unsubscribe true
#
# (Clicking the link instead confirms without that flag; to fix such a subscription, delete it and confirm again.)
# SMS subscriptions need no confirmation; a recipient who replies STOP opts the number out, and the failed deliveries
# that follow raise the alert-delivery alarm.
################################################################################

locals {
  alarm_emails = var.alarm_emails != null ? var.alarm_emails : var.alert_emails

  # What principals of this account may subscribe to each topic with: the protocols of the module's own
  # subscriptions, and extra_subscription_protocols. (sns:Protocol is the Subscribe request's protocol.)
  alert_subscribe_protocols = distinct(concat(
    length(var.alert_emails) > 0 ? ["email"] : [],
    length(var.alert_sms_numbers) > 0 ? ["sms"] : [],
    var.extra_subscription_protocols,
  ))
  alarm_subscribe_protocols = distinct(concat(
    length(local.alarm_emails) > 0 ? ["email"] : [],
    length(var.alarm_sms_numbers) > 0 ? ["sms"] : [],
    var.extra_subscription_protocols,
  ))

  # The topic-level calls that change where, whether or what a topic delivers (the topic_guard Deny, the watchdog's
  # topics rule and the service control policy name the same list).
  topic_delivery_actions = [
    "sns:DeleteTopic",
    "sns:SetTopicAttributes",
    "sns:AddPermission",
    "sns:RemovePermission",
    "sns:PutDataProtectionPolicy",
  ]
}

################################################################################
# Alert topic
################################################################################

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-alerts"
  kms_master_key_id = aws_kms_key.this.arn

  tags = var.tags
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.topic.json
}

data "aws_iam_policy_document" "topic" {
  source_policy_documents = [data.aws_iam_policy_document.topic_guard["alerts"].json]

  statement {
    sid = "AccountManagesTopic"
    actions = [
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:AddPermission",
      "sns:RemovePermission",
      "sns:DeleteTopic",
      "sns:ListSubscriptionsByTopic",
    ]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

# What both topic policies share (each topic's policy starts from its document here, source_policy_documents):
# - Subscribe: principals of this account, with the chosen protocols only. The Allow delegates to IAM as before;
#   the two Deny statements hold whatever an IAM policy allows.
# - Publish: only the principals that publish. The alert topic: the function's role, this stack's EventBridge-rule
#   alarms (FailedInvocations, which also notify the alert topic) and the watchdog rules (their second target). The
#   alarm topic: every alarm of this stack and the watchdog rules. DenyPublishExceptPublishers denies everyone else,
#   administrators and the root user included: a negated condition on a key the request lacks is true, so a caller
#   is denied unless it is the function's role (aws:PrincipalArn) or a service acting for one of these exact alarm or
#   rule ARNs (aws:SourceArn, which IAM identities cannot set).
# - Delivery changes: DeleteTopic, SetTopicAttributes (policy, key, delivery policy, archive), AddPermission,
#   RemovePermission and PutDataProtectionPolicy (which can mask or block message content) are denied to every
#   principal but local.administrator_arns, as the key policies deny key tampering. Unsubscribe and
#   SetSubscriptionAttributes are not topic-policy actions (SNS authorizes them without a topic resource): only the
#   service control policy (scp.tf) can deny them.
# - TLS only.
data "aws_iam_policy_document" "topic_guard" {
  for_each = {
    alerts = {
      arn        = aws_sns_topic.alerts.arn
      protocols  = local.alert_subscribe_protocols
      principals = [aws_iam_role.lambda.arn]
      alarms     = local.rule_failed_alarm_arns
    }
    alarms = {
      arn        = aws_sns_topic.alarms.arn
      protocols  = local.alarm_subscribe_protocols
      principals = []
      alarms     = local.alarm_arns
    }
  }

  dynamic "statement" {
    for_each = length(each.value.principals) > 0 ? [1] : []

    content {
      sid       = "AlerterPublishes"
      actions   = ["sns:Publish"]
      resources = [each.value.arn]

      principals {
        type        = "AWS"
        identifiers = each.value.principals
      }
    }
  }

  dynamic "statement" {
    for_each = length(each.value.alarms) > 0 ? [1] : []

    content {
      sid       = "ThisStacksAlarmsPublish"
      actions   = ["sns:Publish"]
      resources = [each.value.arn]

      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = each.value.alarms
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = var.create_watchdog ? [1] : []

    content {
      sid       = "WatchdogRulePublishes"
      actions   = ["sns:Publish"]
      resources = [each.value.arn]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = local.watchdog_rule_arns
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  statement {
    sid       = "DenyPublishExceptPublishers"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [each.value.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    dynamic "condition" {
      for_each = length(each.value.principals) > 0 ? [1] : []

      content {
        test     = "ArnNotEquals"
        variable = "aws:PrincipalArn"
        values   = each.value.principals
      }
    }

    # With neither alarms nor watchdog rules no service publishes: the statement then denies every caller but the
    # principals above (an empty condition list would be invalid).
    dynamic "condition" {
      for_each = length(concat(each.value.alarms, local.watchdog_rule_arns)) > 0 ? [1] : []

      content {
        test     = "ArnNotEquals"
        variable = "aws:SourceArn"
        values   = concat(each.value.alarms, local.watchdog_rule_arns)
      }
    }
  }

  statement {
    sid       = "DenyDeliveryChangesExceptAdministrators"
    effect    = "Deny"
    actions   = local.topic_delivery_actions
    resources = [each.value.arn]

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

  dynamic "statement" {
    for_each = length(each.value.protocols) > 0 ? [1] : []

    content {
      sid       = "AccountSubscribesWithChosenProtocols"
      actions   = ["sns:Subscribe"]
      resources = [each.value.arn]

      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
      }

      condition {
        test     = "StringEquals"
        variable = "sns:Protocol"
        values   = each.value.protocols
      }
    }
  }

  statement {
    sid       = "DenySubscribeOutsideAccount"
    effect    = "Deny"
    actions   = ["sns:Subscribe"]
    resources = [each.value.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }

  # With no protocol chosen, no subscription at all (an empty condition list would be invalid).
  statement {
    sid       = "DenySubscribeOtherProtocols"
    effect    = "Deny"
    actions   = ["sns:Subscribe"]
    resources = [each.value.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    dynamic "condition" {
      for_each = length(each.value.protocols) > 0 ? [1] : []

      content {
        test     = "StringNotEquals"
        variable = "sns:Protocol"
        values   = each.value.protocols
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish", "sns:Subscribe"]
    resources = [each.value.arn]

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
}

# Email subscriptions stay "pending confirmation" until each recipient confirms (see the top of this file for the
# authenticated confirmation).
resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

# SMS subscribers only get alerts at or above sms_min_severity. The filter reads the `severity` message attribute
# the alerter sets on every alert.
resource "aws_sns_topic_subscription" "sms" {
  for_each = toset(var.alert_sms_numbers)

  topic_arn           = aws_sns_topic.alerts.arn
  protocol            = "sms"
  endpoint            = each.value
  filter_policy_scope = "MessageAttributes"
  filter_policy       = jsonencode({ severity = local.sms_severities })
}

################################################################################
# Alarm topic: every CloudWatch alarm and the EventBridge watchdog notify it, encrypted with the alarm key.
################################################################################

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn

  tags = var.tags
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarm_topic.json
}

data "aws_iam_policy_document" "alarm_topic" {
  source_policy_documents = [data.aws_iam_policy_document.topic_guard["alarms"].json]

  statement {
    sid = "AccountManagesTopic"
    actions = [
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:AddPermission",
      "sns:RemovePermission",
      "sns:DeleteTopic",
      "sns:ListSubscriptionsByTopic",
    ]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(local.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# Alarms go by SMS only to the numbers given here, never to alert_sms_numbers.
resource "aws_sns_topic_subscription" "alarm_sms" {
  for_each = toset(var.alarm_sms_numbers)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "sms"
  endpoint  = each.value
}
