resource "aws_cloudwatch_log_group" "lambda" {
  name              = local.lambda_log_group_name
  retention_in_days = var.lambda_log_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = var.tags
}

# Where an invocation that failed every attempt (a log file that could not be read, decoded or published) lands.
resource "aws_sqs_queue" "dlq" {
  name                              = "${local.function_name}-dlq"
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300

  tags = var.tags
}

resource "aws_lambda_function" "alerter" {
  #checkov:skip=CKV_AWS_116:Failed asynchronous invocations go to the SQS on-failure destination (aws_lambda_function_event_invoke_config below), the newer replacement of a dead-letter queue that also records the error and request context; a dead_letter_config as well would keep a second copy of every failure.
  #checkov:skip=CKV_AWS_117:The function only calls public AWS APIs (S3, KMS, SNS, SQS) and reaches no private resource; in a VPC it would need a NAT gateway or endpoints for all four services, and gain no isolation.
  #checkov:skip=CKV_AWS_272:Code signing is opt-in through code_signing_config_arn: it needs an AWS Signer profile and an S3-staged signing job that a local `cargo lambda build` zip does not have; the deployed zip is pinned by source_code_hash.
  function_name = local.function_name
  description   = "Real-time CloudTrail alerting: runs detection rules on each new log file and publishes alerts to SNS"
  role          = aws_iam_role.lambda.arn

  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = [var.lambda_architecture]

  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  reserved_concurrent_executions = var.lambda_reserved_concurrency
  kms_key_arn                    = aws_kms_key.this.arn
  code_signing_config_arn        = var.code_signing_config_arn

  environment {
    variables = merge({
      TOPIC_ARN            = aws_sns_topic.alerts.arn
      RUST_LOG             = var.rust_log
      EMAIL_INCLUDE_RECORD = tostring(var.email_include_record)
    }, local.rules_config_env, local.dedup_env, local.archive_env)
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.lambda.name
  }

  tracing_config {
    mode = var.lambda_tracing_mode
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = fileexists(var.lambda_zip_path)
      error_message = "lambda_zip_path does not exist: build it first with `cargo lambda build --release --arm64 --output-format zip -p trailwarden-alerter` (or --x86-64 with lambda_architecture = \"x86_64\")."
    }
  }

  # The rules file is in place before the function that checks its hash (a deploy that changes it still has a
  # window of seconds between the two updates, in which a cold start refuses to run and counts an error).
  depends_on = [
    aws_iam_role_policy.lambda,
    aws_cloudwatch_log_group.lambda,
    aws_s3_object.rules_config,
  ]
}

resource "aws_lambda_function_event_invoke_config" "alerter" {
  function_name                = aws_lambda_function.alerter.function_name
  maximum_retry_attempts       = var.lambda_max_retry_attempts
  maximum_event_age_in_seconds = var.lambda_max_event_age_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dlq.arn
    }
  }
}

resource "aws_lambda_permission" "s3" {
  statement_id   = "AllowInvokeFromCloudTrailBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.alerter.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = local.bucket_arn
  source_account = local.account_id

  lifecycle {
    precondition {
      condition     = var.create_trail || var.existing_bucket_name != null
      error_message = "existing_bucket_name is required when create_trail = false."
    }
  }
}

# Always stored: the user's rules (or none) and the generated [pipeline] table; the function checks the SHA-256
# of exactly these bytes (TRAILWARDEN_CONFIG_SHA256).
resource "aws_s3_object" "rules_config" {
  bucket                 = local.bucket_name
  key                    = local.rules_config_key
  content                = local.rules_config_content
  content_type           = "application/toml"
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.this.arn
  tags                   = var.tags
}

# The object was count-based (only with rules_config) before it was always stored.
moved {
  from = aws_s3_object.rules_config[0]
  to   = aws_s3_object.rules_config
}
