################################################################################
# The pipeline's own resources that the rule trailwarden-pipeline-tampering watches (besides the log-path
# resources: bucket, rules object, function, role, alert topic, alert key, trail), and the EventBridge watchdog.
################################################################################

locals {
  # Names of every alarm this stack can create, and which of them exist with these variables. ARNs are built
  # from names (not from the alarm resources): the rules file lists them, the function's configuration carries
  # the file's SHA-256, and the alarms name the function, so resource references would form a cycle.
  alarm_names = {
    errors              = "${var.name_prefix}-alerter-errors"
    throttles           = "${var.name_prefix}-alerter-throttles"
    dlq_depth           = "${var.name_prefix}-alerter-dlq-depth"
    heartbeat           = "${var.name_prefix}-alerter-heartbeat"
    malformed_records   = "${var.name_prefix}-alerter-malformed-records"
    unevaluated_records = "${var.name_prefix}-alerter-unevaluated-records"
    alert_delivery      = "${var.name_prefix}-alert-delivery-failed"
    sms_spend           = "${var.name_prefix}-sms-spend"
    fast_path_dlq_depth = "${var.name_prefix}-fast-path-dlq-depth"
    fast_path_age       = "${var.name_prefix}-fast-path-queue-age"
  }
  created_alarm_keys = var.create_alarms ? [
    for k in keys(local.alarm_names) : k
    if(k != "sms_spend" || length(var.alert_sms_numbers) > 0) && (!startswith(k, "fast_path_") || var.enable_fast_path)
  ] : []
  alarm_arns = [
    for k in local.created_alarm_keys :
    "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.alarm_names[k]}"
  ]

  # The watchdog is one EventBridge rule per part of the deployment (below): an event pattern is limited to 2,048
  # characters by default, and all the parts together take about 3,900 with the example's names.
  watchdog_parts = concat(
    ["bucket", "rules", "function", "topics", "subs", "keys"],
    var.create_trail ? ["trail"] : [],
    length(local.created_alarm_keys) > 0 ? ["alarms"] : [],
    ["self"],
  )
  watchdog_rule_names = var.create_watchdog ? [for k in local.watchdog_parts : "${var.name_prefix}-pipeline-watchdog-${k}"] : []
  watchdog_rule_arns  = [for n in local.watchdog_rule_names : "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${n}"]
  watched_event_rule_names = concat(
    local.watchdog_rule_names,
    local.fast_path_rule_names,
    local.existing_bucket_delivery == "eventbridge" ? [local.delivery_rule_name] : [],
  )

  # Appended by the log-path part to the rules file's [pipeline] resources: the alarm key, the alarm topic,
  # every alarm and the watchdog rules.
  pipeline_watch_arns = concat(
    [aws_kms_key.alarms.arn, aws_sns_topic.alarms.arn],
    local.alarm_arns,
    local.watchdog_rule_arns,
  )
}

################################################################################
# The EventBridge watchdog: CloudTrail records of calls that tamper with this deployment go straight from the default
# event bus to the ALARM topic, through one rule per watched part (local.watchdog_parts). It does not depend on the function, so replacing the function's code or
# configuration (which also blinds the function's own rule trailwarden-pipeline-tampering), removing its invoke
# permission or stopping the trail still pages, as long as EventBridge and the alarm topic are intact.
#
# Scope. EventBridge receives an "AWS API Call via CloudTrail" event only in the region where the call was made.
# These rules live in the stack's region, where all its resources are (the trail's home region, the bucket, the
# function, the topics, the keys, the alarms), so it sees every call on them, including S3's bucket-level calls
# (management events). Calls on the rules file object are S3 data events: they arrive only because the trail logs
# writes to that key. IAM calls (the function's role) are delivered in us-east-1 only, so they are left to the
# function's rule. Known false positive: this stack's own `terraform apply` makes some of these calls (the event
# names the caller).
################################################################################

