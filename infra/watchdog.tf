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
    # Dedup marks whose MAC did not verify (a forged or replayed mark, written by someone but the function), and
    # fast-path events whose EventBridge source is not aws.* (a forged CloudTrail event put on the bus).
    dedup_mark_unauthenticated = "${var.name_prefix}-alerter-dedup-mark-unauthenticated"
    foreign_events_refused     = "${var.name_prefix}-alerter-foreign-events-refused"
  }
  created_alarm_keys = var.create_alarms ? [
    for k in keys(local.alarm_names) : k
    if(k != "sms_spend" || length(var.alert_sms_numbers) > 0) &&
    (!startswith(k, "fast_path_") || var.enable_fast_path) &&
    (k != "dedup_mark_unauthenticated" || var.enable_dedup) &&
    (k != "foreign_events_refused" || var.enable_fast_path)
  ] : []

  # One FailedInvocations alarm per EventBridge rule this stack relies on (the watchdog's and the fast path's), by
  # rule name (alarms.tf). They notify both topics: a watchdog rule that cannot deliver to the alarm topic (its key
  # disabled, its policy replaced) is reported on the alert topic.
  rule_failed_rule_names = var.create_alarms ? concat(local.watchdog_rule_names, local.fast_path_rule_names) : []
  rule_failed_alarm_names = {
    for n in local.rule_failed_rule_names : n => "${var.name_prefix}-rule-failed-${trimprefix(n, "${var.name_prefix}-")}"
  }
  rule_failed_alarm_arns = [
    for n in local.rule_failed_rule_names :
    "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.rule_failed_alarm_names[n]}"
  ]

  alarm_arns = concat(
    [
      for k in local.created_alarm_keys :
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.alarm_names[k]}"
    ],
    local.rule_failed_alarm_arns,
  )

  # The watchdog is one EventBridge rule per part of the deployment (below): an event pattern is limited to 2,048
  # characters by default, and all the parts together take about 3,900 with the example's names.
  # "iam" (the function's role and the key administrators' roles) only in us-east-1: EventBridge receives IAM's
  # CloudTrail events there alone. Elsewhere those calls reach the function's rule through the trail, not the
  # watchdog (variable create_watchdog).
  watchdog_parts = concat(
    ["bucket", "rules", "function", "passrole", "topics", "subs", "keys"],
    var.create_trail ? ["trail"] : [],
    length(local.created_alarm_keys) > 0 ? ["alarms"] : [],
    local.region == "us-east-1" ? ["iam"] : [],
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
# event bus to the ALARM topic (and the alert topic), through one rule per watched part (local.watchdog_parts). It does
# not depend on the function, so replacing the function's code or
# configuration (which also blinds the function's own rule trailwarden-pipeline-tampering), removing its invoke
# permission or stopping the trail still pages, as long as EventBridge and the alarm topic are intact.
#
# Scope. EventBridge receives an "AWS API Call via CloudTrail" event only in the region where the call was made.
# These rules live in the stack's region, where all its resources are (the trail's home region, the bucket, the
# function, the topics, the keys, the alarms), so it sees every call on them, including S3's bucket-level calls
# (management events). Calls on the rules file object are S3 data events: they arrive only because the trail logs
# writes to that key. IAM calls are delivered to EventBridge in us-east-1 only: the "iam" rule (the function's role,
# the key administrators' roles) exists only in a stack applied in us-east-1; in any other region those calls are
# reported by the function's rule alone (the trail is multi-region and includes global service events). Known false
# positive: this stack's own `terraform apply` makes some of these calls (the event names the caller).
#
# Reporting. Each rule sends to the alarm topic and the alert topic (two topics, two keys), and to
# watchdog_secondary_target_arn when set (outside this account: what an account administrator here cannot silence);
# a FailedInvocations alarm per rule (alarms.tf) notifies both topics when a rule matched but could not deliver.
################################################################################

locals {
  # Lambda records its API version in the event name (UpdateFunctionConfiguration20150331v2, …): prefix matching.
  watchdog_lambda_calls = [
    "UpdateFunctionConfiguration", "UpdateFunctionCode", "DeleteFunction", "PutFunctionConcurrency",
    "RemovePermission", "PutFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig",
  ]
  watchdog_function_arn = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"

  # Each part's pattern: a list of `detail` alternatives, by its key in local.watchdog_parts. Alternatives become
  # branches of the rule's top-level "$or" (no nested "$or").
  watchdog_patterns = {
    # The log bucket's configuration (PutBucketNotification is what CloudTrail records for
    # PutBucketNotificationConfiguration, PutBucketLifecycle for PutBucketLifecycleConfiguration).
    bucket = [{
      eventSource = ["s3.amazonaws.com"]
      eventName = [
        "PutBucketNotification", "PutBucketNotificationConfiguration", "PutBucketPolicy", "DeleteBucketPolicy",
        "PutBucketLifecycle", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle", "PutBucketVersioning",
        "PutBucketEncryption", "DeleteBucketEncryption", "DeleteBucket", "DeleteObjects",
        "PutBucketReplication", "PutBucketOwnershipControls", "PutBucketPublicAccessBlock", "PutObjectLockConfiguration",
      ]
      requestParameters = { bucketName = [local.bucket_name] }
    }]
    # The rules file (data events).
    rules = [{
      eventSource       = ["s3.amazonaws.com"]
      eventName         = ["PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject"]
      requestParameters = { bucketName = [local.bucket_name], key = [local.rules_config_key] }
    }]
    # The function: functionName is a name, an ARN or a partial ARN, optionally with a qualifier (":…"; a
    # function name cannot contain ":", so these prefixes name this function only).
    # The fast path's event source mapping: by its UUID as sent (uUID), or by the queue CloudTrail records in the
    # response (a mapping deleted and re-created has a new UUID).
    function = concat(
      [{
        eventSource = ["lambda.amazonaws.com"]
        eventName   = [for c in local.watchdog_lambda_calls : { prefix = c }]
        requestParameters = {
          functionName = [
            local.function_name, { prefix = "${local.function_name}:" },
            local.watchdog_function_arn, { prefix = "${local.watchdog_function_arn}:" },
            "${local.account_id}:function:${local.function_name}", { prefix = "${local.account_id}:function:${local.function_name}:" },
          ]
        }
      }],
      [
        for d in [
          {
            eventSource       = ["lambda.amazonaws.com"]
            eventName         = local.watchdog_esm_calls
            requestParameters = { uUID = [one(aws_lambda_event_source_mapping.fast_path[*].uuid)] }
          },
          {
            eventSource      = ["lambda.amazonaws.com"]
            eventName        = local.watchdog_esm_calls
            responseElements = { eventSourceArn = [one(aws_sqs_queue.fast_path[*].arn)] }
          },
        ] : d if var.enable_fast_path
      ],
    )
    # Any function created or reconfigured to run as the function's role (iam:PassRole of that role): code that
    # holds the role's rights (the dedup table, the MAC key, the alert topic) outside this stack.
    passrole = [{
      eventSource       = ["lambda.amazonaws.com"]
      eventName         = [{ prefix = "CreateFunction" }, { prefix = "UpdateFunctionConfiguration" }]
      requestParameters = { role = [aws_iam_role.lambda.arn] }
    }]
    # The topics, and their subscriptions (a subscription ARN is the topic ARN, ":", an id).
    topics = [{
      eventSource       = ["sns.amazonaws.com"]
      eventName         = [for a in local.topic_delivery_actions : trimprefix(a, "sns:")]
      requestParameters = { topicArn = [aws_sns_topic.alerts.arn, aws_sns_topic.alarms.arn] }
    }]
    subs = [{
      eventSource = ["sns.amazonaws.com"]
      eventName   = ["Unsubscribe", "SetSubscriptionAttributes"]
      requestParameters = {
        subscriptionArn = [{ prefix = "${aws_sns_topic.alerts.arn}:" }, { prefix = "${aws_sns_topic.alarms.arn}:" }]
      }
    }]
    # The keys: keyId as sent (key id or ARN), or the key ARN CloudTrail adds to resources[].
    keys = [
      {
        eventSource       = ["kms.amazonaws.com"]
        eventName         = local.watchdog_kms_calls
        requestParameters = { keyId = flatten([for k in local.watched_keys : [k.key_id, k.arn]]) }
      },
      {
        eventSource = ["kms.amazonaws.com"]
        eventName   = local.watchdog_kms_calls
        resources   = { ARN = [for k in local.watched_keys : k.arn] }
      },
    ]
    # The trail (by name or ARN; PutEventSelectors names it trailName); with create_trail only.
    trail = [
      for p in ["name", "trailName"] : {
        eventSource       = ["cloudtrail.amazonaws.com"]
        eventName         = ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"]
        requestParameters = { (p) = [local.trail_name, local.trail_arn] }
      }
    ]
    # The alarms (PutMetricAlarm can drop an alarm's actions or move its threshold; SetAlarmState can hold one in
    # OK), by this stack's name prefix: every alarm name starts with "<name_prefix>-" (one list of names would not
    # fit the 2,048 characters with one alarm per EventBridge rule).
    alarms = [
      for p in ["alarmNames", "alarmName"] : {
        eventSource       = ["monitoring.amazonaws.com"]
        eventName         = ["DeleteAlarms", "DisableAlarmActions", "PutMetricAlarm", "SetAlarmState"]
        requestParameters = { (p) = [{ prefix = "${var.name_prefix}-" }] }
      }
    ]
    # IAM calls that change who the function's role and the key administrators' roles are (their trust policy, their
    # policies, their boundary) or delete them. us-east-1 only (local.watchdog_parts).
    iam = [{
      eventSource = ["iam.amazonaws.com"]
      eventName = [
        "UpdateAssumeRolePolicy", "AttachRolePolicy", "PutRolePolicy", "DeleteRole", "DetachRolePolicy",
        "DeleteRolePolicy", "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
      ]
      requestParameters = { roleName = distinct(concat([aws_iam_role.lambda.name], local.administrator_role_names)) }
    }]
    # This stack's EventBridge rules: the watchdog rules themselves (RemoveTargets comes before DeleteRule, and
    # is delivered while the rule still matches; each rule also sees the calls on the others), the fast path's
    # rules and, on an existing bucket, the rule that delivers its log files.
    self = [
      for p in ["name", "rule"] : {
        eventSource       = ["events.amazonaws.com"]
        eventName         = local.watchdog_rule_calls
        requestParameters = { (p) = local.watched_event_rule_names }
      }
    ]
  }

  watchdog_esm_calls  = [{ prefix = "DeleteEventSourceMapping" }, { prefix = "UpdateEventSourceMapping" }]
  watchdog_kms_calls  = ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DeleteImportedKeyMaterial"]
  watchdog_rule_calls = ["DisableRule", "DeleteRule", "PutRule", "RemoveTargets", "PutTargets"]
  watched_keys = concat(
    [aws_kms_key.this, aws_kms_key.alarms],
    var.enable_dedup ? [aws_kms_key.dedup_mac[0]] : [],
  )

  # The ring: every watchdog rule also matches the calls that would disable, delete or retarget the next one (the
  # last one the first), so no single rule can be switched off without another one paging. (The self rule sees all
  # of them, but a rule's own DisableRule may arrive after it stopped matching.)
  watchdog_event_patterns = {
    for i, k in local.watchdog_parts : k => jsonencode({
      detail-type = ["AWS API Call via CloudTrail"]
      "$or" = [
        for d in concat(local.watchdog_patterns[k], [
          for p in ["name", "rule"] : {
            eventSource       = ["events.amazonaws.com"]
            eventName         = local.watchdog_rule_calls
            requestParameters = { (p) = ["${var.name_prefix}-pipeline-watchdog-${local.watchdog_parts[(i + 1) % length(local.watchdog_parts)]}"] }
          }
        ]) : { detail = d }
      ]
    })
  }

  # Where each watchdog rule sends: the alarm topic, the alert topic (so that a broken alarm topic or alarm key still
  # reaches someone), and optionally a target outside this account (watchdog_secondary_target_arn).
  watchdog_secondary_is_bus = var.watchdog_secondary_target_arn != null && can(regex(":event-bus/", coalesce(var.watchdog_secondary_target_arn, "-")))
  watchdog_targets = merge(
    {
      alarm-topic = aws_sns_topic.alarms.arn
      alert-topic = aws_sns_topic.alerts.arn
    },
    var.watchdog_secondary_target_arn != null ? { secondary = var.watchdog_secondary_target_arn } : {},
  )
  watchdog_rule_targets = {
    for pair in setproduct(local.watchdog_parts, keys(local.watchdog_targets)) : "${pair[0]}/${pair[1]}" => {
      part   = pair[0]
      target = pair[1]
    } if var.create_watchdog
  }
}

resource "aws_cloudwatch_event_rule" "watchdog" {
  for_each = var.create_watchdog ? toset(local.watchdog_parts) : toset([])

  name           = "${var.name_prefix}-pipeline-watchdog-${each.key}"
  description    = "trailwarden: CloudTrail calls that tamper with this deployment (${each.key}), sent to the alarm topic independently of the function."
  event_bus_name = "default"
  state          = "ENABLED"
  event_pattern  = local.watchdog_event_patterns[each.key]

  lifecycle {
    precondition {
      condition     = length(local.watchdog_event_patterns[each.key]) <= 2048
      error_message = "The watchdog's ${each.key} pattern is longer than 2,048 characters (the EventBridge default quota): shorten name_prefix, or raise the account's event pattern size quota."
    }
  }

  tags = var.tags
}

# SNS targets have no role_arn: EventBridge publishes under the topic policies (WatchdogRulePublishes, bound to these
# rules' ARNs); a role on an SNS target can break delivery to a KMS-encrypted topic. An event bus in another account
# needs a role allowed events:PutEvents on exactly that bus (below).
resource "aws_cloudwatch_event_target" "watchdog" {
  for_each = local.watchdog_rule_targets

  rule      = aws_cloudwatch_event_rule.watchdog[each.value.part].name
  target_id = each.value.target
  arn       = local.watchdog_targets[each.value.target]
  role_arn  = each.value.target == "secondary" && local.watchdog_secondary_is_bus ? aws_iam_role.watchdog_forward[0].arn : null
}

# The targets were one per rule (the alarm topic, target id alarm-topic) before the rules had several.
moved {
  from = aws_cloudwatch_event_target.watchdog["bucket"]
  to   = aws_cloudwatch_event_target.watchdog["bucket/alarm-topic"]
}
moved {
  from = aws_cloudwatch_event_target.watchdog["rules"]
  to   = aws_cloudwatch_event_target.watchdog["rules/alarm-topic"]
}
moved {
  from = aws_cloudwatch_event_target.watchdog["function"]
  to   = aws_cloudwatch_event_target.watchdog["function/alarm-topic"]
}
moved {
  from = aws_cloudwatch_event_target.watchdog["topics"]
  to   = aws_cloudwatch_event_target.watchdog["topics/alarm-topic"]
}
moved {
  from = aws_cloudwatch_event_target.watchdog["subs"]
  to   = aws_cloudwatch_event_target.watchdog["subs/alarm-topic"]
}
moved {
  from = aws_cloudwatch_event_target.watchdog["keys"]
  to   = aws_cloudwatch_event_target.watchdog["keys/alarm-topic"]
}
moved {
  from = aws_cloudwatch_event_target.watchdog["trail"]
  to   = aws_cloudwatch_event_target.watchdog["trail/alarm-topic"]
}
moved {
  from = aws_cloudwatch_event_target.watchdog["alarms"]
  to   = aws_cloudwatch_event_target.watchdog["alarms/alarm-topic"]
}
moved {
  from = aws_cloudwatch_event_target.watchdog["self"]
  to   = aws_cloudwatch_event_target.watchdog["self/alarm-topic"]
}

################################################################################
# The secondary target's role (watchdog_secondary_target_arn is an event bus): events:PutEvents on exactly that bus.
################################################################################

data "aws_iam_policy_document" "watchdog_forward_assume" {
  count = var.create_watchdog && local.watchdog_secondary_is_bus ? 1 : 0

  statement {
    sid     = "WatchdogRulesAssume"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.watchdog_rule_arns
    }
  }
}

resource "aws_iam_role" "watchdog_forward" {
  count = var.create_watchdog && local.watchdog_secondary_is_bus ? 1 : 0

  name               = "${var.name_prefix}-watchdog-forward"
  description        = "Lets the trailwarden watchdog rules put their events on ${var.watchdog_secondary_target_arn}"
  assume_role_policy = data.aws_iam_policy_document.watchdog_forward_assume[0].json

  tags = var.tags
}

data "aws_iam_policy_document" "watchdog_forward" {
  count = var.create_watchdog && local.watchdog_secondary_is_bus ? 1 : 0

  statement {
    sid       = "PutEventsOnSecondaryBus"
    actions   = ["events:PutEvents"]
    resources = [var.watchdog_secondary_target_arn]
  }
}

resource "aws_iam_role_policy" "watchdog_forward" {
  count = var.create_watchdog && local.watchdog_secondary_is_bus ? 1 : 0

  name   = "${var.name_prefix}-watchdog-forward"
  role   = aws_iam_role.watchdog_forward[0].id
  policy = data.aws_iam_policy_document.watchdog_forward[0].json
}
