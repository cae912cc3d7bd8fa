output "trail_arn" {
  description = "ARN of the created CloudTrail trail; null with create_trail = false."
  value       = try(aws_cloudtrail.this[0].arn, null)
}

output "trail_name" {
  description = "Name of the created CloudTrail trail; null with create_trail = false."
  value       = try(aws_cloudtrail.this[0].name, null)
}

output "trail_log_group_name" {
  description = "CloudWatch Logs group receiving the trail's events; null unless enable_cloudwatch_logs."
  value       = try(aws_cloudwatch_log_group.trail[0].name, null)
}

output "bucket_name" {
  description = "Bucket holding the CloudTrail log files (created, or existing_bucket_name)."
  value       = local.bucket_name
}

output "bucket_arn" {
  description = "ARN of the bucket holding the CloudTrail log files."
  value       = local.bucket_arn
}

output "kms_key_arn" {
  description = "ARN of the module's KMS key (log files of the created trail, topic, queue, log groups, function environment)."
  value       = aws_kms_key.this.arn
}

output "kms_key_alias" {
  description = "Alias of the module's KMS key."
  value       = aws_kms_alias.this.name
}

output "topic_arn" {
  description = "ARN of the SNS topic the alerts are published to (the function's TOPIC_ARN). Alarms go to alarm_topic_arn."
  value       = aws_sns_topic.alerts.arn
}

output "sms_filter_policy" {
  description = "Filter policy (JSON) on the SMS subscriptions: the severities at or above sms_min_severity."
  value       = jsonencode({ severity = local.sms_severities })
}

output "function_name" {
  description = "Name of the alerter Lambda function."
  value       = aws_lambda_function.alerter.function_name
}

output "function_arn" {
  description = "ARN of the alerter Lambda function."
  value       = aws_lambda_function.alerter.arn
}

output "lambda_role_arn" {
  description = "ARN of the function's execution role (grant it kms:Decrypt in an existing trail key's policy when create_trail = false)."
  value       = aws_iam_role.lambda.arn
}

output "lambda_log_group_name" {
  description = "CloudWatch Logs group of the function (JSON log lines)."
  value       = aws_cloudwatch_log_group.lambda.name
}

