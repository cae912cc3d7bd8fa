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
      "sns:Publish",
    ]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "AlerterPublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
  }
}

# Subscribe: principals of this account, with the chosen protocols only; both topics, TLS only. The Allow delegates
# to IAM as before; the two Deny statements hold whatever an IAM policy allows. Each topic's policy starts from its
# document here (source_policy_documents).
data "aws_iam_policy_document" "topic_guard" {
  for_each = {
    alerts = { arn = aws_sns_topic.alerts.arn, protocols = local.alert_subscribe_protocols }
    alarms = { arn = aws_sns_topic.alarms.arn, protocols = local.alarm_subscribe_protocols }
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

  dynamic "statement" {
    for_each = length(local.alarm_arns) > 0 ? [1] : []

    content {
      sid       = "ThisStacksAlarmsPublish"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.alarms.arn]

      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = local.alarm_arns
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
      resources = [aws_sns_topic.alarms.arn]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = local.watchdog_rule_arns
      }
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
