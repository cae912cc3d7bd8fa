terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.40 is the oldest 5.x with every argument used here (Lambda logging_config, SNS filter_policy_scope).
      version = "~> 5.40"
    }
  }
}
