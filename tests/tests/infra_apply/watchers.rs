//! The watchers of the deployed stack (infra/kms.tf, alarms.tf, sns.tf, watchdog.tf), read back from moto after the
//! apply of infra/examples/complete: the two KMS keys and their Deny statements, the alarm topic and its key, every
//! alarm (the heartbeat dead-man's switch first) notifying the alarm topic, the alert topic's Subscribe limits, and
//! the EventBridge watchdog rule with its target.
//!
//! What moto 5.2 does with these (observed, and read in moto's source):
//! - Key policies: moto stores them as put and checks a key policy only on `DescribeKey`, honouring a Deny
//!   statement that names `kms:DescribeKey` whatever its principal and conditions. The Deny statements here name
//!   `kms:DisableKey`, `kms:ScheduleKeyDeletion` and `kms:PutKeyPolicy`, so moto enforces none of them: the destroy
//!   (`ScheduleKeyDeletion`, made by the caller, who is the default administrator) succeeds on moto, which proves
//!   the module can still be destroyed by its administrator only as far as the policy document goes. The statements
//!   are asserted as documents (exact actions, the `ArnNotLike aws:PrincipalArn` exception), nothing more.
//! - Topic policies: moto stores them and does not evaluate them on `Subscribe` or `Publish` (the e2e test's SQS
//!   inboxes subscribe to the alert topic although its policy denies the `sqs` protocol). They are asserted as
//!   documents.
//! - EventBridge: moto accepts the watchdog's pattern (`$or`, `prefix`) and stores it as put; it does not deliver
//!   to SNS targets, so the pattern is parsed and checked, not exercised.
//! - CloudWatch: alarms are stored with their settings; nothing is evaluated.

use aws_sdk_cloudwatch::types::MetricAlarm;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{output, set, state_resource, statement, strings, NAME_PREFIX};

/// The caller applying Terraform, as moto reports it, and so the default key administrator (the module takes the
/// issuer of `aws_iam_session_context` for the caller, which passes an ARN that is not an assumed role's through
/// unchanged). moto 5.2 answers GetCallerIdentity with `arn:aws:sts::123456789012:user/moto` for its default
/// user, where AWS would give `arn:aws:iam::<account>:user/<name>`.
const CALLER: &str = "arn:aws:sts::123456789012:user/moto";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// The watchdog's rules, in the module's order (the ring: each watches the next, the last the first). The example
/// is applied in us-east-1, where IAM's events reach EventBridge: the iam rule exists.
const WATCHDOG_PARTS: [&str; 11] = [
    "bucket", "rules", "function", "passrole", "topics", "subs", "keys", "trail", "alarms", "iam",
    "self",
];

fn sids(policy: &Value) -> BTreeSet<String> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str().map(str::to_owned))
        .collect()
}

