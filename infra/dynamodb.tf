################################################################################
# The dedup table (enable_dedup): one item per published finding, keyed by its finding id (the same id for the same
# record on the fast path and in its log file). The function marks a finding only after SNS accepted it, and skips
# findings already marked: the log file that follows a fast-path alert, and a Lambda retry of a half-published S3
# event, publish only what was not published yet. Items expire after dedup_ttl_hours (DynamoDB's TTL deletes them,
# free of charge, usually within a few days of expiry; the function also ignores expired items it reads).
# If the table cannot be read or written the function publishes anyway and counts DedupUnavailable: a duplicate,
# never a lost alert.
################################################################################

locals {
  dedup_table_name = "${var.name_prefix}-dedup"

  # Unset DEDUP_TABLE means no dedup (the function's contract).
  dedup_env = var.enable_dedup ? {
    DEDUP_TABLE     = local.dedup_table_name
    DEDUP_TTL_HOURS = tostring(var.dedup_ttl_hours)
  } : {}
}

resource "aws_dynamodb_table" "dedup" {
  count = var.enable_dedup ? 1 : 0

  name         = local.dedup_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "finding_id"

  attribute {
    name = "finding_id"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  # Cheap here (billed per GB of table, and the table holds a few days of finding ids): a table deleted or
  # overwritten by mistake is restored with its marks, instead of every finding still in flight being published
  # twice.
  point_in_time_recovery {
    enabled = true
  }

  tags = var.tags

  lifecycle {
    # The marks must outlive the longest delay between the two paths: CloudTrail's delivery of the log file and
    # the function's retries of its S3 event (lambda_max_event_age_seconds).
    precondition {
      condition     = var.dedup_ttl_hours * 3600 > var.lambda_max_event_age_seconds
      error_message = "dedup_ttl_hours must exceed lambda_max_event_age_seconds (a retried S3 event must still find the marks of what it published)."
    }
  }
}
