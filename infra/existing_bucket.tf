################################################################################
# Existing-bucket mode (create_trail = false): the two ways in that leave the bucket's one notification
# configuration to its owner. The function accepts every envelope used here (functions/alerter/src/envelope.rs):
# S3's EventBridge "Object Created" event, an S3 notification wrapped in SNS, and CloudTrail's own SNS notification.
#
# - "eventbridge": a rule on this account's default bus matching the bucket's "Object Created" events under the log
#   prefix, targeting the function. EventBridge delivery is a bucket setting (EventBridgeConfiguration inside the
#   notification configuration) that only the bucket owner can turn on; adding it keeps every other destination.
#   The module cannot do that without owning the configuration: the existing_bucket_setup output prints the
#   commands.
# - "sns": the function subscribes to an SNS topic that already announces the log files (an S3 fan-out topic that
#   the bucket's notification targets, or the existing trail's own sns_topic_name topic).
################################################################################

locals {
  # null resolves to "eventbridge" on an existing bucket that the module does not notify itself (the only way in
  # that needs neither the bucket's configuration nor a topic), and to "none" otherwise.
  existing_bucket_delivery = var.existing_bucket_delivery != null ? var.existing_bucket_delivery : (
    !var.create_trail && !local.create_bucket_notification ? "eventbridge" : "none"
  )

  delivery_rule_name = "${local.function_name}-log-files"
  # From names, like every ARN of the [pipeline] table (the rule targets the function, whose configuration carries
  # the table's hash).
  delivery_rule_arn = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.delivery_rule_name}"

  # Appended to the rules file's [pipeline] resources (main.tf): disabling or retargeting the rule is tampering. The
  # SNS subscription is not a [pipeline] kind, and the fan-out topic belongs to whoever owns the bucket.
  existing_bucket_delivery_watch_arns = local.existing_bucket_delivery == "eventbridge" ? [local.delivery_rule_arn] : []

  # The bucket owner's part of "eventbridge": read the current notification configuration, add
  # EventBridgeConfiguration to it, put it back. `jq -s '(add // {})'` turns an empty answer (a bucket with no
  # notification yet) into {}; the && chain stops before the put when the read fails.
  enable_eventbridge_commands = join("\n", [
    "aws s3api get-bucket-notification-configuration --bucket ${local.bucket_name} --output json > notification-current.json &&",
    "  jq -s '(add // {}) + {\"EventBridgeConfiguration\": {}}' notification-current.json > notification-eventbridge.json &&",
    "  aws s3api put-bucket-notification-configuration --bucket ${local.bucket_name} --notification-configuration file://notification-eventbridge.json",
  ])
}

# A set topic ARN is parsed here, which is also where its consistency with the other inputs is checked (the
# conditions reference several variables, which variable validation cannot before Terraform 1.9).
data "aws_arn" "existing_bucket_sns_topic" {
  count = var.existing_bucket_sns_topic_arn != null ? 1 : 0

  arn = var.existing_bucket_sns_topic_arn

  lifecycle {
    precondition {
      condition     = !var.create_trail
      error_message = "existing_bucket_sns_topic_arn is only for create_trail = false (an existing trail's bucket): the bucket this module creates notifies the function directly."
    }

    precondition {
      condition     = local.existing_bucket_delivery == "sns"
      error_message = "existing_bucket_sns_topic_arn is set but existing_bucket_delivery is not \"sns\": set existing_bucket_delivery = \"sns\" to subscribe the function to that topic, or remove the topic ARN."
    }

    # Subscribe is called in the topic's region, and this provider's region is the function's.
    precondition {
      condition     = split(":", var.existing_bucket_sns_topic_arn)[3] == local.region
      error_message = "existing_bucket_sns_topic_arn must be a topic in this stack's region (${local.region}): apply the module in the region of the topic (S3 notifies topics in the bucket's region, CloudTrail its home region)."
    }
  }
}

################################################################################
# "eventbridge"
################################################################################

