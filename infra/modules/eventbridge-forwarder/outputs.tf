output "rule_arns" {
  description = "ARNs of the forwarding rules in this region, one per pattern."
  value       = aws_cloudwatch_event_rule.forward[*].arn
}

output "role_arn" {
  description = "ARN of the IAM role the forwarding rules put events with (events:PutEvents on destination_bus_arn only)."
  value       = aws_iam_role.forward.arn
}
