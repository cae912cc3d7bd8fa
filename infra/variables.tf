################################################################################
# General
################################################################################

variable "name_prefix" {
  description = "Prefix of every resource name (trail, bucket, key alias, topic, function, queue, alarms). Lowercase letters, digits and hyphens, 2-24 characters."
  type        = string
  default     = "trailwarden"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Tags added to every taggable resource."
  type        = map(string)
  default     = {}
}

variable "kms_deletion_window_days" {
  description = "Waiting period, in days, before the module's KMS key is deleted after a destroy (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

################################################################################
# Trail and bucket
################################################################################

variable "create_trail" {
  description = "Create the CloudTrail trail and its log bucket. Set false to attach the alerter to an existing trail's bucket (existing_bucket_name, existing_bucket_kms_key_arn)."
  type        = bool
  default     = true
}

variable "enable_logging" {
  description = "Start logging on the created trail. Only false against emulators that cannot StartLogging (moto)."
  type        = bool
  default     = true
}

variable "is_organization_trail" {
  description = "Create an organization trail that logs every member account. Must be applied in the organization's management account (or a delegated administrator)."
  type        = bool
  default     = false
}

variable "enable_cloudwatch_logs" {
  description = "Also deliver the created trail's events to a KMS-encrypted CloudWatch Logs group, with the IAM role CloudTrail needs. Costs CloudWatch Logs ingestion for every event."
  type        = bool
  default     = false
}

variable "trail_log_group_retention_days" {
  description = "Retention, in days, of the trail's CloudWatch Logs group (enable_cloudwatch_logs). 0 keeps events forever."
  type        = number
  default     = 365

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.trail_log_group_retention_days)
    error_message = "trail_log_group_retention_days must be 0 or a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "existing_bucket_name" {
  description = "With create_trail = false: name of the bucket the existing trail writes to. Ignored otherwise."
  type        = string
  default     = null

  validation {
    condition     = var.existing_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.existing_bucket_name))
    error_message = "existing_bucket_name must be a valid S3 bucket name."
  }
}

variable "existing_bucket_kms_key_arn" {
  description = "With create_trail = false: ARN of the KMS key that encrypts the existing trail's log files, so the alerter may decrypt them; null if they are SSE-S3. That key's policy must allow the lambda_role_arn output kms:Decrypt."
  type        = string
  default     = null

  validation {
    condition     = var.existing_bucket_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.existing_bucket_kms_key_arn))
    error_message = "existing_bucket_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "create_bucket_notification" {
  description = "Manage the log bucket's S3 event notification that invokes the alerter (ObjectCreated under <s3_key_prefix>/AWSLogs/, suffix .json.gz). A bucket has a single notification configuration and this module then owns all of it, replacing whatever else it sent. null (the default) means true when the module creates the bucket (create_trail = true) and false on an existing bucket, where the safe ways in are EventBridge notifications on the bucket or an SNS fan-out topic (see README)."
  type        = bool
  default     = null
}

variable "bucket_force_destroy" {
  description = "Let `terraform destroy` delete the created log bucket with every log file in it. Keep false outside test stacks."
  type        = bool
  default     = false
}

variable "access_log_bucket_name" {
  description = "Bucket receiving S3 server access logs of the created log bucket (CIS: access logging on the CloudTrail bucket), under prefix s3-access/<bucket>/. It must accept S3 log delivery: SSE-S3 (not SSE-KMS), Object Lock not enabled, and a bucket policy allowing the service principal logging.s3.amazonaws.com s3:PutObject on s3-access/<bucket>/* with aws:SourceArn = the log bucket's ARN and aws:SourceAccount = this account. null disables access logging."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket_name))
    error_message = "access_log_bucket_name must be a valid S3 bucket name."
  }
}

variable "log_archive_days" {
  description = "Age, in days, at which log files move to S3 Glacier Instant Retrieval. 0 keeps them in S3 Standard."
  type        = number
  default     = 90

  validation {
    condition     = var.log_archive_days >= 0 && floor(var.log_archive_days) == var.log_archive_days
    error_message = "log_archive_days must be a whole number >= 0."
  }
}