locals {
  # Lambda records its API version in the event name (UpdateFunctionConfiguration20150331v2, …): prefix matching.
  watchdog_lambda_calls = [
    "UpdateFunctionConfiguration", "UpdateFunctionCode", "DeleteFunction", "PutFunctionConcurrency",
    "RemovePermission", "PutFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig",
  ]
  watchdog_function_arn = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"

  # Each part's pattern (`detail`), by its key in local.watchdog_parts.
  watchdog_patterns = {
    # The log bucket's configuration (PutBucketNotification is what CloudTrail records for
    # PutBucketNotificationConfiguration, PutBucketLifecycle for PutBucketLifecycleConfiguration).
    bucket = {
      eventSource = ["s3.amazonaws.com"]
      eventName = [
        "PutBucketNotification", "PutBucketNotificationConfiguration", "PutBucketPolicy", "DeleteBucketPolicy",
        "PutBucketLifecycle", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle", "PutBucketVersioning",
        "PutBucketEncryption", "DeleteBucketEncryption", "DeleteBucket", "DeleteObjects",
      ]
      requestParameters = { bucketName = [local.bucket_name] }
    }
    # The rules file (data events).
    rules = {
      eventSource       = ["s3.amazonaws.com"]
      eventName         = ["PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject"]
      requestParameters = { bucketName = [local.bucket_name], key = [local.rules_config_key] }
    }
    # The function: functionName is a name, an ARN or a partial ARN, optionally with a qualifier (":…"; a
    # function name cannot contain ":", so these prefixes name this function only).
    function = {
      eventSource = ["lambda.amazonaws.com"]
      eventName   = [for c in local.watchdog_lambda_calls : { prefix = c }]
      requestParameters = {
        functionName = [
          local.function_name, { prefix = "${local.function_name}:" },
          local.watchdog_function_arn, { prefix = "${local.watchdog_function_arn}:" },
          "${local.account_id}:function:${local.function_name}", { prefix = "${local.account_id}:function:${local.function_name}:" },
        ]
      }
    }
    # The topics, and their subscriptions (a subscription ARN is the topic ARN, ":", an id).
    topics = {
      eventSource       = ["sns.amazonaws.com"]
      eventName         = ["DeleteTopic", "SetTopicAttributes", "AddPermission", "RemovePermission"]
      requestParameters = { topicArn = [aws_sns_topic.alerts.arn, aws_sns_topic.alarms.arn] }
    }
    subs = {
      eventSource = ["sns.amazonaws.com"]
      eventName   = ["Unsubscribe", "SetSubscriptionAttributes"]
      requestParameters = {
        subscriptionArn = [{ prefix = "${aws_sns_topic.alerts.arn}:" }, { prefix = "${aws_sns_topic.alarms.arn}:" }]
      }
    }
    # The keys: keyId as sent (key id or ARN), or the key ARN CloudTrail adds to resources[].
    keys = {
      eventSource = ["kms.amazonaws.com"]
      eventName   = ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DeleteImportedKeyMaterial"]
      "$or" = [
        { requestParameters = { keyId = [aws_kms_key.this.key_id, aws_kms_key.this.arn, aws_kms_key.alarms.key_id, aws_kms_key.alarms.arn] } },
        { resources = { ARN = [aws_kms_key.this.arn, aws_kms_key.alarms.arn] } },
      ]
    }
    # The trail (by name or ARN; PutEventSelectors names it trailName); with create_trail only.
    trail = {
      eventSource = ["cloudtrail.amazonaws.com"]
      eventName   = ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"]
      "$or" = [
        { requestParameters = { name = [local.trail_name, local.trail_arn] } },
        { requestParameters = { trailName = [local.trail_name, local.trail_arn] } },
      ]
    }
    # The alarms (PutMetricAlarm can drop an alarm's actions or move its threshold); when there are any.
    alarms = {
      eventSource = ["monitoring.amazonaws.com"]
      eventName   = ["DeleteAlarms", "DisableAlarmActions", "PutMetricAlarm"]
      "$or" = [
        { requestParameters = { alarmNames = [for k in local.created_alarm_keys : local.alarm_names[k]] } },
        { requestParameters = { alarmName = [for k in local.created_alarm_keys : local.alarm_names[k]] } },
      ]
    }
    # This stack's EventBridge rules: the watchdog rules themselves (RemoveTargets comes before DeleteRule, and
    # is delivered while the rule still matches; each rule also sees the calls on the others), the fast path's
    # rules and, on an existing bucket, the rule that delivers its log files.
    self = {
      eventSource = ["events.amazonaws.com"]
      eventName   = ["DisableRule", "DeleteRule", "PutRule", "RemoveTargets", "PutTargets"]
      "$or" = [
        { requestParameters = { name = local.watched_event_rule_names } },
        { requestParameters = { rule = local.watched_event_rule_names } },
      ]
    }
  }
}

resource "aws_cloudwatch_event_rule" "watchdog" {
  for_each = var.create_watchdog ? toset(local.watchdog_parts) : toset([])

  name           = "${var.name_prefix}-pipeline-watchdog-${each.key}"
  description    = "trailwarden: CloudTrail calls that tamper with this deployment (${each.key}), sent to the alarm topic independently of the function."
  event_bus_name = "default"
  state          = "ENABLED"
  event_pattern = jsonencode({
    detail-type = ["AWS API Call via CloudTrail"]
    detail      = local.watchdog_patterns[each.key]
  })

  lifecycle {
    precondition {
      condition     = length(jsonencode({ detail-type = ["AWS API Call via CloudTrail"], detail = local.watchdog_patterns[each.key] })) <= 2048
      error_message = "The watchdog's ${each.key} pattern is longer than 2,048 characters (the EventBridge default quota): shorten name_prefix, or raise the account's event pattern size quota."
    }
  }

  tags = var.tags
}

# No role_arn: EventBridge publishes to SNS under the topic policy (WatchdogRulePublishes, bound to these rules'
# ARNs); a role on an SNS target can break delivery to a KMS-encrypted topic.
resource "aws_cloudwatch_event_target" "watchdog" {
  for_each = aws_cloudwatch_event_rule.watchdog

  rule      = each.value.name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.alarms.arn
}
