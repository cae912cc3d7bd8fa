################################################################################
# The pipeline's own resources that the rule trailwarden-pipeline-tampering watches (besides the log-path
# resources: bucket, rules object, function, role, alert topic, alert key, trail), and the EventBridge watchdog.
################################################################################

locals {
  # Names of every alarm this stack can create, and which of them exist with these variables. ARNs are built
  # from names (not from the alarm resources): the rules file lists them, the function's configuration carries
  # the file's SHA-256, and the alarms name the function, so resource references would form a cycle.
  alarm_names = {
    errors              = "${var.name_prefix}-alerter-errors"
    throttles           = "${var.name_prefix}-alerter-throttles"
    dlq_depth           = "${var.name_prefix}-alerter-dlq-depth"
    heartbeat           = "${var.name_prefix}-alerter-heartbeat"
    malformed_records   = "${var.name_prefix}-alerter-malformed-records"
    unevaluated_records = "${var.name_prefix}-alerter-unevaluated-records"
    alert_delivery      = "${var.name_prefix}-alert-delivery-failed"
    sms_spend           = "${var.name_prefix}-sms-spend"
  }
  created_alarm_keys = var.create_alarms ? [
    for k in keys(local.alarm_names) : k if k != "sms_spend" || length(var.alert_sms_numbers) > 0
  ] : []
  alarm_arns = [
    for k in local.created_alarm_keys :
    "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.alarm_names[k]}"
  ]

  watchdog_rule_name = "${var.name_prefix}-pipeline-watchdog"
  watchdog_rule_arn  = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.watchdog_rule_name}"

  # Appended by the log-path part to the rules file's [pipeline] resources: the alarm key, the alarm topic,
  # every alarm and the watchdog rule.
  pipeline_watch_arns = concat(
    [aws_kms_key.alarms.arn, aws_sns_topic.alarms.arn],
    local.alarm_arns,
    var.create_watchdog ? [local.watchdog_rule_arn] : [],
  )
}