variable "log_expiration_days" {
  description = "Age, in days, at which log files are deleted (a delete marker; the noncurrent version goes after noncurrent_version_expiration_days). 0 keeps them forever. Must exceed log_archive_days."
  type        = number
  default     = 365

  validation {
    condition     = var.log_expiration_days >= 0 && floor(var.log_expiration_days) == var.log_expiration_days
    error_message = "log_expiration_days must be a whole number >= 0."
  }
}

################################################################################
# Log path: key prefix, trail event selectors, Insights, Object Lock
################################################################################

variable "s3_key_prefix" {
  description = "S3 key prefix of the trail's log files, without slashes at either end: CloudTrail writes <s3_key_prefix>/AWSLogs/<account>/… (AWSLogs/… when \"\"). With create_trail = true it is the created trail's S3KeyPrefix; with create_trail = false, the existing trail's (e.g. a Control Tower or organization trail that writes under a prefix). The notification filter, the function's read grant, the bucket policy and the lifecycle rule all use <s3_key_prefix>/AWSLogs/."
  type        = string
  default     = ""

  validation {
    condition     = var.s3_key_prefix == "" || (length(var.s3_key_prefix) <= 200 && !startswith(var.s3_key_prefix, "/") && !endswith(var.s3_key_prefix, "/") && !strcontains(var.s3_key_prefix, "//") && can(regex("^[A-Za-z0-9!_.*'()/-]+$", var.s3_key_prefix)))
    error_message = "s3_key_prefix must be \"\" or at most 200 characters of letters, digits and ! _ . * ' ( ) - /, without a leading or trailing slash or an empty segment (CloudTrail adds the / before AWSLogs/ itself)."
  }
}

variable "data_event_s3_arn_prefixes" {
  description = "Opt-in S3 write data events on the created trail (PutObject, CopyObject, DeleteObject …; readOnly = false), one entry per bucket (arn:aws:s3:::bucket) or bucket prefix (arn:aws:s3:::bucket/prefix/). Data events cost per event, and they let rules on object calls (e.g. s3-copy-object-to-external-account) fire. Writes to the rules file object are always logged (they are few). The log bucket itself is refused: CloudTrail logging its own deliveries loops."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.data_event_s3_arn_prefixes : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", a))])
    error_message = "Every data_event_s3_arn_prefixes entry must be an S3 bucket ARN (arn:aws:s3:::bucket) or a bucket/prefix ARN (arn:aws:s3:::bucket/prefix/)."
  }
}

variable "enable_insights" {
  description = "CloudTrail Insights on the created trail (ApiCallRateInsight and ApiErrorRateInsight): unusual write-call volumes and error rates, delivered under <s3_key_prefix>/AWSLogs/<account>/CloudTrail-Insight/. Costs per 100,000 write management events analysed."
  type        = bool
  default     = false
}

variable "object_lock_retention_days" {
  description = "S3 Object Lock in governance mode on the created log bucket: every new log file version (and the rules file) is protected from deletion and overwrite for this many days, except by principals with s3:BypassGovernanceRetention who send the bypass header. 0 (the default) leaves Object Lock off. Enabling it is one-way: AWS never turns Object Lock off on a bucket again (set 0 later and only the default retention goes). It is enabled on the already versioned bucket with PutObjectLockConfiguration (AWS accepts that on existing buckets since late 2023), so turning it on later does not replace the bucket. A locked version can only be deleted early by a principal allowed s3:BypassGovernanceRetention that sends the bypass header."
  type        = number
  default     = 0

  validation {
    condition     = var.object_lock_retention_days >= 0 && floor(var.object_lock_retention_days) == var.object_lock_retention_days
    error_message = "object_lock_retention_days must be a whole number >= 0."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted log file version is kept before it is removed for good."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number >= 1."
  }
}

################################################################################
# Existing-bucket mode: the ways in (existing_bucket.tf)
################################################################################

