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
  # DEDUP_MAC_KEY_ID: the HMAC key (kms.tf) the function signs and verifies each mark with.
  dedup_env = var.enable_dedup ? {
    DEDUP_TABLE      = local.dedup_table_name
    DEDUP_TTL_HOURS  = tostring(var.dedup_ttl_hours)
    DEDUP_MAC_KEY_ID = aws_kms_key.dedup_mac[0].arn
  } : {}
  dedup_table_arn = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.dedup_table_name}"
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

# The table's resource policy: a mark is a promise that an alert went out, so only the function's role writes items
# (a mark written by anyone else suppresses an alert; the MAC key makes a forged mark fail verification, this policy
# keeps it from being written at all), and only the administrators change or delete the table or this policy. The
# Deny statements bind every principal of the account, IAM administrators included. Root user: DynamoDB lets the
# account's root user replace or delete a resource policy that denies it that (a lockout safeguard), which only the
# service control policy (scp.tf) stops. TTL expiry is DynamoDB itself and not subject to the policy.
resource "aws_dynamodb_resource_policy" "dedup" {
  count = var.enable_dedup ? 1 : 0

  resource_arn = aws_dynamodb_table.dedup[0].arn
  policy       = data.aws_iam_policy_document.dedup_table[0].json
}

locals {
  # Every action that writes, changes or deletes items (TransactWriteItems is authorized as these per item).
  dedup_item_write_actions = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
  ]
  # Calls that change or remove the table, its backups and recovery, its TTL or this policy.
  dedup_table_change_actions = [
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTimeToLive",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:PutResourcePolicy",
    "dynamodb:DeleteResourcePolicy",
  ]
}

data "aws_iam_policy_document" "dedup_table" {
  count = var.enable_dedup ? 1 : 0

  statement {
    sid       = "DenyItemWritesExceptAlerter"
    effect    = "Deny"
    actions   = local.dedup_item_write_actions
    resources = [local.dedup_table_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.lambda.arn]
    }
  }

  statement {
    sid       = "DenyTableChangesExceptAdministrators"
    effect    = "Deny"
    actions   = local.dedup_table_change_actions
    resources = [local.dedup_table_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.administrator_arns
    }
  }
}
