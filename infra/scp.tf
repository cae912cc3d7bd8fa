################################################################################
# The service control policy (output service_control_policy_json): what no policy of this account can stop.
#
# Resource policies here (keys, topics, bucket, dedup table) bind every principal of the account, but:
# - some calls have no resource policy to hold them: sns:Unsubscribe and sns:SetSubscriptionAttributes (SNS
#   authorizes them without any resource type, so no topic policy applies and an SCP must name Resource "*": it then
#   covers every subscription in the accounts it is attached to), EventBridge rules, Lambda functions and event
#   source mappings, trails, alarms, queues' attributes, IAM roles;
# - the account's root user can always replace a bucket policy (an S3 safeguard) and a DynamoDB resource policy that
#   locks it out; an SCP binds the root user of a member account.
# Each statement denies its calls to every principal whose aws:PrincipalArn is not one of local.administrator_arns.
# Attach it with AWS Organizations (an SCP on this account or its OU, from the management account):
#
#   terraform output -raw service_control_policy_json > scp.json
#   aws organizations create-policy --type SERVICE_CONTROL_POLICY --name trailwarden-<name_prefix> \
#     --description "trailwarden: nobody silences it quietly" --content file://scp.json
#   aws organizations attach-policy --policy-id <p-…> --target-id <this account id or its OU id>
#
# Limits, as AWS Organizations applies SCPs: they never restrict the organization's management account, nor
# service-linked roles, nor AWS service principals acting under a resource policy (S3, EventBridge and SNS invoking
# the function). An SCP holds at most 5,120 characters: the output is minified, and the check below warns when it
# is longer (name rules and alarms by this stack's name prefix, as the statements do, or split it).
################################################################################

locals {
  scp_administrators = local.administrator_arns
  scp_function_arns  = [local.function_arn, "${local.function_arn}:*"]
  scp_queue_arns = concat(
    ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.function_name}-dlq"],
    var.enable_fast_path ? [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.fast_path_queue_name}",
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.fast_path_dlq_name}",
    ] : [],
  )
  scp_rule_arns = concat(
    ["${local.fast_path_rule_arn_prefix}${var.name_prefix}-pipeline-watchdog-*"],
    var.enable_fast_path ? ["${local.fast_path_rule_arn_prefix}${var.name_prefix}-fast-path-*"] : [],
    local.existing_bucket_delivery == "eventbridge" ? [local.delivery_rule_arn] : [],
  )
  scp_key_arns = [for k in local.watched_keys : k.arn]
  scp_role_arns = distinct(concat(
    [aws_iam_role.lambda.arn],
    local.administrator_role_arns,
  ))

  service_control_policy_json = jsonencode(jsondecode(data.aws_iam_policy_document.scp.json))

  # What the second statement denies, by part: the calls, and the resources they are denied on.
  scp_denied = concat(
    [
      # The topics' delivery (the topic policies deny it too; here for the root user of a member account as well).
      { actions = local.topic_delivery_actions, resources = [aws_sns_topic.alerts.arn, aws_sns_topic.alarms.arn] },
      # The watchdog's rules, the fast path's and an existing bucket's delivery rule.
      {
        actions   = ["events:DisableRule", "events:DeleteRule", "events:PutRule", "events:RemoveTargets", "events:PutTargets"]
        resources = local.scp_rule_arns
      },
      # The function (and its versions and aliases): code, configuration, concurrency (0 stops it), who may invoke
      # it, where failures go; and the fast path's event source mapping.
      {
        actions = [
          "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
          "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:AddPermission",
          "lambda:RemovePermission", "lambda:PutFunctionEventInvokeConfig", "lambda:UpdateFunctionEventInvokeConfig",
          "lambda:DeleteFunctionEventInvokeConfig", "lambda:DeleteEventSourceMapping", "lambda:UpdateEventSourceMapping",
        ]
        resources = concat(local.scp_function_arns, aws_lambda_event_source_mapping.fast_path[*].arn)
      },
      # The keys (the alert key, the alarm key, the dedup MAC key).
      {
        actions = [
          "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKeyRotation",
          "kms:DeleteImportedKeyMaterial", "kms:CreateGrant",
        ]
        resources = local.scp_key_arns
      },
      # Every alarm of this stack is named "<name_prefix>-…".
      {
        actions   = ["cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions", "cloudwatch:PutMetricAlarm", "cloudwatch:SetAlarmState"]
        resources = ["${local.alarm_arn_prefix}*"]
      },
      { actions = ["sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:PurgeQueue"], resources = local.scp_queue_arns },
      # The function's role and the key administrators' roles: whoever changes their trust policy or policies acts
      # as them; passing the function's role to other code gives that code its rights.
      {
        actions = [
          "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePolicy",
          "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
          "iam:DeleteRole", "iam:PassRole",
        ]
        resources = local.scp_role_arns
      },
    ],
    var.create_trail ? [
      {
        actions   = ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"]
        resources = [local.trail_arn]
      },
      # The bucket's configuration, for the root user too (who can always replace a bucket policy).
      {
        actions = [
          "s3:PutBucketNotification", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration",
          "s3:PutBucketVersioning", "s3:PutBucketObjectLockConfiguration", "s3:PutEncryptionConfiguration",
          "s3:PutReplicationConfiguration", "s3:PutBucketOwnershipControls", "s3:PutBucketPublicAccessBlock",
          "s3:DeleteBucket",
        ]
        resources = [local.bucket_arn]
      },
    ] : [],
    # The dedup table and its resource policy, which the root user could otherwise replace.
    var.enable_dedup ? [{ actions = local.dedup_table_change_actions, resources = [local.dedup_table_arn] }] : [],
  )
}

# Two statements: the subscription calls (Resource "*", see above) and every other call on this stack's resources.
# One statement for all of them keeps the policy within the SCP size limit with several administrators (their ARNs
# appear once per statement); a Deny pairs each action with each resource, and an action never matches a resource
# of another service, so the pairs that matter are exactly those of local.scp_denied.
data "aws_iam_policy_document" "scp" {
  statement {
    sid       = "DenySubscriptionChangesExceptAdministrators"
    effect    = "Deny"
    actions   = ["sns:Unsubscribe", "sns:SetSubscriptionAttributes"]
    resources = ["*"]

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.scp_administrators
    }
  }

  statement {
    sid       = "DenyPipelineChangesExceptAdministrators"
    effect    = "Deny"
    actions   = distinct(flatten([for d in local.scp_denied : d.actions]))
    resources = distinct(flatten([for d in local.scp_denied : d.resources]))

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.scp_administrators
    }
  }
}

check "service_control_policy_size" {
  assert {
    condition     = length(local.service_control_policy_json) <= 5120
    error_message = "The service_control_policy_json output is ${length(local.service_control_policy_json)} characters, over the 5,120 AWS Organizations accepts in one SCP: shorten name_prefix or key_administrator_arns, or split its statements over two policies."
  }
}