variable "existing_bucket_delivery" {
  description = <<-EOT
    With create_trail = false: how new log files of the existing bucket reach the function without the module taking over the bucket's single notification configuration.
    "eventbridge": an EventBridge rule on this account's default bus matches the bucket's "Object Created" events under <s3_key_prefix>/AWSLogs/ and invokes the function (a Lambda permission bound to that rule). The bucket owner must turn on EventBridge notifications on the bucket, which the module cannot do without owning the configuration: add "EventBridgeConfiguration": {} to the current configuration, keeping every existing entry (the existing_bucket_setup output prints the commands). EventBridge receives a bucket's events in the bucket's own account and region, so the bucket must be in this stack's account and region (otherwise forward the events to this account's default bus, or use "sns").
    "sns": the function subscribes to existing_bucket_sns_topic_arn: an S3 fan-out topic that the bucket's notification targets (every consumer subscribes to it), or the existing trail's own SNS topic (its sns_topic_name); the function reads both message shapes.
    "none": nothing; wire the function yourself (or keep create_bucket_notification = true).
    null (the default) means "eventbridge" when create_trail = false and create_bucket_notification is not true, and "none" otherwise. Why not "none": an existing-bucket deployment with no way in has a function that nothing invokes, and "eventbridge" is the one way in that changes nothing the bucket's other consumers use and needs no topic: until the owner turns the bucket's EventBridge notifications on, the rule sees nothing and costs nothing, and the heartbeat alarm (create_alarms) fires after heartbeat_minutes without a processed log file.
    Only with create_trail = false; "eventbridge" or "sns" together with create_bucket_notification = true is rejected (every log file would be read, and alerted on, twice).
  EOT
  type        = string
  default     = null

  validation {
    condition     = var.existing_bucket_delivery == null ? true : contains(["eventbridge", "sns", "none"], var.existing_bucket_delivery)
    error_message = "existing_bucket_delivery must be null, \"eventbridge\", \"sns\" or \"none\"."
  }
}

variable "existing_bucket_sns_topic_arn" {
  description = "With existing_bucket_delivery = \"sns\" (required there, refused otherwise): ARN of the standard SNS topic announcing the existing bucket's new log files, in this stack's region: an S3 fan-out topic the bucket's notification sends ObjectCreated under <s3_key_prefix>/AWSLogs/ to, or the existing trail's own SNS topic. The module subscribes the function (protocol lambda) and lets that topic invoke it. A topic in another account must first allow this account sns:Subscribe (see the existing_bucket_setup output)."
  type        = string
  default     = null

  validation {
    condition     = var.existing_bucket_sns_topic_arn == null ? true : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.existing_bucket_sns_topic_arn))
    error_message = "existing_bucket_sns_topic_arn must be a standard SNS topic ARN (arn:aws:sns:<region>:<account>:<name>; FIFO topics deliver to SQS only, not to Lambda)."
  }
}

################################################################################
# Alerts
################################################################################

variable "alert_emails" {
  description = "Email addresses subscribed to every alert (and to the alarm topic unless alarm_emails is set). Each recipient must confirm the subscription; confirm with `aws sns confirm-subscription --topic-arn <topic> --token <Token of the confirmation link> --authenticate-on-unsubscribe true` instead of clicking the link, so that the unsubscribe link in every message cannot cancel it without AWS credentials (infra/sns.tf)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Every alert_emails entry must be an email address."
  }
}

variable "alert_sms_numbers" {
  description = "Phone numbers in E.164 form (+<country><number>) that get alerts of severity sms_min_severity or above by SMS."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.alert_sms_numbers : can(regex("^\\+[1-9][0-9]{1,14}$", n))])
    error_message = "Every alert_sms_numbers entry must be an E.164 phone number such as +14155550100."
  }
}

variable "sms_min_severity" {
  description = "Lowest alert severity sent by SMS: low, medium, high or critical."
  type        = string
  default     = "high"

  validation {
    condition     = contains(["low", "medium", "high", "critical"], var.sms_min_severity)
    error_message = "sms_min_severity must be one of low, medium, high, critical."
  }
}

variable "create_alarms" {
  description = "Create the CloudWatch alarms on the pipeline (errors, throttles, on-failure queue depth, the heartbeat dead-man's switch, malformed and unevaluated records, failed alert deliveries, SMS spend, forged dedup marks, refused foreign fast-path events), notifying the alarm topic; and a FailedInvocations alarm per watchdog and fast-path EventBridge rule, notifying the alarm and alert topics."
  type        = bool
  default     = true
}

