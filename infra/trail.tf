resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_252:Log-file delivery is already signalled by the S3 ObjectCreated notification that invokes the alerter; a CloudTrail SNS topic would be a second, redundant path (and the alert topic's email/SMS subscribers must not get one message per log file).
  count = var.create_trail ? 1 : 0

  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.trail[0].id
  s3_key_prefix                 = var.s3_key_prefix == "" ? null : var.s3_key_prefix
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = aws_kms_key.this.arn
  is_organization_trail         = var.is_organization_trail
  enable_logging                = var.enable_logging

  cloud_watch_logs_group_arn = local.trail_cwl ? "${aws_cloudwatch_log_group.trail[0].arn}:*" : null
  cloud_watch_logs_role_arn  = local.trail_cwl ? aws_iam_role.trail_cloudwatch[0].arn : null

  # With advanced event selectors, management events are only logged when a selector asks for them.
  advanced_event_selector {
    name = "Management events"

    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }
  }

  # Every write to the rules file (PutObject, CopyObject, DeleteObject …) as a data event: one object, written
  # at deploys only, so the cost is nil; the rule trailwarden-pipeline-tampering reads these records.
  advanced_event_selector {
    name = "Writes to the trailwarden rules file"

    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }

    field_selector {
      field  = "resources.type"
      equals = ["AWS::S3::Object"]
    }

    field_selector {
      field  = "readOnly"
      equals = ["false"]
    }

    field_selector {
      field  = "resources.ARN"
      equals = [local.rules_config_object_arn]
    }
  }

  # Opt-in: S3 write data events on chosen buckets or prefixes (a bucket ARN covers all of its objects).
  dynamic "advanced_event_selector" {
    for_each = length(var.data_event_s3_arn_prefixes) > 0 ? [1] : []

    content {
      name = "S3 writes on chosen buckets"

      field_selector {
        field  = "eventCategory"
        equals = ["Data"]
      }

      field_selector {
        field  = "resources.type"
        equals = ["AWS::S3::Object"]
      }

      field_selector {
        field  = "readOnly"
        equals = ["false"]
      }

      field_selector {
        field       = "resources.ARN"
        starts_with = [for a in var.data_event_s3_arn_prefixes : can(regex("^arn:[^:]+:s3:::[^/]+$", a)) ? "${a}/" : a]
      }
    }
  }

  dynamic "insight_selector" {
    for_each = var.enable_insights ? ["ApiCallRateInsight", "ApiErrorRateInsight"] : []

    content {
      insight_type = insight_selector.value
    }
  }

  tags = var.tags

  # CloudTrail checks at creation time that it may write to the bucket with the key.
  depends_on = [
    aws_s3_bucket_policy.trail,
    aws_s3_bucket_server_side_encryption_configuration.trail,
  ]

  lifecycle {
    # Data events on the log bucket would log CloudTrail's own deliveries: every delivery a new event, forever.
    precondition {
      condition     = alltrue([for a in var.data_event_s3_arn_prefixes : !startswith("${a}/", "${local.bucket_arn}/")])
      error_message = "data_event_s3_arn_prefixes must not name the log bucket (CloudTrail would log its own deliveries); the rules file's writes are logged already."
    }
  }
}

resource "aws_cloudwatch_log_group" "trail" {
  count = local.trail_cwl ? 1 : 0

  name              = local.trail_log_group_name
  retention_in_days = var.trail_log_group_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = var.tags
}