/// The Deny of both key policies: the three calls that disable or take over a key, for every principal but the
/// administrators.
fn assert_key_tampering_denied(policy: &Value, key: &str) {
    let deny = statement(policy, "DenyKeyTamperingExceptAdministrators");
    assert_eq!(deny["Effect"], "Deny", "{key}: {deny}");
    assert_eq!(
        deny["Principal"],
        serde_json::json!({ "AWS": "*" }),
        "{key}"
    );
    assert_eq!(deny["Resource"], "*", "{key}");
    assert_eq!(
        strings(&deny["Action"]),
        set(&[
            "kms:DisableKey",
            "kms:ScheduleKeyDeletion",
            "kms:PutKeyPolicy"
        ]),
        "{key}: exactly these actions"
    );
    let condition = deny["Condition"].as_object().unwrap();
    assert_eq!(
        condition.keys().collect::<Vec<_>>(),
        ["ArnNotLike"],
        "{key}: {deny}"
    );
    assert_eq!(
        condition["ArnNotLike"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["aws:PrincipalArn"],
        "{key}"
    );
    assert_eq!(
        strings(&condition["ArnNotLike"]["aws:PrincipalArn"]),
        set(&[CALLER]),
        "{key}: the administrators default to the caller applying Terraform"
    );
    // Nothing else in the policy denies (or allows to "*") what the administrators need.
    for s in policy["Statement"].as_array().unwrap() {
        if s["Effect"] == "Deny" {
            assert_eq!(
                s["Sid"], "DenyKeyTamperingExceptAdministrators",
                "{key}: {s}"
            );
        }
    }
}

fn dimensions(alarm: &MetricAlarm) -> BTreeMap<String, String> {
    alarm
        .dimensions()
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_owned(),
                d.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// (namespace, metric, statistic, period, evaluation periods, comparison, threshold, missing data) of an alarm.
type AlarmShape = (String, String, String, i32, i32, String, f64, String);

fn shape(alarm: &MetricAlarm) -> AlarmShape {
    (
        alarm.namespace().unwrap_or_default().to_owned(),
        alarm.metric_name().unwrap_or_default().to_owned(),
        alarm
            .statistic()
            .map(|s| s.as_str())
            .unwrap_or_default()
            .to_owned(),
        alarm.period().unwrap_or_default(),
        alarm.evaluation_periods().unwrap_or_default(),
        alarm
            .comparison_operator()
            .map(|c| c.as_str())
            .unwrap_or_default()
            .to_owned(),
        alarm.threshold().unwrap_or(f64::NAN),
        alarm.treat_missing_data().unwrap_or_default().to_owned(),
    )
}

fn s(x: &str) -> String {
    x.to_owned()
}

/// A key policy as stored (GetKeyPolicy).
async fn key_policy(kms: &aws_sdk_kms::Client, key: &str) -> Value {
    let out = kms
        .get_key_policy()
        .key_id(key)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    serde_json::from_str(out.policy().unwrap()).unwrap()
}

async fn topic_attributes(sns: &aws_sdk_sns::Client, arn: &str) -> HashMap<String, String> {
    sns.get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default()
}

/// The watchers, read back from moto after the apply. `out` is `terraform output -json` by name, `state` is
/// `terraform show -json`.
pub async fn assert_deployed(
    sdk: &aws_config::SdkConfig,
    out: &HashMap<String, Value>,
    state: &Value,
) {
    let kms = aws_sdk_kms::Client::new(sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(sdk);
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let sns = alerter::sns_client(sdk);

    let alert_key = output(out, "kms_key_arn");
    let alarm_key = output(out, "alarm_kms_key_arn");
    let alert_topic = output(out, "topic_arn");
    let alarm_topic = output(out, "alarm_topic_arn");
    let rule_arns = strings(&out["watchdog_rule_arns"]);
    let function_name = output(out, "function_name");
    let bucket = output(out, "bucket_name");
    let trail_arn = output(out, "trail_arn");

    // 1. Two keys: the alarm key is a second, enabled key with its own alias.
    assert!(
        alarm_key.starts_with(&format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/")),
        "{alarm_key}"
    );
    assert_ne!(alarm_key, alert_key, "the alarm topic has its own key");
    let described = kms.describe_key().key_id(alarm_key).send().await.unwrap();
    let metadata = described.key_metadata().unwrap();
    assert_eq!(metadata.arn(), Some(alarm_key));
    assert_eq!(metadata.key_state().map(|s| s.as_str()), Some("Enabled"));
    let aliases = kms.list_aliases().send().await.unwrap();
    let alias_of = |name: &str| {
        aliases
            .aliases()
            .iter()
            .find(|a| a.alias_name() == Some(name))
            .and_then(|a| a.target_key_id())
            .map(str::to_owned)
    };
    assert_eq!(
        alias_of(&format!("alias/{NAME_PREFIX}-alarms")).as_deref(),
        Some(metadata.key_id())
    );

    // Both key policies, as stored (GetKeyPolicy): the Deny statement; the alarm key lets CloudWatch and EventBridge
    // use it; the alert key no longer names CloudWatch (alarms publish to the alarm topic).
    let alert_policy = key_policy(&kms, alert_key).await;
    let alarm_policy = key_policy(&kms, alarm_key).await;
    assert_key_tampering_denied(&alert_policy, "alert key");
    assert_key_tampering_denied(&alarm_policy, "alarm key");
    assert_eq!(
        sids(&alarm_policy),
        set(&[
            "AccountAdministersKey",
            "CloudWatchAlarmsPublishToAlarmTopic",
            "EventBridgeWatchdogPublishesToAlarmTopic",
            "DenyKeyTamperingExceptAdministrators",
        ])
    );
    for (sid, service) in [
        (
            "CloudWatchAlarmsPublishToAlarmTopic",
            "cloudwatch.amazonaws.com",
        ),
        (
            "EventBridgeWatchdogPublishesToAlarmTopic",
            "events.amazonaws.com",
        ),
    ] {
        let st = statement(&alarm_policy, sid);
        assert_eq!(st["Effect"], "Allow");
        assert_eq!(st["Principal"]["Service"], service);
        assert!(strings(&st["Action"]).contains("kms:Decrypt"), "{st}");
    }
    // The alert key serves CloudWatch and EventBridge for the alert topic only: the EventBridge rules'
    // FailedInvocations alarms and the watchdog rules publish to both topics (hardening.rs).
    for (sid, service) in [
        (
            "CloudWatchAlarmsPublishToAlertTopic",
            "cloudwatch.amazonaws.com",
        ),
        (
            "EventBridgeWatchdogPublishesToAlertTopic",
            "events.amazonaws.com",
        ),
    ] {
        let st = statement(&alert_policy, sid);
        assert_eq!(st["Effect"], "Allow");
        assert_eq!(st["Principal"]["Service"], service);
        assert!(strings(&st["Action"]).contains("kms:Decrypt"), "{st}");
    }
    let cloudwatch_statements: Vec<&Value> = alert_policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st.to_string().contains("cloudwatch.amazonaws.com"))
        .collect();
    assert_eq!(cloudwatch_statements.len(), 1, "{alert_policy}");

    // 2. The alarm topic: encrypted with the alarm key; its policy admits this stack's alarms and watchdog rule.
    assert_eq!(
        alarm_topic,
        format!("arn:aws:sns:{REGION}:{ACCOUNT}:{NAME_PREFIX}-alarms")
    );
    let alarm_attrs = topic_attributes(&sns, alarm_topic).await;
    assert_eq!(
        alarm_attrs.get("KmsMasterKeyId").map(String::as_str),
        Some(alarm_key),
        "the alarm topic is encrypted with the alarm key"
    );
    let alarm_topic_policy: Value =
        serde_json::from_str(alarm_attrs.get("Policy").expect("alarm topic policy")).unwrap();

    // The FailedInvocations alarm of every watchdog rule and every fast-path rule (hardening.rs checks them).
    let fast_path_rule_names: Vec<String> = events
        .list_rules()
        .name_prefix(format!("{NAME_PREFIX}-fast-path-"))
        .send()
        .await
        .unwrap()
        .rules()
        .iter()
        .map(|r| r.name().unwrap().to_owned())
        .collect();
    assert!(!fast_path_rule_names.is_empty());
    let rule_failed_names: BTreeSet<String> = WATCHDOG_PARTS
        .iter()
        .map(|p| format!("{NAME_PREFIX}-rule-failed-pipeline-watchdog-{p}"))
        .chain(fast_path_rule_names.iter().map(|n| {
            format!(
                "{NAME_PREFIX}-rule-failed-{}",
                n.trim_start_matches(&format!("{NAME_PREFIX}-"))
            )
        }))
        .collect();

    // 3. The alarms: every one notifies the alarm topic, on ALARM and on OK.
    let alarms: Vec<MetricAlarm> = cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("{NAME_PREFIX}-"))
        .send()
        .await
        .unwrap()
        .metric_alarms()
        .to_vec();
    let by_name: BTreeMap<String, &MetricAlarm> = alarms
        .iter()
        .map(|a| (a.alarm_name().unwrap_or_default().to_owned(), a))
        .collect();
    let name = |suffix: &str| format!("{NAME_PREFIX}-{suffix}");
    let expected_names: BTreeSet<String> = [
        "alerter-errors",
        "alerter-throttles",
        "alerter-dlq-depth",
        "alerter-heartbeat",
        "alerter-malformed-records",
        "alerter-unevaluated-records",
        "alert-delivery-failed",
        // The example is applied with alert_sms_numbers, so the SMS spend alarm exists.
        "sms-spend",
        // The example runs the fast path (enable_fast_path defaults to true): fast_path.rs checks these two.
        "fast-path-dlq-depth",
        "fast-path-queue-age",
        // The function's refusals (EMF): forged dedup marks, forged fast-path events (hardening.rs).
        "alerter-dedup-mark-unauthenticated",
        "alerter-foreign-events-refused",
    ]
    .iter()
    .map(|s| name(s))
    .chain(rule_failed_names.iter().cloned())
    .collect();
    assert_eq!(
        by_name.keys().cloned().collect::<BTreeSet<_>>(),
        expected_names
    );
    for (n, a) in &by_name {
        // The EventBridge rules' FailedInvocations alarms notify the alert topic too (hardening.rs).
        let topics: Vec<String> = if rule_failed_names.contains(n) {
            vec![alarm_topic.to_owned(), alert_topic.to_owned()]
        } else {
            vec![alarm_topic.to_owned()]
        };
        assert_eq!(a.alarm_actions(), topics, "{n}: alarm actions");
        assert_eq!(a.ok_actions(), topics, "{n}: OK actions");
        assert_eq!(a.actions_enabled(), Some(true), "{n}");
    }
    let alarm = |suffix: &str| *by_name.get(&name(suffix)).unwrap();

    // The dead-man's switch: fewer than 1 invocation over heartbeat_minutes (60), no data = breaching. AWS/Lambda
    // Invocations: PutMetricData refuses AWS/ namespaces, so no caller can keep it green by writing data points
    // (moto stores the alarm; the refusal is AWS's, not exercised here).
    let heartbeat = alarm("alerter-heartbeat");
    assert_eq!(
        shape(heartbeat),
        (
            s("AWS/Lambda"),
            s("Invocations"),
            s("Sum"),
            3600,
            1,
            s("LessThanThreshold"),
            1.0,
            s("breaching")
        )
    );
    assert_eq!(
        dimensions(heartbeat),
        BTreeMap::from([(s("FunctionName"), function_name.to_owned())])
    );
    let description = heartbeat.alarm_description().unwrap_or_default();
    for check in [
        "get-trail-status",
        "get-bucket-notification-configuration",
        "get-policy",
    ] {
        assert!(
            description.contains(check),
            "the heartbeat says what to check first: {description}"
        );
    }

    for (suffix, metric) in [
        ("alerter-malformed-records", "MalformedRecords"),
        ("alerter-unevaluated-records", "UnevaluatedRecords"),
    ] {
        let a = alarm(suffix);
        assert_eq!(
            shape(a),
            (
                s("trailwarden"),
                s(metric),
                s("Sum"),
                300,
                1,
                s("GreaterThanOrEqualToThreshold"),
                1.0,
                s("notBreaching")
            ),
            "{suffix}"
        );
        assert_eq!(
            dimensions(a),
            BTreeMap::from([(s("FunctionName"), function_name.to_owned())])
        );
    }
    let delivery = alarm("alert-delivery-failed");
    assert_eq!(
        shape(delivery),
        (
            s("AWS/SNS"),
            s("NumberOfNotificationsFailed"),
            s("Sum"),
            300,
            1,
            s("GreaterThanOrEqualToThreshold"),
            1.0,
            s("notBreaching")
        )
    );
    assert_eq!(
        dimensions(delivery),
        BTreeMap::from([(s("TopicName"), format!("{NAME_PREFIX}-alerts"))]),
        "failed deliveries of the ALERT topic"
    );
    let spend = alarm("sms-spend");
    assert_eq!(
        shape(spend),
        (
            s("AWS/SNS"),
            s("SMSMonthToDateSpentUSD"),
            s("Maximum"),
            300,
            1,
            s("GreaterThanOrEqualToThreshold"),
            0.8,
            s("notBreaching")
        )
    );
    assert!(dimensions(spend).is_empty(), "an account-wide metric");
    // The failure counters keep notBreaching: a silent function is the heartbeat's to report.
    for suffix in ["alerter-errors", "alerter-throttles", "alerter-dlq-depth"] {
        assert_eq!(
            alarm(suffix).treat_missing_data(),
            Some("notBreaching"),
            "{suffix}"
        );
    }

    // The alarm topic's policy: CloudWatch may publish for exactly these alarms, EventBridge for the watchdog.
    let alarm_arns: BTreeSet<String> = expected_names
        .iter()
        .map(|n| format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{n}"))
        .collect();
    let by_alarms = statement(&alarm_topic_policy, "ThisStacksAlarmsPublish");
    assert_eq!(
        by_alarms["Principal"]["Service"],
        "cloudwatch.amazonaws.com"
    );
    assert_eq!(strings(&by_alarms["Action"]), set(&["sns:Publish"]));
    assert_eq!(
        strings(&by_alarms["Condition"]["ArnLike"]["aws:SourceArn"]),
        alarm_arns
    );
    assert_eq!(
        by_alarms["Condition"]["StringEquals"]["aws:SourceAccount"],
        ACCOUNT
    );
    let by_rule = statement(&alarm_topic_policy, "WatchdogRulePublishes");
    assert_eq!(by_rule["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(
        strings(&by_rule["Condition"]["ArnEquals"]["aws:SourceArn"]),
        rule_arns
    );
    assert_eq!(
        by_rule["Condition"]["StringEquals"]["aws:SourceAccount"],
        ACCOUNT
    );
    let tls = statement(&alarm_topic_policy, "DenyInsecureTransport");
    assert_eq!(tls["Effect"], "Deny");
    assert_eq!(tls["Condition"]["Bool"]["aws:SecureTransport"], "false");
    assert_subscribe_limited(&alarm_topic_policy, "alarm topic", &["email"]);

    // Alarm subscriptions: alarm_emails defaults to alert_emails; no SMS (alarm_sms_numbers is empty).
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(alarm_topic)
        .send()
        .await
        .unwrap()
        .subscriptions
        .unwrap_or_default();
    let protocols: BTreeSet<(String, String)> = subs
        .iter()
        .map(|x| {
            (
                x.protocol.clone().unwrap_or_default(),
                x.endpoint.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        protocols,
        BTreeSet::from([(s("email"), s(super::ALERT_EMAIL))]),
        "alarms go to the alert emails and never by SMS unless alarm_sms_numbers is set"
    );

    // 4. The alert topic's policy: Subscribe limited to this account and the protocols of its subscriptions
    // (email and sms in the example); the alarms no longer publish to it.
    let alert_attrs = topic_attributes(&sns, alert_topic).await;
    let alert_topic_policy: Value =
        serde_json::from_str(alert_attrs.get("Policy").expect("alert topic policy")).unwrap();
    assert_subscribe_limited(&alert_topic_policy, "alert topic", &["email", "sms"]);
    // Only the EventBridge rules' FailedInvocations alarms publish to the alert topic; every other alarm notifies
    // the alarm topic alone.
    let alarms_to_alerts = statement(&alert_topic_policy, "ThisStacksAlarmsPublish");
    assert_eq!(
        strings(&alarms_to_alerts["Condition"]["ArnLike"]["aws:SourceArn"]),
        rule_failed_names
            .iter()
            .map(|n| format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{n}"))
            .collect::<BTreeSet<_>>(),
        "{alert_topic_policy}"
    );

    // 5. The watchdog: one rule per watched part on the default bus, each pattern within EventBridge's default
    // 2,048-character quota, each rule's only target the alarm topic; together they name this deployment's
    // resources and calls.
    let parts = WATCHDOG_PARTS;
    let rule_names: BTreeSet<String> = parts
        .iter()
        .map(|p| format!("{NAME_PREFIX}-pipeline-watchdog-{p}"))
        .collect();
    assert_eq!(
        rule_arns,
        rule_names
            .iter()
            .map(|n| format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{n}"))
            .collect::<BTreeSet<_>>()
    );
    let mut branches = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let rule_name = &format!("{NAME_PREFIX}-pipeline-watchdog-{part}");
        let rule = events.describe_rule().name(rule_name).send().await.unwrap();
        assert!(rule_arns.contains(rule.arn().unwrap()));
        assert_eq!(rule.state().map(|s| s.as_str()), Some("ENABLED"));
        assert_eq!(rule.event_bus_name(), Some("default"));
        let text = rule.event_pattern().unwrap();
        assert!(text.len() <= 2048, "{rule_name}: {} characters", text.len());
        let pattern: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            pattern["detail-type"],
            serde_json::json!(["AWS API Call via CloudTrail"]),
            "{pattern}"
        );
        // Top-level "$or" branches only (no nested "$or", no "detail" beside it).
        assert_eq!(pattern.as_object().unwrap().len(), 2, "{pattern}");
        let own = pattern["$or"].as_array().unwrap();
        assert!(
            own.iter().all(|b| b["detail"]["$or"].is_null()),
            "{pattern}"
        );
        // The ring: this rule also matches the calls that would disable, delete or retarget the next rule.
        let next = format!(
            "{NAME_PREFIX}-pipeline-watchdog-{}",
            parts[(i + 1) % parts.len()]
        );
        for parameter in ["name", "rule"] {
            assert!(
                own.iter().any(|b| {
                    let d = &b["detail"];
                    d["eventSource"] == serde_json::json!(["events.amazonaws.com"])
                        && matchers(&d["eventName"])
                            == set(&[
                                "DisableRule",
                                "DeleteRule",
                                "PutRule",
                                "RemoveTargets",
                                "PutTargets",
                            ])
                        && d["requestParameters"][parameter] == serde_json::json!([next])
                }),
                "{rule_name} watches {next} by {parameter}: {pattern}"
            );
        }
        branches.extend(own.iter().cloned());
        // Two targets: the alarm topic and the alert topic (no watchdog_secondary_target_arn in the example), no role.
        let targets = events
            .list_targets_by_rule()
            .rule(rule_name)
            .send()
            .await
            .unwrap();
        let by_id: BTreeMap<&str, &str> = targets
            .targets()
            .iter()
            .map(|t| (t.id(), t.arn()))
            .collect();
        assert_eq!(
            by_id,
            BTreeMap::from([("alarm-topic", alarm_topic), ("alert-topic", alert_topic)]),
            "{rule_name}: the watchdog pages through both topics"
        );
        assert!(targets.targets().iter().all(|t| t.role_arn().is_none()));
    }
    // The fast path's rules are watched too (the example runs the fast path).
    let fast_path_rules = events
        .list_rules()
        .name_prefix(format!("{NAME_PREFIX}-fast-path-"))
        .send()
        .await
        .unwrap();
    assert!(!fast_path_rules.rules().is_empty());
    let event_rule_names: BTreeSet<String> = rule_names
        .iter()
        .cloned()
        .chain(
            fast_path_rules
                .rules()
                .iter()
                .map(|r| r.name().unwrap().to_owned()),
        )
        .collect();
    // The rules' patterns as one: the branches of an `$or`.
    let pattern = serde_json::json!({
        "detail-type": ["AWS API Call via CloudTrail"],
        "$or": branches,
    });
    let mac_key = output(out, "dedup_mac_key_arn");
    let mapping = &state_resource(
        &state["values"]["root_module"],
        "module.trailwarden.aws_lambda_event_source_mapping.fast_path[0]",
    )["values"];
    let function_role = format!("arn:aws:iam::{ACCOUNT}:role/{function_name}-role");
    assert_watchdog_pattern(
        &pattern,
        &Watched {
            bucket,
            function_name,
            function_role: &function_role,
            topics: [alert_topic, alarm_topic],
            keys: [alert_key, alarm_key, mac_key],
            trail_arn,
            event_rule_names: &event_rule_names,
            mapping_uuid: mapping["uuid"].as_str().unwrap(),
            fast_path_queue_arn: mapping["event_source_arn"].as_str().unwrap(),
        },
    );

    // 6. What the module renders matches what moto holds (the documents above come back as put).
    let rendered = state_resource(
        &state["values"]["root_module"],
        "module.trailwarden.data.aws_iam_policy_document.kms_alarms",
    );
    let rendered: Value =
        serde_json::from_str(rendered["values"]["json"].as_str().unwrap()).unwrap();
    assert_eq!(
        rendered, alarm_policy,
        "the alarm key policy is stored as rendered"
    );
}

/// The Subscribe limits of a topic policy: an Allow for this account with exactly `protocols`, and two Deny
/// statements (another account; another protocol).
fn assert_subscribe_limited(policy: &Value, topic: &str, protocols: &[&str]) {
    let allow = statement(policy, "AccountSubscribesWithChosenProtocols");
    assert_eq!(allow["Effect"], "Allow", "{topic}");
    assert_eq!(
        strings(&allow["Action"]),
        set(&["sns:Subscribe"]),
        "{topic}"
    );
    assert_eq!(
        allow["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT}:root"),
        "{topic}"
    );
    assert_eq!(
        strings(&allow["Condition"]["StringEquals"]["sns:Protocol"]),
        set(protocols),
        "{topic}"
    );

    let other_account = statement(policy, "DenySubscribeOutsideAccount");
    assert_eq!(other_account["Effect"], "Deny", "{topic}");
    assert_eq!(
        strings(&other_account["Action"]),
        set(&["sns:Subscribe"]),
        "{topic}"
    );
    assert_eq!(
        strings(&other_account["Condition"]["StringNotEquals"]["aws:PrincipalAccount"]),
        set(&[ACCOUNT]),
        "{topic}"
    );
    let other_protocol = statement(policy, "DenySubscribeOtherProtocols");
    assert_eq!(other_protocol["Effect"], "Deny", "{topic}");
    assert_eq!(
        strings(&other_protocol["Action"]),
        set(&["sns:Subscribe"]),
        "{topic}"
    );
    assert_eq!(
        strings(&other_protocol["Condition"]["StringNotEquals"]["sns:Protocol"]),
        set(protocols),
        "{topic}"
    );
    // No other statement grants Subscribe.
    for st in policy["Statement"].as_array().unwrap() {
        if st["Effect"] == "Allow" && st["Sid"] != "AccountSubscribesWithChosenProtocols" {
            assert!(
                !strings(&st["Action"]).contains("sns:Subscribe"),
                "{topic}: only the protocol-limited statement allows Subscribe: {st}"
            );
        }
    }
}

/// This deployment's resources, as the watchdog must name them.
struct Watched<'a> {
    bucket: &'a str,
    function_name: &'a str,
    function_role: &'a str,
    topics: [&'a str; 2],
    /// The alert key, the alarm key, the dedup MAC key.
    keys: [&'a str; 3],
    trail_arn: &'a str,
    /// The watchdog's rules and the fast path's.
    event_rule_names: &'a BTreeSet<String>,
    mapping_uuid: &'a str,
    fast_path_queue_arn: &'a str,
}

/// Every `detail` of the watchdog's `$or` branches for `event_source` whose event names include `event_name`
/// (plain, or as a `prefix` filter); at least one.
fn branches<'a>(pattern: &'a Value, event_source: &str, event_name: &str) -> Vec<&'a Value> {
    let found: Vec<&Value> = pattern["$or"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["detail"])
        .filter(|d| {
            d["eventSource"] == serde_json::json!([event_source])
                && d["eventName"].as_array().is_some_and(|names| {
                    names
                        .iter()
                        .any(|n| n == event_name || n["prefix"] == event_name)
                })
        })
        .collect();
    assert!(
        !found.is_empty(),
        "no watchdog branch for {event_source} {event_name}: {pattern}"
    );
    found
}

/// The values of a pattern field: plain strings, and `prefix:…` for prefix filters.
fn matchers(field: &Value) -> BTreeSet<String> {
    field
        .as_array()
        .unwrap_or_else(|| panic!("not a list of matchers: {field}"))
        .iter()
        .map(|m| match m {
            Value::String(s) => s.clone(),
            other => format!("prefix:{}", other["prefix"].as_str().unwrap()),
        })
        .collect()
}

/// The union of the matchers of `field` under `requestParameters` over `branches` that have it.
fn parameter(branches: &[&Value], field: &str) -> BTreeSet<String> {
    branches
        .iter()
        .filter(|d| !d["requestParameters"][field].is_null())
        .flat_map(|d| matchers(&d["requestParameters"][field]))
        .collect()
}

fn assert_watchdog_pattern(pattern: &Value, w: &Watched<'_>) {
    assert_eq!(
        pattern["detail-type"],
        serde_json::json!(["AWS API Call via CloudTrail"]),
        "{pattern}"
    );

    // The log bucket's configuration.
    for call in [
        "PutBucketNotification",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketLifecycle",
        "DeleteBucketLifecycle",
        "PutBucketReplication",
        "PutBucketOwnershipControls",
        "PutBucketPublicAccessBlock",
        "PutObjectLockConfiguration",
    ] {
        for d in branches(pattern, "s3.amazonaws.com", call) {
            assert_eq!(
                matchers(&d["requestParameters"]["bucketName"]),
                set(&[w.bucket]),
                "{call}"
            );
        }
    }
    // The rules file object (data events): bucket and key.
    for d in branches(pattern, "s3.amazonaws.com", "PutObject") {
        assert_eq!(
            matchers(&d["requestParameters"]["bucketName"]),
            set(&[w.bucket])
        );
        assert_eq!(
            matchers(&d["requestParameters"]["key"]),
            set(&["trailwarden/rules.toml"])
        );
    }

    // The function: prefix matching of the versioned event names; every form of its name.
    let function_arn = format!(
        "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}",
        w.function_name
    );
    for call in [
        "UpdateFunctionConfiguration",
        "UpdateFunctionCode",
        "DeleteFunction",
        "PutFunctionConcurrency",
        "RemovePermission",
    ] {
        let found = branches(pattern, "lambda.amazonaws.com", call);
        for d in &found {
            assert!(
                d["eventName"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|n| n["prefix"].is_string()),
                "Lambda event names are matched by prefix (they carry API versions): {d}"
            );
        }
        let partial = format!("{ACCOUNT}:function:{}", w.function_name);
        assert_eq!(
            parameter(&found, "functionName"),
            [
                w.function_name.to_owned(),
                format!("prefix:{}:", w.function_name),
                function_arn.clone(),
                format!("prefix:{function_arn}:"),
                partial.clone(),
                format!("prefix:{partial}:"),
            ]
            .into_iter()
            .collect(),
            "{call}"
        );
    }
    // The fast path's event source mapping: by its UUID, or by the queue in the response.
    for call in ["DeleteEventSourceMapping", "UpdateEventSourceMapping"] {
        let found = branches(pattern, "lambda.amazonaws.com", call);
        assert_eq!(parameter(&found, "uUID"), set(&[w.mapping_uuid]), "{call}");
        let by_queue: BTreeSet<String> = found
            .iter()
            .filter(|d| !d["responseElements"].is_null())
            .flat_map(|d| matchers(&d["responseElements"]["eventSourceArn"]))
            .collect();
        assert_eq!(by_queue, set(&[w.fast_path_queue_arn]), "{call}");
    }
    // Any function created or reconfigured with the function's role (PassRole).
    for call in ["CreateFunction", "UpdateFunctionConfiguration"] {
        let found = branches(pattern, "lambda.amazonaws.com", call);
        assert_eq!(parameter(&found, "role"), set(&[w.function_role]), "{call}");
    }

    // The topics and their subscriptions.
    for call in [
        "DeleteTopic",
        "SetTopicAttributes",
        "AddPermission",
        "RemovePermission",
        "PutDataProtectionPolicy",
    ] {
        let found = branches(pattern, "sns.amazonaws.com", call);
        assert_eq!(parameter(&found, "topicArn"), set(&w.topics), "{call}");
    }
    for call in ["Unsubscribe", "SetSubscriptionAttributes"] {
        let found = branches(pattern, "sns.amazonaws.com", call);
        assert_eq!(
            parameter(&found, "subscriptionArn"),
            w.topics.iter().map(|t| format!("prefix:{t}:")).collect(),
            "{call}"
        );
    }

    // The keys, by keyId or by the key ARN in resources[].
    for call in ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"] {
        let found = branches(pattern, "kms.amazonaws.com", call);
        let named = parameter(&found, "keyId");
        for key in w.keys {
            assert!(named.contains(key), "{call}: {key} in {named:?}");
            let id = key.rsplit('/').next().unwrap();
            assert!(named.contains(id), "{call}: key id {id} in {named:?}");
        }
        let resources: BTreeSet<String> = found
            .iter()
            .filter(|d| !d["resources"].is_null())
            .flat_map(|d| matchers(&d["resources"]["ARN"]))
            .collect();
        assert_eq!(resources, set(&w.keys), "{call}");
    }

    // The trail, by name or ARN, under either parameter name.
    let trail_name = w.trail_arn.rsplit('/').next().unwrap();
    for call in [
        "StopLogging",
        "DeleteTrail",
        "PutEventSelectors",
        "UpdateTrail",
    ] {
        let found = branches(pattern, "cloudtrail.amazonaws.com", call);
        for p in ["name", "trailName"] {
            assert_eq!(
                parameter(&found, p),
                set(&[trail_name, w.trail_arn]),
                "{call} {p}"
            );
        }
    }

    // The alarms, every one of them: by this stack's name prefix (one alarm per EventBridge rule would not fit a
    // list of names into the pattern's 2,048 characters).
    for call in [
        "DeleteAlarms",
        "DisableAlarmActions",
        "PutMetricAlarm",
        "SetAlarmState",
    ] {
        let found = branches(pattern, "monitoring.amazonaws.com", call);
        for p in ["alarmNames", "alarmName"] {
            assert_eq!(
                parameter(&found, p),
                set(&[&format!("prefix:{NAME_PREFIX}-")]),
                "{call} {p}"
            );
        }
    }

    // IAM (us-east-1): the function's role (the key administrators are moto's user here, not a role).
    for call in [
        "UpdateAssumeRolePolicy",
        "AttachRolePolicy",
        "PutRolePolicy",
        "DeleteRole",
        "DetachRolePolicy",
        "DeleteRolePolicy",
        "PutRolePermissionsBoundary",
    ] {
        let found = branches(pattern, "iam.amazonaws.com", call);
        assert_eq!(
            parameter(&found, "roleName"),
            set(&[&format!("{}-role", w.function_name)]),
            "{call}"
        );
    }

    // This stack's EventBridge rules: the self rule names the watchdog's and the fast path's (the ring branches
    // name one rule each, and are checked per rule above).
    for call in [
        "DisableRule",
        "DeleteRule",
        "RemoveTargets",
        "PutRule",
        "PutTargets",
    ] {
        let found = branches(pattern, "events.amazonaws.com", call);
        for p in ["name", "rule"] {
            assert!(
                found.iter().any(|d| d["requestParameters"][p].is_array()
                    && &matchers(&d["requestParameters"][p]) == w.event_rule_names),
                "{call} {p}: {found:?}"
            );
            assert_eq!(&parameter(&found, p), w.event_rule_names, "{call} {p}");
        }
    }
}

/// After `terraform destroy` (which the key policies' Deny must not block for the administrator): both keys
/// scheduled for deletion, the alarm topic, the alarms and the watchdog rule gone.
pub async fn assert_destroyed(sdk: &aws_config::SdkConfig, out: &HashMap<String, Value>) {
    let kms = aws_sdk_kms::Client::new(sdk);
    for key in [
        output(out, "kms_key_arn"),
        output(out, "alarm_kms_key_arn"),
        output(out, "dedup_mac_key_arn"),
    ] {
        let state = kms
            .describe_key()
            .key_id(key)
            .send()
            .await
            .unwrap()
            .key_metadata()
            .and_then(|m| m.key_state().cloned());
        assert_eq!(
            state.as_ref().map(|s| s.as_str()),
            Some("PendingDeletion"),
            "{key} scheduled for deletion by the destroy"
        );
    }
    let sns = alerter::sns_client(sdk);
    let topics = sns.list_topics().send().await.unwrap();
    let alarm_topic = output(out, "alarm_topic_arn");
    assert!(topics
        .topics()
        .iter()
        .all(|t| t.topic_arn() != Some(alarm_topic)));
    let alarms = aws_sdk_cloudwatch::Client::new(sdk)
        .describe_alarms()
        .alarm_name_prefix(format!("{NAME_PREFIX}-"))
        .send()
        .await
        .unwrap();
    assert!(alarms.metric_alarms().is_empty(), "{alarms:?}");
    let left = aws_sdk_eventbridge::Client::new(sdk)
        .list_rules()
        .name_prefix(format!("{NAME_PREFIX}-pipeline-watchdog"))
        .send()
        .await
        .unwrap();
    assert!(left.rules().is_empty(), "{left:?}");
}