################################################################################
# Watchers: keys, alarms, the alarm topic, the EventBridge watchdog
################################################################################

variable "key_administrator_arns" {
  description = <<-EOT
    IAM role or user ARNs (wildcards allowed, matched with ArnLike against aws:PrincipalArn) that alone may disable the KMS keys, schedule their deletion or change their key policies, change the topics' delivery (topic policies), the dedup table and its policy, and the log bucket's notification, policy, lifecycle, replication, ownership, public access block and Object Lock, and delete log files, archived findings and query results. They are also the exception of the service_control_policy_json output. null: the principal applying Terraform (for an assumed role, the role's ARN, so later `terraform apply` runs by the same role keep working); plan and apply then warn (check key_administrators_chosen).
    Break-glass: an administrator principal changes the key policy (kms:PutKeyPolicy, or `terraform apply` with a new list). The Deny binds the account root user too. The exception matches the ARN string, so a deleted listed role can be recreated with the same path and name by an IAM administrator (or the root user) and used again; if no listed principal can be used or recreated, nobody in the account can change the policy and AWS Support must restore access to the key. Keep at least one durable, tightly held role in this list (not only a person's SSO session role), and guard who may change its trust policy: that is who can become a key administrator.
  EOT
  type        = list(string)
  default     = null

  validation {
    condition = var.key_administrator_arns == null ? true : (length(var.key_administrator_arns) > 0 && alltrue([
      for a in var.key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/*?-]+$", a))
    ]))
    error_message = "key_administrator_arns must be null or a non-empty list of IAM role or user ARNs (arn:aws:iam::<account>:role/<name> or :user/<name>; wildcards * and ? allowed)."
  }
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic (every CloudWatch alarm of the stack and the EventBridge watchdog). null: the alert_emails. Each recipient must confirm (see alert_emails on confirming with authentication on unsubscribe)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.alarm_emails == null ? true : alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Every alarm_emails entry must be an email address."
  }
}

variable "alarm_sms_numbers" {
  description = "E.164 phone numbers that get every alarm by SMS. Alarms never go by SMS otherwise (alert_sms_numbers get alerts only)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.alarm_sms_numbers : can(regex("^\\+[1-9][0-9]{1,14}$", n))])
    error_message = "Every alarm_sms_numbers entry must be an E.164 phone number such as +14155550100."
  }
}

variable "extra_subscription_protocols" {
  description = "Subscription protocols, besides email and sms for the module's own subscriptions, that principals of this account may use to subscribe to the alert and alarm topics (e.g. [\"https\"] for a chat webhook, [\"sqs\"]). The topic policies deny every other protocol and every other account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.extra_subscription_protocols : contains(["http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"], p)])
    error_message = "extra_subscription_protocols entries must be SNS protocols: http, https, email, email-json, sms, sqs, application, lambda, firehose."
  }
}

variable "heartbeat_minutes" {
  description = "The dead-man's switch: minutes without a single invocation of the function (AWS/Lambda Invocations, a metric nobody can write with PutMetricData) after which the heartbeat alarm fires; no data at all counts as breaching. CloudTrail delivers a log file (an invocation) about every 5 minutes per region while the account is active. A whole number from 10 to 1440 (the alarm's period is heartbeat_minutes x 60 seconds, a period CloudWatch accepts, at most one day)."
  type        = number
  default     = 60

  validation {
    condition     = floor(var.heartbeat_minutes) == var.heartbeat_minutes && var.heartbeat_minutes >= 10 && var.heartbeat_minutes <= 1440
    error_message = "heartbeat_minutes must be a whole number from 10 to 1440."
  }
}

variable "sms_spend_alarm_usd" {
  description = "Month-to-date SMS spend, in USD, at which the SMS-spend alarm fires (created only with alert_sms_numbers). SNS stops sending SMS silently at the account's monthly SMS spend limit, $1.00 by default: the default 0.80 is 80 % of it. Set it below your own limit if you raised it."
  type        = number
  default     = 0.8

  validation {
    condition     = var.sms_spend_alarm_usd > 0
    error_message = "sms_spend_alarm_usd must be greater than 0."
  }
}

variable "create_watchdog" {
  description = "Create the EventBridge rules (one per watched part, each also watching the next: a ring) that send CloudTrail calls tampering with this stack's resources straight to the alarm and alert topics, independently of the function. IAM calls on the function's role and the key administrators' roles reach EventBridge in us-east-1 only: that rule (\"iam\") exists only when the stack is applied in us-east-1; elsewhere the function's rule reports them from the (multi-region) trail."
  type        = bool
  default     = true
}

variable "watchdog_secondary_target_arn" {
  description = "A third target of every watchdog rule, outside this account, so that an administrator of this account who silences both topics is still reported: an EventBridge event bus ARN of another account (arn:aws:events:<region>:<account>:event-bus/<name>; the module creates a role allowed events:PutEvents on exactly that bus, and the bus's policy must accept this account) or an SNS topic ARN (its policy must let events.amazonaws.com publish with aws:SourceArn = the watchdog_rule_arns output). null: none."
  type        = string
  default     = null

  validation {
    condition     = var.watchdog_secondary_target_arn == null || can(regex("^arn:aws[a-z-]*:(events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._/-]+|sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256})$", var.watchdog_secondary_target_arn))
    error_message = "watchdog_secondary_target_arn must be null, an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>) or a standard SNS topic ARN."
  }
}

################################################################################
# Alerter function
################################################################################

variable "lambda_zip_path" {
  description = "Path of the function zip made by `cargo lambda build --release --arm64 --output-format zip -p trailwarden-alerter` (target/lambda/trailwarden-alerter/bootstrap.zip at the repository root)."
  type        = string

  validation {
    condition     = endswith(var.lambda_zip_path, ".zip")
    error_message = "lambda_zip_path must name a .zip file."
  }
}

variable "lambda_architecture" {
  description = "Instruction set the zip was built for: arm64 (cargo lambda build --arm64) or x86_64 (--x86-64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_memory_size" {
  description = "Memory of the function, in MB (128-10240). Log files are streamed, so 128 is enough for most accounts."
  type        = number
  default     = 128

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240
    error_message = "lambda_memory_size must be between 128 and 10240."
  }
}

variable "lambda_timeout" {
  description = "Timeout of one invocation (one or more log files), in seconds (1-900)."
  type        = number
  default     = 60

  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 900
    error_message = "lambda_timeout must be between 1 and 900."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Concurrent executions reserved for the function, which also caps them. -1 reserves none (needed where the account's concurrency quota is the minimum of 10)."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_reserved_concurrency == -1 || var.lambda_reserved_concurrency >= 1
    error_message = "lambda_reserved_concurrency must be -1 or at least 1 (0 would stop the function)."
  }
}

variable "lambda_max_retry_attempts" {
  description = "Retries of a failed asynchronous invocation (0-2) before the event goes to the on-failure queue."
  type        = number
  default     = 2

  validation {
    condition     = contains([0, 1, 2], var.lambda_max_retry_attempts)
    error_message = "lambda_max_retry_attempts must be 0, 1 or 2."
  }
}

variable "lambda_max_event_age_seconds" {
  description = "Maximum age, in seconds (60-21600), of an S3 event the function will still retry before sending it to the on-failure queue."
  type        = number
  default     = 21600

  validation {
    condition     = var.lambda_max_event_age_seconds >= 60 && var.lambda_max_event_age_seconds <= 21600
    error_message = "lambda_max_event_age_seconds must be between 60 and 21600."
  }
}

variable "lambda_log_retention_days" {
  description = "Retention, in days, of the function's CloudWatch Logs group. 0 keeps logs forever."
  type        = number
  default     = 365

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.lambda_log_retention_days)
    error_message = "lambda_log_retention_days must be 0 or a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "lambda_tracing_mode" {
  description = "X-Ray tracing of the function: Active (traces every invocation; adds xray:PutTraceSegments/PutTelemetryRecords, which only accept \"*\") or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.lambda_tracing_mode)
    error_message = "lambda_tracing_mode must be Active or PassThrough."
  }
}

variable "email_include_record" {
  description = "Whether alert emails include the raw CloudTrail record (records can carry secrets in request parameters). The JSON body of every alert keeps the record either way. Sets EMAIL_INCLUDE_RECORD."
  type        = bool
  default     = true
}

variable "rust_log" {
  description = "RUST_LOG of the function (tracing filter directives, e.g. \"info\" or \"info,aws_smithy_runtime=warn\")."
  type        = string
  default     = "info"

  validation {
    condition     = length(trimspace(var.rust_log)) > 0
    error_message = "rust_log must not be empty."
  }
}

variable "rules_config" {
  description = "Content of the trailwarden rules file (TOML: profile, enable/disable, trusted_accounts, watched_access_keys, allowed_regions, exclusions, custom_rules; see README \"Configuration\"). Stored as an SSE-KMS object in the log bucket under trailwarden/rules.toml, with the module's generated [pipeline] table (this deployment's own resource ARNs) appended, and read by the function at cold start, which checks the stored file's SHA-256 (TRAILWARDEN_CONFIG_SHA256). null stores only the [pipeline] table: the recommended profile with no exclusions. Must not contain a [pipeline] table of its own."
  type        = string
  default     = null

  # The module writes [pipeline]; a second one would be a TOML duplicate-table error at the function's cold start.
  validation {
    condition     = var.rules_config == null ? true : !can(regex("(?m)^[ \\t]*(\\[+[ \\t]*\"?pipeline\"?[ \\t]*[\\].]|\"?pipeline\"?[ \\t]*[=.])", var.rules_config))
    error_message = "rules_config must not contain a [pipeline] table (or pipeline keys): the module appends it with this deployment's resource ARNs."
  }
}

variable "code_signing_config_arn" {
  description = "ARN of a Lambda code signing configuration the zip must satisfy (AWS Signer). null deploys unsigned code."
  type        = string
  default     = null

  validation {
    condition     = var.code_signing_config_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.code_signing_config_arn))
    error_message = "code_signing_config_arn must be a Lambda code signing config ARN (arn:aws:lambda:<region>:<account>:code-signing-config:csc-<id>)."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long, in seconds (60-1209600), a failed invocation stays in the on-failure queue."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

################################################################################
# Fast path: EventBridge → SQS → the function, and the dedup table (fast_path.tf, dynamodb.tf)
################################################################################

variable "enable_fast_path" {
  description = "Alert within seconds: CloudTrail's management events that a rule could match go from this region's default EventBridge bus (one rule per generated pattern) to a KMS-encrypted SQS queue with its own DLQ, which invokes the function in batches; the S3 path stays the complete record and the dedup table (enable_dedup, required) keeps each finding to one alert. Costs: EventBridge rules on AWS service events are free, SQS requests and Lambda invocations per batch, DynamoDB on-demand reads and writes per finding (see README). Events of global services (IAM, STS's global endpoint, console sign-in) arrive in us-east-1 only: elsewhere add modules/eventbridge-forwarder for us-east-1."
  type        = bool
  default     = true
}

variable "fast_path_patterns_json" {
  description = "The output of `trailwarden rules eventbridge-pattern --config <your rules file>` (JSON: patterns, read_only_management_events, widened_by), for a rules file other than the default configuration; null uses infra/eventbridge-patterns.json (the recommended profile). One EventBridge rule is created per pattern."
  type        = string
  default     = null

  validation {
    condition     = var.fast_path_patterns_json == null ? true : can(length(jsondecode(var.fast_path_patterns_json).patterns) > 0)
    error_message = "fast_path_patterns_json must be the JSON output of `trailwarden rules eventbridge-pattern` with a non-empty patterns list."
  }
}

variable "fast_path_batch_size" {
  description = "Most messages (CloudTrail events) per invocation of the fast path (1-10000; above 10 needs a batching window of at least 1 s)."
  type        = number
  default     = 100

  validation {
    condition     = var.fast_path_batch_size >= 1 && var.fast_path_batch_size <= 10000 && floor(var.fast_path_batch_size) == var.fast_path_batch_size
    error_message = "fast_path_batch_size must be a whole number between 1 and 10000."
  }
}

variable "fast_path_batching_window_seconds" {
  description = "Longest wait, in seconds (0-300), for a batch of the fast path to fill before the function is invoked: the latency it adds at most. Must be at least 1 with fast_path_batch_size above 10."
  type        = number
  default     = 10

  validation {
    condition     = var.fast_path_batching_window_seconds >= 0 && var.fast_path_batching_window_seconds <= 300 && floor(var.fast_path_batching_window_seconds) == var.fast_path_batching_window_seconds
    error_message = "fast_path_batching_window_seconds must be a whole number between 0 and 300."
  }
}

variable "fast_path_max_receive_count" {
  description = "Receives of a fast-path message (the first attempt and the retries of a failure the function reported) before it moves to the fast-path DLQ (1-1000)."
  type        = number
  default     = 5

  validation {
    condition     = var.fast_path_max_receive_count >= 1 && var.fast_path_max_receive_count <= 1000 && floor(var.fast_path_max_receive_count) == var.fast_path_max_receive_count
    error_message = "fast_path_max_receive_count must be a whole number between 1 and 1000."
  }
}

variable "fast_path_maximum_concurrency" {
  description = "Most concurrent instances of the function serving the fast path (the event source mapping's maximum concurrency, 2-1000; below lambda_reserved_concurrency so the S3 path keeps instances). null: no cap."
  type        = number
  default     = 2

  validation {
    condition     = var.fast_path_maximum_concurrency == null ? true : (var.fast_path_maximum_concurrency >= 2 && var.fast_path_maximum_concurrency <= 1000 && floor(var.fast_path_maximum_concurrency) == var.fast_path_maximum_concurrency)
    error_message = "fast_path_maximum_concurrency must be null or a whole number between 2 and 1000."
  }
}

variable "enable_dedup" {
  description = "The DynamoDB dedup table (on demand, encrypted with the alert key, TTL on expires_at, point-in-time recovery), keyed by finding id: a finding published once (on the fast path, or before a Lambda retry of the same S3 event) is not published again. Each mark carries an HMAC from a KMS key (HMAC_256) that only the function's role may use, and the table's resource policy lets only that role write items: a mark written by anyone else cannot hold an alert back (DedupMarkUnauthenticated alarm). Sets DEDUP_TABLE, DEDUP_TTL_HOURS and DEDUP_MAC_KEY_ID. Required by enable_fast_path."
  type        = bool
  default     = true
}

variable "dedup_ttl_hours" {
  description = "How long, in hours, a published finding stays marked (DEDUP_TTL_HOURS). It must outlive the longest delay between the two paths: CloudTrail's delivery of the log file (typically 5-15 minutes) and the function's retries of an S3 event (lambda_max_event_age_seconds)."
  type        = number
  default     = 72

  validation {
    condition     = var.dedup_ttl_hours >= 1 && var.dedup_ttl_hours <= 8760 && floor(var.dedup_ttl_hours) == var.dedup_ttl_hours
    error_message = "dedup_ttl_hours must be a whole number between 1 and 8760."
  }
}

################################################################################
# History on Athena and the findings archive (athena.tf, archive.tf)
################################################################################

variable "enable_athena" {
  description = "Create the Glue database <name_prefix> (hyphens as underscores) with the CloudTrail table `cloudtrail` over the trail bucket (partition projection on account, region and day), the Athena workgroup <name_prefix>-hunting (enforced, results SSE-KMS under athena-results/, bytes-scanned cutoff) and the hunts as saved queries. Costs nothing until queries run (Athena bills per TB scanned)."
  type        = bool
  default     = false
}

variable "athena_accounts" {
  description = "Accounts the CloudTrail table projects (partition `account`): every account whose logs are in the bucket (an organization trail's member accounts). null = this account."
  type        = list(string)
  default     = null

  validation {
    condition     = length(var.athena_accounts == null ? ["-"] : var.athena_accounts) > 0 && alltrue([for a in(var.athena_accounts == null ? ["000000000000"] : var.athena_accounts) : can(regex("^[0-9]{12}$", a))])
    error_message = "athena_accounts must be null or a non-empty list of 12-digit account ids."
  }
}

variable "athena_regions" {
  description = "Regions the CloudTrail table projects (partition `region`): every region the trail logs (a multi-region trail: all enabled regions). null = this region."
  type        = list(string)
  default     = null

  validation {
    condition     = length(var.athena_regions == null ? ["-"] : var.athena_regions) > 0 && alltrue([for r in(var.athena_regions == null ? ["us-east-1"] : var.athena_regions) : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", r))])
    error_message = "athena_regions must be null or a non-empty list of region names (e.g. us-east-1)."
  }
}

variable "athena_start_date" {
  description = "First day (yyyy/MM/dd) the CloudTrail table's day projection (and the findings table's) covers; the range runs to NOW. Days without logs cost nothing but an empty S3 listing when a query reads them."
  type        = string
  default     = "2020/01/01"

  validation {
    condition     = can(regex("^[0-9]{4}/(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])$", var.athena_start_date))
    error_message = "athena_start_date must be a date written yyyy/MM/dd."
  }
}

variable "athena_organization_id" {
  description = "Organization id (o-…) in the log path of an existing organization trail (create_trail = false): <s3_key_prefix>/AWSLogs/<org-id>/<account>/…. null: taken from the organization when this module creates an organization trail, else no organization segment."
  type        = string
  default     = null

  validation {
    condition     = var.athena_organization_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.athena_organization_id))
    error_message = "athena_organization_id must be an organization id (o- followed by 10-32 lowercase letters or digits)."
  }
}

variable "athena_bytes_scanned_cutoff" {
  description = "Bytes one query of the hunting workgroup may scan before Athena cancels it (enforced; at least 10 MB). Default 1 TiB (about 5 USD at list price)."
  type        = number
  default     = 1099511627776

  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760 && floor(var.athena_bytes_scanned_cutoff) == var.athena_bytes_scanned_cutoff
    error_message = "athena_bytes_scanned_cutoff must be a whole number of bytes, at least 10485760 (Athena's minimum)."
  }
}

variable "athena_results_bucket_name" {
  description = "Bucket for the hunting workgroup's query results (under athena-results/; its owner's lifecycle applies). null = the created log bucket, where athena-results/ expires after athena_results_expiration_days. Required with create_trail = false."
  type        = string
  default     = null

  validation {
    condition     = var.athena_results_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.athena_results_bucket_name))
    error_message = "athena_results_bucket_name must be a valid S3 bucket name."
  }
}

variable "athena_results_expiration_days" {
  description = "Age, in days, at which query results under athena-results/ of the created log bucket expire (results are re-creatable copies; the lifecycle rule for log files never touches this prefix)."
  type        = number
  default     = 7

  validation {
    condition     = var.athena_results_expiration_days >= 1 && floor(var.athena_results_expiration_days) == var.athena_results_expiration_days
    error_message = "athena_results_expiration_days must be a whole number >= 1."
  }
}

variable "enable_findings_archive" {
  description = "The function also writes every finding of an invocation as one JSON line into one object per invocation, <findings_archive_prefix>day=YYYY-MM-DD/<request-id>.jsonl (SSE-KMS with the stack key), and the Glue table `findings` reads them. A failed archive write is counted (ArchiveFailed) and never fails alerting."
  type        = bool
  default     = false
}

variable "findings_archive_bucket_name" {
  description = "Bucket of the findings archive (its policy and key policy must let the function's role PutObject with the stack key). null = the log bucket, under findings_archive_prefix."
  type        = string
  default     = null

  validation {
    condition     = var.findings_archive_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.findings_archive_bucket_name))
    error_message = "findings_archive_bucket_name must be a valid S3 bucket name."
  }
}

variable "findings_archive_prefix" {
  description = "Key prefix of the findings archive, ending with / and outside <s3_key_prefix>/AWSLogs/."
  type        = string
  default     = "trailwarden-findings/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$", var.findings_archive_prefix))
    error_message = "findings_archive_prefix must be one or more key segments ending with / (no leading slash, no empty segment)."
  }
}

variable "findings_archive_expiration_days" {
  description = "Age, in days, at which archived findings in the created log bucket expire. 0 keeps them (as long as the bucket is kept)."
  type        = number
  default     = 0

  validation {
    condition     = var.findings_archive_expiration_days >= 0 && floor(var.findings_archive_expiration_days) == var.findings_archive_expiration_days
    error_message = "findings_archive_expiration_days must be a whole number >= 0."
  }
}
