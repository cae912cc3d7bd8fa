variable "name_prefix" {
  description = "Prefix of the rule and role names (the root module's name_prefix). Lowercase letters, digits and hyphens, 2-24 characters."
  type        = string
  default     = "trailwarden"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "patterns_json" {
  description = "The fast path's patterns: the root module's fast_path_patterns_json output (the JSON of `trailwarden rules eventbridge-pattern`: patterns, read_only_management_events, widened_by). One forwarding rule per pattern."
  type        = string

  validation {
    condition     = can(length(jsondecode(var.patterns_json).patterns) > 0)
    error_message = "patterns_json must be the JSON of `trailwarden rules eventbridge-pattern` with a non-empty patterns list."
  }
}

variable "destination_bus_arn" {
  description = "ARN of the default event bus in the function's region (the root module's fast_path_event_bus_arn output), in this account and in another region than this provider's."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/default$", var.destination_bus_arn))
    error_message = "destination_bus_arn must be a default event bus ARN (arn:aws:events:<region>:<account>:event-bus/default)."
  }
}

variable "tags" {
  description = "Tags added to the rules and the role."
  type        = map(string)
  default     = {}
}