resource "aws_cloudwatch_event_rule" "log_files" {
  count = local.existing_bucket_delivery == "eventbridge" ? 1 : 0

  name           = local.delivery_rule_name
  description    = "trailwarden: new CloudTrail log files in s3://${local.bucket_name}/${local.log_prefix} (S3 EventBridge notifications) invoke ${local.function_name}."
  event_bus_name = "default"
  state          = "ENABLED"
  # Prefix only: digest and Insights files under the same prefix are classified and skipped by the function (as
  # with the direct notification, whose .json.gz suffix lets digests through too).
  event_pattern = jsonencode({
    source      = ["aws.s3"]
    detail-type = ["Object Created"]
    detail = {
      bucket = { name = [local.bucket_name] }
      object = { key = [{ prefix = local.log_prefix }] }
    }
  })

  tags = var.tags

  lifecycle {
    precondition {
      condition     = !var.create_trail
      error_message = "existing_bucket_delivery = \"eventbridge\" is only for create_trail = false (an existing trail's bucket): the bucket this module creates notifies the function directly."
    }

    precondition {
      condition     = !local.create_bucket_notification
      error_message = "create_bucket_notification = true together with existing_bucket_delivery = \"eventbridge\" would invoke the function twice for every log file (the bucket's notification and the EventBridge rule) and send every alert twice: choose one (existing_bucket_delivery = \"none\" keeps the module-owned notification)."
    }
  }
}

resource "aws_cloudwatch_event_target" "log_files" {
  count = local.existing_bucket_delivery == "eventbridge" ? 1 : 0

  rule      = aws_cloudwatch_event_rule.log_files[0].name
  target_id = "alerter"
  arn       = aws_lambda_function.alerter.arn

  depends_on = [aws_lambda_permission.eventbridge]
}

resource "aws_lambda_permission" "eventbridge" {
  count = local.existing_bucket_delivery == "eventbridge" ? 1 : 0

  statement_id   = "AllowInvokeFromLogFilesRule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.alerter.function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.log_files[0].arn
  source_account = local.account_id
}

################################################################################
# "sns"
################################################################################

resource "aws_lambda_permission" "sns" {
  count = local.existing_bucket_delivery == "sns" ? 1 : 0

  statement_id  = "AllowInvokeFromLogFilesTopic"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.alerter.function_name
  principal     = "sns.amazonaws.com"
  # The topic, and the account that owns it (from its ARN: a fan-out topic may live in the bucket's account).
  source_arn     = var.existing_bucket_sns_topic_arn
  source_account = try(split(":", var.existing_bucket_sns_topic_arn)[4], null)

  lifecycle {
    precondition {
      condition     = !var.create_trail
      error_message = "existing_bucket_delivery = \"sns\" is only for create_trail = false (an existing trail's bucket): the bucket this module creates notifies the function directly."
    }

    precondition {
      condition     = var.existing_bucket_sns_topic_arn != null
      error_message = "existing_bucket_delivery = \"sns\" needs existing_bucket_sns_topic_arn: the S3 fan-out topic the bucket notifies, or the existing trail's own SNS topic."
    }

    precondition {
      condition     = !local.create_bucket_notification
      error_message = "create_bucket_notification = true together with existing_bucket_delivery = \"sns\" would invoke the function twice for every log file (the bucket's notification and the topic) and send every alert twice: choose one (existing_bucket_delivery = \"none\" keeps the module-owned notification)."
    }
  }
}

# Lambda subscriptions need no confirmation. A topic in another account must first let this account subscribe (its
# owner: aws sns add-permission ... --action-name Subscribe; see the existing_bucket_setup output).
resource "aws_sns_topic_subscription" "log_files" {
  count = local.existing_bucket_delivery == "sns" ? 1 : 0

  topic_arn = var.existing_bucket_sns_topic_arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.alerter.arn

  # SNS invokes the function as soon as the subscription exists.
  depends_on = [aws_lambda_permission.sns]
}
