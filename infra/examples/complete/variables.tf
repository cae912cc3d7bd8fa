variable "region" {
  description = "AWS region of the trail's home, the bucket and the alerter."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "trailwarden"
}

variable "lambda_zip_path" {
  description = "Zip made by `cargo lambda build --release --arm64 --output-format zip -p trailwarden-alerter`; the default is that zip in this repository, relative to this directory."
  type        = string
  default     = "../../../target/lambda/trailwarden-alerter/bootstrap.zip"
}

variable "lambda_architecture" {
  description = "arm64 (cargo lambda build --arm64) or x86_64 (--x86-64)."
  type        = string
  default     = "arm64"
}

variable "alert_emails" {
  description = "Email addresses that get every alert; each must confirm its subscription."
  type        = list(string)
  default     = ["security-alerts@example.com"]
}

variable "alert_sms_numbers" {
  description = "E.164 phone numbers that get alerts of sms_min_severity or above, e.g. [\"+14155550100\"]."
  type        = list(string)
  default     = []
}

variable "sms_min_severity" {
  description = "Lowest severity sent by SMS: low, medium, high or critical."
  type        = string
  default     = "high"
}

variable "enable_logging" {
  description = "Start the trail logging. false only against an emulator without StartLogging (moto)."
  type        = bool
  default     = true
}

variable "bucket_force_destroy" {
  description = "Let destroy delete the log bucket with its log files (test stacks only)."
  type        = bool
  default     = false
}

################################################################################
# Log path
################################################################################

variable "s3_key_prefix" {
  description = "Key prefix of the trail's log files, without slashes at either end (\"\": AWSLogs/ at the bucket's root)."
  type        = string
  default     = ""
}

variable "enable_insights" {
  description = "CloudTrail Insights (API call rate and error rate) on the trail; costs per write event analysed."
  type        = bool
  default     = false
}

################################################################################
# Watchers
################################################################################

variable "key_administrator_arns" {
  description = "IAM role/user ARNs that alone may disable or delete the two KMS keys or change their policies. null: whoever applies Terraform (an assumed role's role ARN). Keep a durable break-glass role in it: see the module's variable."
  type        = list(string)
  default     = null
}

variable "alarm_emails" {
  description = "Email addresses that get every alarm and watchdog notification; null: alert_emails."
  type        = list(string)
  default     = null
}

variable "heartbeat_minutes" {
  description = "Minutes without a processed log file before the dead-man's switch fires (10-1440)."
  type        = number
  default     = 60
}

variable "watchdog_secondary_target_arn" {
  description = "Event bus ARN of another account, or an SNS topic ARN, that every watchdog rule also sends to (null: none). See the module's variable."
  type        = string
  default     = null
}

variable "extra_subscription_protocols" {
  description = "SNS protocols, besides email and sms, that this account may subscribe to the topics with (e.g. [\"https\"])."
  type        = list(string)
  default     = []
}

################################################################################
# Fast path
################################################################################

variable "enable_fast_path" {
  description = "Alert within seconds through EventBridge (rules from the generated patterns -> encrypted SQS queue -> the function), deduplicated against the S3 path by a DynamoDB table."
  type        = bool
  default     = true
}

#### History on Athena and the findings archive ####

variable "enable_athena" {
  description = "Create the Glue CloudTrail table, the Athena hunting workgroup and the hunts' saved queries."
  type        = bool
  default     = false
}

variable "enable_findings_archive" {
  description = "Archive every finding as JSON lines in the log bucket (trailwarden-findings/), with the Glue table `findings`."
  type        = bool
  default     = false
}
