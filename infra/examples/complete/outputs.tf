output "trail_arn" {
  description = "ARN of the CloudTrail trail."
  value       = module.trailwarden.trail_arn
}

output "bucket_name" {
  description = "Bucket holding the CloudTrail log files."
  value       = module.trailwarden.bucket_name
}

output "topic_arn" {
  description = "SNS topic the alerts are published to."
  value       = module.trailwarden.topic_arn
}

output "function_name" {
  description = "Name of the alerter Lambda function."
  value       = module.trailwarden.function_name
}

output "dlq_url" {
  description = "URL of the on-failure queue of the alerter."
  value       = module.trailwarden.dlq_url
}

output "kms_key_arn" {
  description = "ARN of the stack's KMS key."
  value       = module.trailwarden.kms_key_arn
}

output "alarm_topic_arn" {
  description = "SNS topic the stack's alarms and the EventBridge watchdog notify."
  value       = module.trailwarden.alarm_topic_arn
}

output "alarm_kms_key_arn" {
  description = "ARN of the KMS key of the alarm topic."
  value       = module.trailwarden.alarm_kms_key_arn
}

output "watchdog_rule_arns" {
  description = "ARNs of the EventBridge watchdog rules (tampering calls on the deployment, straight to the alarm topic)."
  value       = module.trailwarden.watchdog_rule_arns
}

output "fast_path_queue_url" {
  description = "URL of the fast-path SQS queue (null without the fast path)."
  value       = module.trailwarden.fast_path_queue_url
}

output "dedup_table_name" {
  description = "DynamoDB table of published finding ids (null without dedup)."
  value       = module.trailwarden.dedup_table_name
}

#### History on Athena and the findings archive ####

output "athena_cloudtrail_table" {
  description = "The CloudTrail table (trailwarden rules sql --table)."
  value       = module.trailwarden.athena_cloudtrail_table
}

output "athena_workgroup_name" {
  description = "The hunting workgroup (trailwarden --engine athena --workgroup)."
  value       = module.trailwarden.athena_workgroup_name
}

output "glue_database_name" {
  description = "Glue database of the CloudTrail and findings tables."
  value       = module.trailwarden.glue_database_name
}

output "athena_results_location" {
  description = "Where the hunting workgroup writes query results."
  value       = module.trailwarden.athena_results_location
}

output "athena_named_query_ids" {
  description = "The hunts' saved queries, by hunt name."
  value       = module.trailwarden.athena_named_query_ids
}

output "findings_archive_location" {
  description = "s3://bucket/prefix of the findings archive."
  value       = module.trailwarden.findings_archive_location
}

output "findings_table" {
  description = "The findings archive's table."
  value       = module.trailwarden.findings_table
}

#### What only an organization can enforce ####

# Save it and attach it as a service control policy from the organization's management account (infra/scp.tf):
#   terraform output -raw service_control_policy_json > scp.json
output "service_control_policy_json" {
  description = "Service control policy (JSON) denying the tampering calls no policy of this account can stop, to all but the key administrators."
  value       = module.trailwarden.service_control_policy_json
}

output "dedup_mac_key_arn" {
  description = "HMAC key signing the dedup table's marks (null without dedup)."
  value       = module.trailwarden.dedup_mac_key_arn
}
