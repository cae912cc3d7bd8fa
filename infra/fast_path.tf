################################################################################
# The fast path (enable_fast_path): CloudTrail's management events reach EventBridge within seconds of the call,
# minutes before the log file that holds them. One rule per generated pattern on this region's default bus sends
# the matching events to an encrypted SQS queue (with its own DLQ); an event source mapping hands them to the same
# function in batches (ReportBatchItemFailures: a message that failed is retried alone). The S3 path stays the
# complete record (EventBridge delivery of CloudTrail events is best effort); the dedup table (dynamodb.tf) keeps a
# finding published on the fast path from being published again when its log file arrives.
#
# Patterns: infra/eventbridge-patterns.json is `trailwarden rules eventbridge-pattern` for the default
# configuration (a test in the CLI crate keeps it current); fast_path_patterns_json replaces it with that command's
# output for your own rules file. Each pattern is at most 2,048 characters (the EventBridge default quota and the
# provider's limit), so a wide rule set is spread over several rules.
#
# Region. A rule sees the events of its own region's default bus. Global services (IAM, STS's global endpoint,
# console sign-in) send theirs to us-east-1 only; other regions' events stay there too. The
# modules/eventbridge-forwarder sub-module, instantiated per region with a provider alias, forwards the same
# patterns from another region's default bus to this one (the fast_path_event_bus_arn output).
################################################################################

locals {
  # The CLI's output: { patterns = [...], read_only_management_events = bool, widened_by = [...] }.
  fast_path_spec = jsondecode(
    var.fast_path_patterns_json != null ? var.fast_path_patterns_json : file("${path.module}/eventbridge-patterns.json")
  )
  # (A for expression: the patterns are objects of different shapes, a tuple a conditional cannot pair with [].)
  fast_path_patterns = [for p in local.fast_path_spec.patterns : p if var.enable_fast_path]
  # Read-only management events (Describe*, Get*, List* …) reach a rule only in this state; CIS 4.1 needs them for
  # denied Describe* calls.
  fast_path_rule_state = try(local.fast_path_spec.read_only_management_events, false) ? "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" : "ENABLED"

  fast_path_queue_name      = "${local.function_name}-fast-path"
  fast_path_dlq_name        = "${local.function_name}-fast-path-dlq"
  fast_path_rule_names      = [for i in range(length(local.fast_path_patterns)) : "${var.name_prefix}-fast-path-${i}"]
  fast_path_event_bus_arn   = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/default"
  fast_path_rule_arn_prefix = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/"
  # From names (like every ARN of the [pipeline] table): listed there, so that disabling or retargeting a fast-path
  # rule is tampering. The queue and the table are not [pipeline] kinds.
  fast_path_rule_arns = [for n in local.fast_path_rule_names : "${local.fast_path_rule_arn_prefix}${n}"]
}

resource "aws_cloudwatch_event_rule" "fast_path" {
  count = length(local.fast_path_patterns)

  name           = local.fast_path_rule_names[count.index]
  description    = "trailwarden fast path (${count.index + 1}/${length(local.fast_path_patterns)}): CloudTrail events a rule could match, to ${local.fast_path_queue_name}."
  event_bus_name = "default"
  state          = local.fast_path_rule_state
  event_pattern  = jsonencode(local.fast_path_patterns[count.index])

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(jsonencode(local.fast_path_patterns[count.index])) <= 2048
      error_message = "Fast-path pattern ${count.index} is longer than 2,048 characters (the EventBridge default quota): regenerate it with `trailwarden rules eventbridge-pattern`, which splits patterns at that size."
    }
  }
}

# No role: EventBridge sends to SQS under the queue policy below (bound to these rules' ARNs).
resource "aws_cloudwatch_event_target" "fast_path" {
  count = length(local.fast_path_patterns)

  rule      = aws_cloudwatch_event_rule.fast_path[count.index].name
  target_id = "fast-path-queue"
  arn       = aws_sqs_queue.fast_path[0].arn
}

################################################################################
# The queue and its DLQ
################################################################################

# Messages the function failed to process fast_path_max_receive_count times (the event source mapping retries a
# reported failure until then).
resource "aws_sqs_queue" "fast_path_dlq" {
  count = var.enable_fast_path ? 1 : 0

  name                              = local.fast_path_dlq_name
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300

  tags = var.tags
}

