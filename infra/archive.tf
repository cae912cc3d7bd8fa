################################################################################
# Findings archive (enable_findings_archive): the function writes every finding of an invocation as JSON lines,
# one object per invocation, to <bucket>/<prefix>day=YYYY-MM-DD/<request-id>.jsonl (SSE-KMS with the stack key;
# functions/alerter/src/adapters/archive.rs), and the Glue table `findings` reads them for Athena.
################################################################################

locals {
  # The created log bucket by default (outside <s3_key_prefix>/AWSLogs/, so neither the bucket policy's
  # DenyLogWritesExceptCloudTrail nor the log lifecycle rule nor the notification applies to it), or its own
  # bucket.
  findings_archive_bucket     = var.findings_archive_bucket_name != null ? var.findings_archive_bucket_name : local.bucket_name
  findings_archive_bucket_arn = "arn:${local.partition}:s3:::${local.findings_archive_bucket}"
  findings_archive_location   = "s3://${local.findings_archive_bucket}/${var.findings_archive_prefix}"

  archive_env = var.enable_findings_archive ? {
    ARCHIVE_BUCKET     = local.findings_archive_bucket
    ARCHIVE_PREFIX     = var.findings_archive_prefix
    ARCHIVE_KMS_KEY_ID = aws_kms_key.this.arn
  } : {}

  # One line of the archive (alerter::archive::ArchiveLine), in its order.
  findings_columns = [
    { name = "finding_id", type = "string" },
    { name = "rule_id", type = "string" },
    { name = "title", type = "string" },
    { name = "severity", type = "string" },
    { name = "event_id", type = "string" },
    { name = "event_name", type = "string" },
    { name = "event_source", type = "string" },
    { name = "event_time", type = "string" },
    { name = "account_id", type = "string" },
    { name = "region", type = "string" },
    { name = "principal", type = "string" },
    { name = "principal_type", type = "string" },
    { name = "source_ip", type = "string" },
    { name = "error_code", type = "string" },
    { name = "path", type = "string" },
    { name = "log_bucket", type = "string" },
    { name = "log_key", type = "string" },
    { name = "status", type = "string" },
    { name = "request_id", type = "string" },
  ]
}

# The function's only grant for the archive: PutObject under the prefix (kms:GenerateDataKey on the stack key is
# UseStackKey in iam.tf). Its own policy, so iam.tf only gains the attachment-free document below.
data "aws_iam_policy_document" "archive" {
  count = var.enable_findings_archive ? 1 : 0

  statement {
    sid       = "WriteFindingsArchive"
    actions   = ["s3:PutObject"]
    resources = ["${local.findings_archive_bucket_arn}/${var.findings_archive_prefix}*"]
  }
}

resource "aws_iam_role_policy" "archive" {
  count = var.enable_findings_archive ? 1 : 0

  name   = "${local.function_name}-findings-archive"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.archive[0].json

  lifecycle {
    precondition {
      condition     = !startswith(var.findings_archive_prefix, local.log_prefix) && !startswith(local.log_prefix, var.findings_archive_prefix)
      error_message = "findings_archive_prefix must be outside <s3_key_prefix>/AWSLogs/: the log bucket's policy lets only CloudTrail write there."
    }
    precondition {
      condition     = !startswith(var.findings_archive_prefix, "athena-results/") && !startswith(local.rules_config_key, var.findings_archive_prefix)
      error_message = "findings_archive_prefix must not hold the Athena results (athena-results/) or the rules file (trailwarden/rules.toml)."
    }
    precondition {
      condition     = var.create_trail || var.existing_bucket_name != null || var.findings_archive_bucket_name != null
      error_message = "enable_findings_archive with create_trail = false needs existing_bucket_name or findings_archive_bucket_name."
    }
  }
}

# The archive as a table: JSON lines, one partition per day (projected: nothing to load).
resource "aws_glue_catalog_table" "findings" {
  count = var.enable_findings_archive ? 1 : 0

  database_name = aws_glue_catalog_database.this[0].name
  name          = "findings"
  description   = "trailwarden findings archive (${local.findings_archive_location}), one JSON line per finding"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    "EXTERNAL"                     = "TRUE"
    "classification"               = "json"
    "projection.enabled"           = "true"
    "projection.day.type"          = "date"
    "projection.day.format"        = "yyyy-MM-dd"
    "projection.day.range"         = "${replace(var.athena_start_date, "/", "-")},NOW"
    "projection.day.interval"      = "1"
    "projection.day.interval.unit" = "DAYS"
    "storage.location.template"    = "${local.findings_archive_location}day=$${day}/"
  }

  partition_keys {
    name = "day"
    type = "string"
  }

  storage_descriptor {
    location      = local.findings_archive_location
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
    }

    dynamic "columns" {
      for_each = local.findings_columns

      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
