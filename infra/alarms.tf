################################################################################
# CloudWatch alarms on the pipeline itself. Every alarm notifies the alarm topic (its own key, so a disabled alert
# key is still alarmed), on ALARM and on OK.
#
# Missing data. The dead-man's switch (heartbeat) treats missing data as breaching: no Invocations data point at all is
# exactly the silence it exists to catch (a deleted bucket notification, a removed invoke permission, a stopped
# trail, a function that never starts). The other alarms count failures and treat missing data as notBreaching: a
# function that is not invoked emits no Errors, Throttles or EMF data points, and that silence is the heartbeat's to
# report, once, instead of every alarm at the same time.
################################################################################

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]

  # Every alarm this stack can create, by the key of its name in local.alarm_names (watchdog.tf, which also says
  # which exist with these variables: local.created_alarm_keys). One evaluation period each; `at_least`: the
  # alarm fires when the statistic reaches `threshold` (the heartbeat: when it falls below).
  alarms = {
    errors = {
      description = "The trailwarden alerter failed to process at least one CloudTrail log file (it will be retried, then sent to ${aws_sqs_queue.dlq.name})."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = { FunctionName = local.function_name }
      statistic   = "Sum"
      period      = 300
      threshold   = 1
    }
    throttles = {
      description = "The trailwarden alerter was throttled, so alerts are delayed: raise lambda_reserved_concurrency (or the account concurrency quota)."
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      dimensions  = { FunctionName = local.function_name }
      statistic   = "Sum"
      period      = 300
      threshold   = 1
    }
    dlq_depth = {
      description = "CloudTrail log files that failed every attempt are waiting in ${aws_sqs_queue.dlq.name}: their events were not checked."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = aws_sqs_queue.dlq.name }
      statistic   = "Maximum"
      period      = 300
      threshold   = 1
    }
    # The dead-man's switch: AWS/Lambda Invocations of the function, summed over heartbeat_minutes. It is an AWS
    # namespace metric: PutMetricData refuses namespaces that start with "AWS/", and no log line can emit it, so
    # unlike the function's own EMF metrics nobody can keep it green by writing data points. CloudTrail delivers a
    # log file about every 5 minutes per region while the account is active (each one an invocation), and the fast
    # path polls with invocations of its own, so an hour without one means the pipeline is blind, not that the
    # account is idle.
    # What can still keep it green: a principal allowed lambda:InvokeFunction on the function (the function's
    # resource policy admits only S3 for this bucket and EventBridge/SNS for this stack's sources; an IAM identity
    # of this account with lambda:InvokeFunction on it) invoking it on a schedule while the real sources are cut.
    # Each such Invoke is a CloudTrail data event (Lambda data events), not a management event: it is recorded only
    # by a trail or event data store that logs Lambda data events for this function. Processed log files are still
    # counted by the EMF metric LogFiles (the function's logs). And the fast path invokes the function too: with
    # enable_fast_path a cut S3 path (a removed notification or permission) does not starve this metric while
    # CloudTrail events keep reaching the fast path; those cuts are reported by the watchdog and the tampering rule.
    heartbeat = {
      description = "Dead-man's switch: the trailwarden alerter was not invoked in ${var.heartbeat_minutes} minutes (AWS/Lambda Invocations; no data counts as breaching), so nothing is being checked. First check: 1. the trail is logging (aws cloudtrail get-trail-status: IsLogging, LatestDeliveryError); 2. the log bucket's notification still invokes ${local.function_name} for ObjectCreated under the log prefix (aws s3api get-bucket-notification-configuration); 3. the function's resource policy still lets s3.amazonaws.com invoke it for this bucket (aws lambda get-policy). Then the function's logs and the Errors alarm."
      namespace   = "AWS/Lambda"
      metric      = "Invocations"
      dimensions  = { FunctionName = local.function_name }
      statistic   = "Sum"
      period      = var.heartbeat_minutes * 60
      threshold   = 1
    }
    malformed_records = {
      description = "The trailwarden alerter found CloudTrail records it could not parse: they were not checked by any rule. A forged or truncated log file, or a format change; the function's logs name the object."
      namespace   = "trailwarden"
      metric      = "MalformedRecords"
      dimensions  = { FunctionName = local.function_name }
      statistic   = "Sum"
      period      = 300
      threshold   = 1
    }
    unevaluated_records = {
      description = "The trailwarden alerter read CloudTrail records it did not evaluate (e.g. over the per-record cap): the rules never saw them. The function's logs name the object and the reason."
      namespace   = "trailwarden"
      metric      = "UnevaluatedRecords"
      dimensions  = { FunctionName = local.function_name }
      statistic   = "Sum"
      period      = 300
      threshold   = 1
    }
    # Alerts SNS accepted but could not deliver (an opted-out SMS number, the SMS spend limit reached, a deleted
    # endpoint). It watches the alert topic; the alarm topic's own failures cannot be reported through it.
    alert_delivery = {
      description = "SNS failed to deliver at least one trailwarden alert from ${aws_sns_topic.alerts.name} to a subscriber (SMS opt-out or spend limit, a removed endpoint). Check the topic's delivery status logs and the subscriptions."
      namespace   = "AWS/SNS"
      metric      = "NumberOfNotificationsFailed"
      dimensions  = { TopicName = aws_sns_topic.alerts.name }
      statistic   = "Sum"
      period      = 300
      threshold   = 1
    }
    # SMS stops, silently, once the account's monthly SMS spend limit is reached ($1 by default). SNS publishes
    # SMSMonthToDateSpentUSD (no dimension) in the region that sends the messages; it exists only once SMS were
    # sent.
    sms_spend = {
      description = "This account's SMS spend this month reached ${var.sms_spend_alarm_usd} USD: at the account's SMS spend limit SNS stops sending SMS alerts without notice. Raise the limit (SNS text messaging preferences; above $1 needs a quota request) or lower SMS volume (sms_min_severity)."
      namespace   = "AWS/SNS"
      metric      = "SMSMonthToDateSpentUSD"
      dimensions  = {}
      statistic   = "Maximum"
      period      = 300
      threshold   = var.sms_spend_alarm_usd
    }
    fast_path_dlq_depth = {
      description = "CloudTrail events of the fast path failed ${var.fast_path_max_receive_count} times and wait in ${local.fast_path_dlq_name}: they were not alerted on quickly (their log files still go through the S3 path). The function's logs say why."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = local.fast_path_dlq_name }
      statistic   = "Maximum"
      period      = 300
      threshold   = 1
    }
    # A dedup mark whose MAC did not verify with the dedup MAC key (kms.tf): a mark someone else wrote to suppress
    # an alert. The function publishes the finding anyway and counts it (EMF, namespace trailwarden).
    dedup_mark_unauthenticated = {
      description = "The trailwarden alerter read a dedup mark in ${local.dedup_table_name} whose MAC did not verify: someone other than the function wrote it (to suppress an alert). The finding was published anyway. Find the writer in CloudTrail (DynamoDB data events) and check the table's resource policy."
      namespace   = "trailwarden"
      metric      = "DedupMarkUnauthenticated"
      dimensions  = { FunctionName = local.function_name }
      statistic   = "Sum"
      period      = 300
      threshold   = 1
    }
    # Fast-path events whose EventBridge source is not aws.*: a forged "AWS API Call via CloudTrail" event put on
    # the bus (PutEvents cannot use an aws.* source). The function refuses and counts them.
    foreign_events_refused = {
      description = "The trailwarden fast path received events whose source is not aws.* (forged CloudTrail events put on the default bus with PutEvents) and refused them. Find the PutEvents caller in CloudTrail."
      namespace   = "trailwarden"
      metric      = "ForeignEventsRefused"
      dimensions  = { FunctionName = local.function_name }
      statistic   = "Sum"
      period      = 300
      threshold   = 1
    }
    # Beyond 5 minutes the fast path has lost its point (the log file is about to arrive): the function is
    # throttled, failing or not polling (a removed event source mapping, a broken key policy).
    fast_path_age = {
      description = "The oldest CloudTrail event in ${local.fast_path_queue_name} waited 5 minutes or more: fast-path alerts are late. Check the event source mapping (aws lambda list-event-source-mappings --function-name ${local.function_name}), the Throttles and Errors alarms and the function's logs."
      namespace   = "AWS/SQS"
      metric      = "ApproximateAgeOfOldestMessage"
      dimensions  = { QueueName = local.fast_path_queue_name }
      statistic   = "Maximum"
      period      = 300
      threshold   = 300
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "pipeline" {
  for_each = toset(local.created_alarm_keys)

  alarm_name          = local.alarm_names[each.key]
  alarm_description   = local.alarms[each.key].description
  namespace           = local.alarms[each.key].namespace
  metric_name         = local.alarms[each.key].metric
  dimensions          = length(local.alarms[each.key].dimensions) > 0 ? local.alarms[each.key].dimensions : null
  statistic           = local.alarms[each.key].statistic
  period              = local.alarms[each.key].period
  evaluation_periods  = 1
  comparison_operator = each.key == "heartbeat" ? "LessThanThreshold" : "GreaterThanOrEqualToThreshold"
  threshold           = local.alarms[each.key].threshold
  treat_missing_data  = each.key == "heartbeat" ? "breaching" : "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# The alarms were one resource each before they shared this one: existing deployments keep them.
moved {
  from = aws_cloudwatch_metric_alarm.errors[0]
  to   = aws_cloudwatch_metric_alarm.pipeline["errors"]
}
moved {
  from = aws_cloudwatch_metric_alarm.throttles[0]
  to   = aws_cloudwatch_metric_alarm.pipeline["throttles"]
}
moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth[0]
  to   = aws_cloudwatch_metric_alarm.pipeline["dlq_depth"]
}
moved {
  from = aws_cloudwatch_metric_alarm.heartbeat[0]
  to   = aws_cloudwatch_metric_alarm.pipeline["heartbeat"]
}
moved {
  from = aws_cloudwatch_metric_alarm.malformed_records[0]
  to   = aws_cloudwatch_metric_alarm.pipeline["malformed_records"]
}
moved {
  from = aws_cloudwatch_metric_alarm.unevaluated_records[0]
  to   = aws_cloudwatch_metric_alarm.pipeline["unevaluated_records"]
}
moved {
  from = aws_cloudwatch_metric_alarm.alert_delivery[0]
  to   = aws_cloudwatch_metric_alarm.pipeline["alert_delivery"]
}
moved {
  from = aws_cloudwatch_metric_alarm.sms_spend[0]
  to   = aws_cloudwatch_metric_alarm.pipeline["sms_spend"]
}
moved {
  from = aws_cloudwatch_metric_alarm.fast_path_dlq_depth[0]
  to   = aws_cloudwatch_metric_alarm.pipeline["fast_path_dlq_depth"]
}
moved {
  from = aws_cloudwatch_metric_alarm.fast_path_age[0]
  to   = aws_cloudwatch_metric_alarm.pipeline["fast_path_age"]
}

# Every EventBridge rule this stack relies on (the watchdog's, the fast path's): FailedInvocations (AWS/Events, by
# RuleName) counts the events a rule matched and could not deliver to a target after retries (a deleted or
# re-keyed topic, a topic or key policy that no longer admits EventBridge, a removed queue). Each notifies the
# alarm topic and the alert topic, so a watchdog rule that cannot reach one of them is still reported.
resource "aws_cloudwatch_metric_alarm" "rule_failed" {
  for_each = local.rule_failed_alarm_names

  alarm_name          = each.value
  alarm_description   = "The EventBridge rule ${each.key} matched events it could not deliver (FailedInvocations): its target (topic, queue) or that target's policy or key no longer accepts them, so tampering or fast-path alerts are being lost. Check the rule's targets and the target's policy and KMS key."
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { RuleName = each.key }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alarms.arn, aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alarms.arn, aws_sns_topic.alerts.arn]

  tags = var.tags
}