resource "aws_sqs_queue" "fast_path" {
  count = var.enable_fast_path ? 1 : 0

  name = local.fast_path_queue_name
  # Lambda's guidance for SQS event sources: at least six times the function timeout (plus the batching window),
  # so that a batch still being processed is not handed to a second invocation.
  visibility_timeout_seconds = min(43200, 6 * var.lambda_timeout + var.fast_path_batching_window_seconds)
  # An event older than a day has long been delivered by the S3 path too.
  message_retention_seconds         = 86400
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.fast_path_dlq[0].arn
    maxReceiveCount     = var.fast_path_max_receive_count
  })

  tags = var.tags
}

# No redrive allow policy on the DLQ (which queues may use it as their DLQ): it guards against another queue of the
# account dumping into this one, little for a queue only this stack reads, and moto 5.2 does not store the attribute
# while the provider waits for it until its timeout, which would stall every e2e apply of the module.

data "aws_iam_policy_document" "fast_path_queue" {
  count = var.enable_fast_path ? 1 : 0

  # Exactly this stack's fast-path rules (ARNs from names: the rules need not exist before the policy).
  statement {
    sid       = "FastPathRulesSend"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.fast_path[0].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.fast_path_rule_arns
    }
  }

  # The Allow above does not stop a principal of this account whose IAM policy allows sqs:SendMessage: it could
  # put a forged "aws.*" CloudTrail event straight on the queue (PutEvents cannot forge the source; SendMessage
  # can). So every send that does not come from one of these rules is denied, administrators included: no
  # aws:SourceArn (an IAM principal's own call) or another one.
  statement {
    sid       = "DenySendExceptFastPathRules"
    effect    = "Deny"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.fast_path[0].arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:SourceArn"
      values   = local.fast_path_rule_arns
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.fast_path[0].arn]

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

resource "aws_sqs_queue_policy" "fast_path" {
  count = var.enable_fast_path ? 1 : 0

  queue_url = aws_sqs_queue.fast_path[0].id
  policy    = data.aws_iam_policy_document.fast_path_queue[0].json
}

################################################################################
# The event source mapping
################################################################################

resource "aws_lambda_event_source_mapping" "fast_path" {
  count = var.enable_fast_path ? 1 : 0

  function_name                      = aws_lambda_function.alerter.arn
  event_source_arn                   = aws_sqs_queue.fast_path[0].arn
  batch_size                         = var.fast_path_batch_size
  maximum_batching_window_in_seconds = var.fast_path_batching_window_seconds
  # The function names the messages it failed in batchItemFailures; the others are deleted.
  function_response_types = ["ReportBatchItemFailures"]

  # A cap on the function's instances serving the fast path, so a burst of events cannot take the reserved
  # concurrency the S3 path needs (and Lambda does not throttle the mapping's own invocations into retries).
  dynamic "scaling_config" {
    for_each = var.fast_path_maximum_concurrency != null ? [var.fast_path_maximum_concurrency] : []

    content {
      maximum_concurrency = scaling_config.value
    }
  }

  tags = var.tags

  # CreateEventSourceMapping checks that the execution role may read the queue.
  depends_on = [aws_iam_role_policy.lambda]

  lifecycle {
    precondition {
      condition     = var.enable_dedup
      error_message = "enable_fast_path needs enable_dedup: without the dedup table every finding of the fast path is published again when its log file arrives."
    }

    precondition {
      condition     = var.fast_path_batch_size <= 10 || var.fast_path_batching_window_seconds >= 1
      error_message = "fast_path_batch_size above 10 needs fast_path_batching_window_seconds of at least 1 (a Lambda rule for SQS event sources)."
    }

    precondition {
      condition     = var.fast_path_maximum_concurrency == null || var.lambda_reserved_concurrency == -1 || coalesce(var.fast_path_maximum_concurrency, 0) < var.lambda_reserved_concurrency
      error_message = "fast_path_maximum_concurrency must be below lambda_reserved_concurrency, so that the S3 path keeps instances of its own."
    }
  }
}

# The fast path's alarms (its DLQ depth, its queue's age) are in alarms.tf with the others.
