################################################################################
# Forwards the fast path's CloudTrail events from this provider's region to the function's region.
#
# EventBridge receives a CloudTrail event only in the region where the call was recorded, and the events of global
# services (IAM, STS's global endpoint, console sign-in) only in us-east-1. Instantiate this module once per region
# whose events the fast path should see (with a provider alias for that region): its rules (the same patterns as
# the function region's fast-path rules) send the matching events from this region's default bus to the function
# region's default bus, where the fast-path rules route them to the queue like local events (they keep their
# source, detail-type, detail and their own "region").
#
# Permissions. The target is a bus in the same account: the rule's IAM role (events:PutEvents on that one bus) is
# all it needs. A default bus accepts events from its own account; a resource-based policy on the destination bus
# is only needed to receive from other accounts (EventBridge user guide, "Permissions for event buses" and
# "Sending and receiving events between AWS Regions").
#
# Do not instantiate it in the function's own region (a rule forwarding to its own bus is refused below), nor in
# both directions between two regions.
################################################################################

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  spec     = jsondecode(var.patterns_json)
  patterns = local.spec.patterns
  # Read-only management events (Describe*, Get*, List* …) reach a rule only in this state, here as in the
  # function's region.
  state = try(local.spec.read_only_management_events, false) ? "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" : "ENABLED"

  region             = data.aws_region.current.name
  destination_region = split(":", var.destination_bus_arn)[3]
  rule_names         = [for i in range(length(local.patterns)) : "${var.name_prefix}-fast-path-fwd-${i}"]
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

# IAM is global: the role's name carries the region.
resource "aws_iam_role" "forward" {
  name               = "${var.name_prefix}-fast-path-fwd-${local.region}"
  description        = "Lets the trailwarden fast-path forwarding rules in ${local.region} put events on ${var.destination_bus_arn}"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags

  lifecycle {
    precondition {
      condition     = split(":", var.destination_bus_arn)[4] == data.aws_caller_identity.current.account_id
      error_message = "destination_bus_arn must be a bus of this account (${data.aws_caller_identity.current.account_id}): the forwarder is for the function's own account."
    }

    precondition {
      condition     = local.destination_region != local.region
      error_message = "The forwarder runs in another region than the function's (${local.destination_region}): give it a provider for a different region."
    }
  }
}

data "aws_iam_policy_document" "forward" {
  statement {
    sid       = "PutEventsOnFunctionRegionBus"
    actions   = ["events:PutEvents"]
    resources = [var.destination_bus_arn]
  }
}

resource "aws_iam_role_policy" "forward" {
  name   = "put-events"
  role   = aws_iam_role.forward.id
  policy = data.aws_iam_policy_document.forward.json
}

resource "aws_cloudwatch_event_rule" "forward" {
  count = length(local.patterns)

  name           = local.rule_names[count.index]
  description    = "trailwarden fast path (${count.index + 1}/${length(local.patterns)}): CloudTrail events of ${local.region} a rule could match, forwarded to ${local.destination_region}."
  event_bus_name = "default"
  state          = local.state
  event_pattern  = jsonencode(local.patterns[count.index])

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(jsonencode(local.patterns[count.index])) <= 2048
      error_message = "Pattern ${count.index} is longer than 2,048 characters (the EventBridge default quota): regenerate it with `trailwarden rules eventbridge-pattern`."
    }
  }
}

resource "aws_cloudwatch_event_target" "forward" {
  count = length(local.patterns)

  rule      = aws_cloudwatch_event_rule.forward[count.index].name
  target_id = "function-region-bus"
  arn       = var.destination_bus_arn
  role_arn  = aws_iam_role.forward.arn
}
