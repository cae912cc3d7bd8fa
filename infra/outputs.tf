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
  description = "ARNs of the CloudWatch alarms (errors, throttles, on-failure queue depth, heartbeat, malformed and unevaluated records, failed alert deliveries, and SMS spend with alert_sms_numbers); empty unless create_alarms."
  value = concat(
    aws_cloudwatch_metric_alarm.errors[*].arn,
    aws_cloudwatch_metric_alarm.throttles[*].arn,
    aws_cloudwatch_metric_alarm.dlq_depth[*].arn,
    aws_cloudwatch_metric_alarm.heartbeat[*].arn,
    aws_cloudwatch_metric_alarm.malformed_records[*].arn,
    aws_cloudwatch_metric_alarm.unevaluated_records[*].arn,
    aws_cloudwatch_metric_alarm.alert_delivery[*].arn,
    aws_cloudwatch_metric_alarm.sms_spend[*].arn,
  )
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

output "watchdog_rule_arn" {
  description = "ARN of the EventBridge rule sending tampering calls on this deployment to the alarm topic; null unless create_watchdog."
  value       = try(aws_cloudwatch_event_rule.watchdog[0].arn, null)
}
