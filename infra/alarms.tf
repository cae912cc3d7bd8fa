################################################################################
# CloudWatch alarms on the pipeline itself. Every alarm notifies the alarm topic (its own key, so a disabled alert
# key is still alarmed), on ALARM and on OK.
#
# Missing data. The dead-man's switch (heartbeat) treats missing data as breaching: no LogFiles data point at all is
# exactly the silence it exists to catch (a deleted bucket notification, a removed invoke permission, a stopped
# trail, a function that never starts). The other alarms count failures and treat missing data as notBreaching: a
# function that is not invoked emits no Errors, Throttles or EMF data points, and that silence is the heartbeat's to
# report, once, instead of every alarm at the same time.
################################################################################

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  count = var.create_alarms ? 1 : 0

  alarm_name          = local.alarm_names.errors
  alarm_description   = "The trailwarden alerter failed to process at least one CloudTrail log file (it will be retried, then sent to ${aws_sqs_queue.dlq.name})."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = local.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  count = var.create_alarms ? 1 : 0

  alarm_name          = local.alarm_names.throttles
  alarm_description   = "The trailwarden alerter was throttled, so alerts are delayed: raise lambda_reserved_concurrency (or the account concurrency quota)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = local.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  count = var.create_alarms ? 1 : 0

  alarm_name          = local.alarm_names.dlq_depth
  alarm_description   = "CloudTrail log files that failed every attempt are waiting in ${aws_sqs_queue.dlq.name}: their events were not checked."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# The dead-man's switch: the function's own EMF metric LogFiles (namespace trailwarden, dimension FunctionName),
# summed over heartbeat_minutes. CloudTrail delivers a log file about every 5 minutes per region while the account
# is active, so an hour without one means the pipeline is blind, not that the account is idle.
resource "aws_cloudwatch_metric_alarm" "heartbeat" {
  count = var.create_alarms ? 1 : 0

  alarm_name          = local.alarm_names.heartbeat
  alarm_description   = "Dead-man's switch: the trailwarden alerter processed no CloudTrail log file in ${var.heartbeat_minutes} minutes (no data counts as breaching), so nothing is being checked. First check: 1. the trail is logging (aws cloudtrail get-trail-status: IsLogging, LatestDeliveryError); 2. the log bucket's notification still invokes ${local.function_name} for ObjectCreated under the log prefix (aws s3api get-bucket-notification-configuration); 3. the function's resource policy still lets s3.amazonaws.com invoke it for this bucket (aws lambda get-policy). Then the function's logs and the Errors alarm."
  namespace           = "trailwarden"
  metric_name         = "LogFiles"
  dimensions          = { FunctionName = local.function_name }
  statistic           = "Sum"
  period              = var.heartbeat_minutes * 60
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "malformed_records" {
  count = var.create_alarms ? 1 : 0

  alarm_name          = local.alarm_names.malformed_records
  alarm_description   = "The trailwarden alerter found CloudTrail records it could not parse: they were not checked by any rule. A forged or truncated log file, or a format change; the function's logs name the object."
  namespace           = "trailwarden"
  metric_name         = "MalformedRecords"
  dimensions          = { FunctionName = local.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unevaluated_records" {
  count = var.create_alarms ? 1 : 0

  alarm_name          = local.alarm_names.unevaluated_records
  alarm_description   = "The trailwarden alerter read CloudTrail records it did not evaluate (e.g. over the per-record cap): the rules never saw them. The function's logs name the object and the reason."
  namespace           = "trailwarden"
  metric_name         = "UnevaluatedRecords"
  dimensions          = { FunctionName = local.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# Alerts SNS accepted but could not deliver (an opted-out SMS number, the SMS spend limit reached, a deleted
# endpoint). It watches the alert topic; the alarm topic's own failures cannot be reported through it.
resource "aws_cloudwatch_metric_alarm" "alert_delivery" {
  count = var.create_alarms ? 1 : 0

  alarm_name          = local.alarm_names.alert_delivery
  alarm_description   = "SNS failed to deliver at least one trailwarden alert from ${aws_sns_topic.alerts.name} to a subscriber (SMS opt-out or spend limit, a removed endpoint). Check the topic's delivery status logs and the subscriptions."
  namespace           = "AWS/SNS"
  metric_name         = "NumberOfNotificationsFailed"
  dimensions          = { TopicName = aws_sns_topic.alerts.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# SMS stops, silently, once the account's monthly SMS spend limit is reached ($1 by default). SNS publishes
# SMSMonthToDateSpentUSD (no dimension) in the region that sends the messages; it exists only once SMS were sent.
resource "aws_cloudwatch_metric_alarm" "sms_spend" {
  count = var.create_alarms && length(var.alert_sms_numbers) > 0 ? 1 : 0

  alarm_name          = local.alarm_names.sms_spend
  alarm_description   = "This account's SMS spend this month reached ${var.sms_spend_alarm_usd} USD: at the account's SMS spend limit SNS stops sending SMS alerts without notice. Raise the limit (SNS text messaging preferences; above $1 needs a quota request) or lower SMS volume (sms_min_severity)."
  namespace           = "AWS/SNS"
  metric_name         = "SMSMonthToDateSpentUSD"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.sms_spend_alarm_usd
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}