output "dlq_url" {
  description = "URL of the encrypted SQS on-failure queue receiving invocations that failed every retry."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "ARN of the SQS on-failure queue."
  value       = aws_sqs_queue.dlq.arn
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms (errors, throttles, on-failure queue depth, heartbeat, malformed and unevaluated records, failed alert deliveries, SMS spend with alert_sms_numbers, and the fast path's DLQ depth and queue age with enable_fast_path, forged dedup marks with enable_dedup, refused foreign events with enable_fast_path, and the FailedInvocations alarm of every watchdog and fast-path rule); empty unless create_alarms."
  value       = concat([for k in local.created_alarm_keys : aws_cloudwatch_metric_alarm.pipeline[k].arn], [for n in local.rule_failed_rule_names : aws_cloudwatch_metric_alarm.rule_failed[n].arn])
}

################################################################################
# Watchers: the alarm key, the alarm topic, the EventBridge watchdog
################################################################################

output "alarm_topic_arn" {
  description = "ARN of the SNS topic every CloudWatch alarm of the stack and the EventBridge watchdog notify (encrypted with the alarm key)."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the alarm topic only."
  value       = aws_kms_key.alarms.arn
}

output "watchdog_rule_arns" {
  description = "ARNs of the EventBridge rules (one per watched part: bucket, rules file, function, topics, subscriptions, keys, trail, alarms, the rules themselves) sending tampering calls on this deployment to the alarm topic; empty unless create_watchdog."
  value       = [for k in local.watchdog_parts : aws_cloudwatch_event_rule.watchdog[k].arn if var.create_watchdog]
}

################################################################################
# Existing-bucket mode: the ways in (existing_bucket.tf)
################################################################################

output "existing_bucket_delivery" {
  description = "How log files reach the function on an existing bucket: \"eventbridge\", \"sns\" or \"none\" (existing_bucket_delivery, its null default resolved)."
  value       = local.existing_bucket_delivery
}

output "existing_bucket_delivery_rule_arn" {
  description = "ARN of the EventBridge rule invoking the function for the existing bucket's new log files; null unless existing_bucket_delivery is \"eventbridge\"."
  value       = try(aws_cloudwatch_event_rule.log_files[0].arn, null)
}

output "existing_bucket_sns_subscription_arn" {
  description = "ARN of the function's subscription to existing_bucket_sns_topic_arn; null unless existing_bucket_delivery is \"sns\"."
  value       = try(aws_sns_topic_subscription.log_files[0].arn, null)
}

output "existing_bucket_setup" {
  description = "What the existing bucket's owner still has to do for the chosen existing_bucket_delivery, with the exact commands; null with create_trail = true."
  value = var.create_trail ? null : (
    local.existing_bucket_delivery == "eventbridge" ? join("\n", [
      "The EventBridge rule ${local.delivery_rule_arn} invokes ${local.function_name} for \"Object Created\" events of s3://${local.bucket_name}/${local.log_prefix}.",
      "It receives nothing until the bucket sends its events to EventBridge. As the bucket owner (bucket in account ${local.account_id}, region ${local.region}), add",
      "EventBridgeConfiguration to the bucket's notification configuration, keeping every existing topic, queue and function entry:",
      "",
      local.enable_eventbridge_commands,
      "",
      "Check that the configuration now lists EventBridgeConfiguration and everything it listed before:",
      "",
      "aws s3api get-bucket-notification-configuration --bucket ${local.bucket_name}",
      ]) : local.existing_bucket_delivery == "sns" ? join("\n", [
      "${local.function_name} is subscribed (protocol lambda) to ${coalesce(var.existing_bucket_sns_topic_arn, "-")}. That topic must announce each new log file, one of:",
      "- CloudTrail's own notification: the existing trail names the topic (aws cloudtrail update-trail --name <trail> --sns-topic-name ${coalesce(var.existing_bucket_sns_topic_arn, "-")}), and the topic policy lets cloudtrail.amazonaws.com publish.",
      "- An S3 fan-out topic: the bucket's notification configuration sends s3:ObjectCreated:* with prefix ${local.log_prefix} to the topic (instead of",
      "  notifying each consumer directly), and the topic policy lets s3.amazonaws.com publish for arn:${local.partition}:s3:::${local.bucket_name}.",
      "A topic in another account lets this account (${local.account_id}) subscribe before `terraform apply`; its owner runs:",
      "",
      "aws sns add-permission --topic-arn ${coalesce(var.existing_bucket_sns_topic_arn, "-")} --label trailwarden-${local.account_id} --aws-account-id ${local.account_id} --action-name Subscribe",
      ]) : local.create_bucket_notification ? "The module owns the bucket's notification configuration (create_bucket_notification = true): it notifies ${local.function_name} directly and replaces any other destination." : join("\n", [
      "Nothing invokes ${local.function_name}: existing_bucket_delivery = \"none\" and create_bucket_notification = false.",
      "Connect it to s3://${local.bucket_name}/${local.log_prefix} yourself, or the heartbeat alarm fires.",
    ])
  )
}

################################################################################
# Fast path and dedup table (fast_path.tf, dynamodb.tf)
################################################################################

output "fast_path_rule_arns" {
  description = "ARNs of the EventBridge rules sending CloudTrail events to the fast-path queue, one per pattern; empty unless enable_fast_path."
  value       = aws_cloudwatch_event_rule.fast_path[*].arn
}

output "fast_path_queue_url" {
  description = "URL of the encrypted fast-path SQS queue; null unless enable_fast_path."
  value       = try(aws_sqs_queue.fast_path[0].url, null)
}

output "fast_path_queue_arn" {
  description = "ARN of the fast-path SQS queue; null unless enable_fast_path."
  value       = try(aws_sqs_queue.fast_path[0].arn, null)
}

output "fast_path_dlq_url" {
  description = "URL of the fast-path DLQ (events the function failed fast_path_max_receive_count times); null unless enable_fast_path."
  value       = try(aws_sqs_queue.fast_path_dlq[0].url, null)
}

output "fast_path_event_source_mapping_uuid" {
  description = "UUID of the event source mapping from the fast-path queue to the function; null unless enable_fast_path."
  value       = try(aws_lambda_event_source_mapping.fast_path[0].uuid, null)
}

output "fast_path_patterns_json" {
  description = "The patterns the fast-path rules use (the eventbridge-pattern JSON): the patterns_json input of modules/eventbridge-forwarder."
  value       = jsonencode(local.fast_path_spec)
}

output "fast_path_event_bus_arn" {
  description = "ARN of this region's default event bus, where the fast-path rules are: the destination_bus_arn input of modules/eventbridge-forwarder in other regions."
  value       = local.fast_path_event_bus_arn
}

output "dedup_table_name" {
  description = "Name of the DynamoDB dedup table (the function's DEDUP_TABLE); null unless enable_dedup."
  value       = try(aws_dynamodb_table.dedup[0].name, null)
}

output "dedup_table_arn" {
  description = "ARN of the DynamoDB dedup table; null unless enable_dedup."
  value       = try(aws_dynamodb_table.dedup[0].arn, null)
}

################################################################################
# History on Athena and the findings archive (athena.tf, archive.tf)
################################################################################

output "glue_database_name" {
  description = "Glue database of the CloudTrail and findings tables (trailwarden --database); null when neither enable_athena nor enable_findings_archive."
  value       = local.glue_database ? aws_glue_catalog_database.this[0].name : null
}

output "athena_cloudtrail_table" {
  description = "The CloudTrail table as <database>.cloudtrail (trailwarden rules sql --table, --engine athena --table); null without enable_athena."
  value       = var.enable_athena ? "${aws_glue_catalog_database.this[0].name}.${aws_glue_catalog_table.cloudtrail[0].name}" : null
}

output "athena_workgroup_name" {
  description = "The hunting workgroup (trailwarden --engine athena --workgroup); null without enable_athena."
  value       = var.enable_athena ? aws_athena_workgroup.hunting[0].name : null
}

output "athena_results_location" {
  description = "Where the hunting workgroup writes query results; null without enable_athena."
  value       = var.enable_athena ? local.athena_results_location : null
}

output "athena_named_query_ids" {
  description = "The hunts' saved queries in the hunting workgroup, by hunt name."
  value       = { for k, q in aws_athena_named_query.hunt : k => q.id }
}

output "findings_archive_location" {
  description = "s3://bucket/prefix of the findings archive; null without enable_findings_archive."
  value       = var.enable_findings_archive ? local.findings_archive_location : null
}

output "findings_table" {
  description = "The findings archive's table as <database>.findings; null without enable_findings_archive."
  value       = var.enable_findings_archive ? "${aws_glue_catalog_database.this[0].name}.${aws_glue_catalog_table.findings[0].name}" : null
}

################################################################################
# Hardening beyond this account's policies (scp.tf), the dedup MAC key, the EventBridge rules' alarms
################################################################################

output "service_control_policy_json" {
  description = "A service control policy (minified JSON, with this stack's ARNs) denying, to every principal but key_administrator_arns, what no policy of this account can stop: unsubscribing or reconfiguring subscriptions, changing the watchdog and fast-path rules, the function and its event source mapping, the keys, the trail, the alarms, the bucket (root user included), the dedup table's policy, the queues and the function's and administrators' roles. Attach it with AWS Organizations: `terraform output -raw service_control_policy_json > scp.json` (see infra/scp.tf)."
  value       = local.service_control_policy_json
}

output "dedup_mac_key_arn" {
  description = "ARN of the HMAC key (HMAC_256, GENERATE_VERIFY_MAC) that signs the dedup table's marks (the function's DEDUP_MAC_KEY_ID); null unless enable_dedup."
  value       = try(aws_kms_key.dedup_mac[0].arn, null)
}

output "rule_failed_alarm_arns" {
  description = "ARNs of the FailedInvocations alarms of the watchdog and fast-path rules (notifying the alarm and alert topics), by rule name; empty unless create_alarms."
  value       = { for n, a in aws_cloudwatch_metric_alarm.rule_failed : n => a.arn }
}
