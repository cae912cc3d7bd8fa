# Deploys trailwarden in the current account and region:
#
#   cargo lambda build --release --arm64 --output-format zip -p trailwarden-alerter   # at the repository root
#   terraform -chdir=infra/examples/complete init
#   terraform -chdir=infra/examples/complete apply -var 'alert_emails=["you@example.com"]'
#
# Copy this directory to start your own configuration: point `source` at the module and lambda_zip_path at the zip.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "trailwarden"
      ManagedBy = "terraform"
    }
  }
}

module "trailwarden" {
  source = "../.."

  name_prefix = var.name_prefix

  lambda_zip_path     = var.lambda_zip_path
  lambda_architecture = var.lambda_architecture

  alert_emails      = var.alert_emails
  alert_sms_numbers = var.alert_sms_numbers
  sms_min_severity  = var.sms_min_severity

  # Profile, trusted accounts, exclusions and custom rules: see trailwarden.toml beside this file.
  rules_config = file("${path.module}/trailwarden.toml")

  enable_logging       = var.enable_logging
  bucket_force_destroy = var.bucket_force_destroy

  #### Watchers: key administrators, alarm recipients, the heartbeat ####
  key_administrator_arns       = var.key_administrator_arns
  alarm_emails                 = var.alarm_emails
  heartbeat_minutes            = var.heartbeat_minutes
  extra_subscription_protocols = var.extra_subscription_protocols
  # A third target of every watchdog rule outside this account (another account's event bus or SNS topic).
  watchdog_secondary_target_arn = var.watchdog_secondary_target_arn

  #### Log path: where the trail writes, what else it records ####
  s3_key_prefix   = var.s3_key_prefix
  enable_insights = var.enable_insights

  #### Fast path: EventBridge -> SQS -> the function within seconds, deduplicated against the S3 path ####
  enable_fast_path = var.enable_fast_path

  #### History on Athena and the findings archive: Glue tables, the hunting workgroup, findings as JSON lines ####
  enable_athena           = var.enable_athena
  enable_findings_archive = var.enable_findings_archive
}

#### Fast path in other regions ####
# The fast-path rules see the events of this region's default bus only. Events of global services (IAM, STS's
# global endpoint, console sign-in) arrive in us-east-1 only, and each region's own API calls stay in that region.
# When var.region is not us-east-1, forward us-east-1's matching events here (repeat per region to cover):
#
# provider "aws" {
#   alias  = "us_east_1"
#   region = "us-east-1"
# }
#
# module "fast_path_forwarder_us_east_1" {
#   source    = "../../modules/eventbridge-forwarder"
#   providers = { aws = aws.us_east_1 }
#
#   name_prefix         = var.name_prefix
#   patterns_json       = module.trailwarden.fast_path_patterns_json
#   destination_bus_arn = module.trailwarden.fast_path_event_bus_arn
# }
