//! "Nobody silences it quietly" (issue 23), read back from moto after the apply of infra/examples/complete: who may
//! publish to and reconfigure the two topics (infra/sns.tf), the dedup MAC key and the dedup table's resource policy
//! (kms.tf, dynamodb.tf), the FailedInvocations alarms of the EventBridge rules and the refusal alarms (alarms.tf),
//! the service control policy output (scp.tf) and the plan-time warning on defaulted key administrators (kms.tf).
//!
//! What moto 5.2 does with these (observed, and read in moto's source), and so what each assertion proves:
//! - Topic policies: stored as put, evaluated on no call (the e2e test's own SQS inboxes subscribe to and the
//!   in-process handler publishes to the alert topic as moto's user, whom DenyPublishExceptPublishers denies in
//!   AWS). Asserted as documents only.
//! - The MAC key: CreateKey honours KeySpec HMAC_256 and KeyUsage GENERATE_VERIFY_MAC (DescribeKey returns them),
//!   and GenerateMac/VerifyMac compute a real HMAC-SHA-256: performed, and a changed message must fail to verify.
//!   The key policy is stored and not evaluated (moto checks key policies on DescribeKey only): that only the
//!   function's role may use the key is asserted as the document.
//! - The dedup table's resource policy: moto stores it (PutResourcePolicy) and returns it (GetResourcePolicy),
//!   asserted as stored and equal to what the module rendered; moto does not evaluate it on item writes, so the
//!   Deny statements are asserted as documents.
//! - Alarms: stored with their settings (namespace, metric, dimensions, actions), nothing evaluated.
//! - The service control policy: an output of the module (AWS Organizations is not emulated here): asserted as the
//!   document, its size within the 5,120 characters an SCP may hold.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{output, set, state_resource, statement, strings, NAME_PREFIX};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
/// The default key administrator: the caller applying Terraform, as moto names it (watchers.rs says why).
const CALLER: &str = "arn:aws:sts::123456789012:user/moto";

/// The deny-unless-administrator condition every administrator exception here uses.
fn assert_administrators_only(st: &Value, what: &str) {
    let condition = st["Condition"].as_object().unwrap();
    assert_eq!(
        condition.keys().collect::<Vec<_>>(),
        ["ArnNotLike"],
        "{what}: {st}"
    );
    assert_eq!(
        strings(&st["Condition"]["ArnNotLike"]["aws:PrincipalArn"]),
        set(&[CALLER]),
        "{what}"
    );
}

fn topic_policy(attrs: &HashMap<String, String>) -> Value {
    serde_json::from_str(attrs.get("Policy").expect("topic policy")).unwrap()
}

/// Everything of issue 23 the e2e apply can show. `applied` is the stdout of `terraform apply`.
pub async fn assert_deployed(
    sdk: &aws_config::SdkConfig,
    out: &HashMap<String, Value>,
    state: &Value,
    applied: &str,
) {
    let root = &state["values"]["root_module"];
    let sns = alerter::sns_client(sdk);
    let kms = aws_sdk_kms::Client::new(sdk);
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(sdk);

    let function_name = output(out, "function_name");
    let function_role = format!("arn:aws:iam::{ACCOUNT}:role/{function_name}-role");
    let alert_topic = output(out, "topic_arn");
    let alarm_topic = output(out, "alarm_topic_arn");
    let bucket = output(out, "bucket_name");
    let trail_arn = output(out, "trail_arn");
    let mac_key = output(out, "dedup_mac_key_arn");
    let rule_arns = strings(&out["watchdog_rule_arns"]);
    let keys = [
        output(out, "kms_key_arn"),
        output(out, "alarm_kms_key_arn"),
        mac_key,
    ];
    let table_name = output(out, "dedup_table_name");
    let table_arn = format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table_name}");
    let mapping_arn = state_resource(
        root,
        "module.trailwarden.aws_lambda_event_source_mapping.fast_path[0]",
    )["values"]["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        mapping_arn.starts_with(&format!(
            "arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:"
        )),
        "{mapping_arn}"
    );

    // 1. The plan-time warning: the example leaves key_administrator_arns null, so apply warns (check block).
    assert!(
        applied.contains("Check block assertion failed")
            && applied.contains("key_administrator_arns is not set"),
        "terraform apply warns that the key administrators were defaulted:\n{applied}"
    );

    // 2. The topics (documents; moto evaluates no topic policy).
    let alarms: Vec<_> = cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("{NAME_PREFIX}-"))
        .send()
        .await
        .unwrap()
        .metric_alarms()
        .to_vec();
    let alarm_arns: BTreeSet<String> = alarms
        .iter()
        .map(|a| a.alarm_arn().unwrap().to_owned())
        .collect();
    let rule_failed: Vec<_> = alarms
        .iter()
        .filter(|a| a.metric_name() == Some("FailedInvocations"))
        .collect();
    let rule_failed_arns: BTreeSet<String> = rule_failed
        .iter()
        .map(|a| a.alarm_arn().unwrap().to_owned())
        .collect();
    for (topic, publishers, alarm_sources) in [
        (alert_topic, Some(function_role.as_str()), &rule_failed_arns),
        (alarm_topic, None, &alarm_arns),
    ] {
        let attrs = sns
            .get_topic_attributes()
            .topic_arn(topic)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        let policy = topic_policy(&attrs);

        // Publish: the function's role (alert topic only), CloudWatch for these alarms, EventBridge for the
        // watchdog rules; a Deny for every other caller, keyed on both.
        let mut allowed_publish = BTreeSet::new();
        for st in policy["Statement"].as_array().unwrap() {
            if st["Effect"] == "Allow" && strings(&st["Action"]).contains("sns:Publish") {
                allowed_publish.insert(st["Sid"].as_str().unwrap().to_owned());
            }
        }
        let mut want = set(&["ThisStacksAlarmsPublish", "WatchdogRulePublishes"]);
        if let Some(role) = publishers {
            want.insert("AlerterPublishes".to_owned());
            let own = statement(&policy, "AlerterPublishes");
            assert_eq!(own["Principal"]["AWS"], role, "{topic}");
            assert_eq!(strings(&own["Action"]), set(&["sns:Publish"]));
        }
        assert_eq!(allowed_publish, want, "{topic}: who may publish");
        let by_alarms = statement(&policy, "ThisStacksAlarmsPublish");
        assert_eq!(
            &strings(&by_alarms["Condition"]["ArnLike"]["aws:SourceArn"]),
            alarm_sources,
            "{topic}"
        );
        assert_eq!(
            by_alarms["Condition"]["StringEquals"]["aws:SourceAccount"],
            ACCOUNT
        );
        let deny = statement(&policy, "DenyPublishExceptPublishers");
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(deny["Principal"], "*");
        assert_eq!(strings(&deny["Action"]), set(&["sns:Publish"]));
        let mut sources: BTreeSet<String> = alarm_sources.clone();
        sources.extend(rule_arns.iter().cloned());
        assert_eq!(
            strings(&deny["Condition"]["ArnNotEquals"]["aws:SourceArn"]),
            sources,
            "{topic}: every publishing service's exact source"
        );
        match publishers {
            Some(role) => assert_eq!(
                strings(&deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]),
                set(&[role]),
                "{topic}"
            ),
            None => assert!(
                deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"].is_null(),
                "{topic}: no principal publishes to the alarm topic: {deny}"
            ),
        }

        // Delivery changes: administrators only; the account's Allow no longer includes Publish.
        let delivery = statement(&policy, "DenyDeliveryChangesExceptAdministrators");
        assert_eq!(delivery["Effect"], "Deny");
        assert_eq!(delivery["Principal"], serde_json::json!({ "AWS": "*" }));
        assert_eq!(
            strings(&delivery["Action"]),
            set(&[
                "sns:DeleteTopic",
                "sns:SetTopicAttributes",
                "sns:AddPermission",
                "sns:RemovePermission",
                "sns:PutDataProtectionPolicy",
            ]),
            "{topic}"
        );
        assert_eq!(strings(&delivery["Resource"]), set(&[topic]));
        assert_administrators_only(delivery, topic);
        assert!(
            !strings(&statement(&policy, "AccountManagesTopic")["Action"]).contains("sns:Publish"),
            "{topic}: {policy}"
        );
    }

    // 3. The FailedInvocations alarm of every watchdog and fast-path rule: AWS/Events by RuleName, to both topics.
    let rule_names: BTreeSet<String> = rule_failed
        .iter()
        .map(|a| {
            assert_eq!(a.namespace(), Some("AWS/Events"));
            assert_eq!(a.statistic().map(|s| s.as_str()), Some("Sum"));
            assert_eq!(a.threshold(), Some(1.0));
            assert_eq!(
                a.comparison_operator().map(|c| c.as_str()),
                Some("GreaterThanOrEqualToThreshold")
            );
            assert_eq!(
                a.alarm_actions(),
                [alarm_topic.to_owned(), alert_topic.to_owned()]
            );
            let [dimension] = a.dimensions() else {
                panic!("one dimension: {a:?}")
            };
            assert_eq!(dimension.name(), Some("RuleName"));
            dimension.value().unwrap().to_owned()
        })
        .collect();
    let mut want_rules: BTreeSet<String> = rule_arns
        .iter()
        .map(|a| a.rsplit('/').next().unwrap().to_owned())
        .collect();
    let fast_path_rules = aws_sdk_eventbridge::Client::new(sdk)
        .list_rules()
        .name_prefix(format!("{NAME_PREFIX}-fast-path-"))
        .send()
        .await
        .unwrap();
    assert!(!fast_path_rules.rules().is_empty());
    want_rules.extend(
        fast_path_rules
            .rules()
            .iter()
            .map(|r| r.name().unwrap().to_owned()),
    );
    assert_eq!(rule_names, want_rules, "every watchdog and fast-path rule");

    // The function's refusals, counted by EMF: a forged dedup mark, a forged fast-path event.
    let by_metric: BTreeMap<&str, &aws_sdk_cloudwatch::types::MetricAlarm> = alarms
        .iter()
        .filter_map(|a| a.metric_name().map(|m| (m, a)))
        .collect();
    for (metric, name) in [
        (
            "DedupMarkUnauthenticated",
            "alerter-dedup-mark-unauthenticated",
        ),
        ("ForeignEventsRefused", "alerter-foreign-events-refused"),
    ] {
        let a = by_metric[metric];
        assert_eq!(
            a.alarm_name(),
            Some(format!("{NAME_PREFIX}-{name}").as_str())
        );
        assert_eq!(a.namespace(), Some("trailwarden"), "{metric}");
        assert_eq!(a.threshold(), Some(1.0), "{metric}");
        assert_eq!(
            a.comparison_operator().map(|c| c.as_str()),
            Some("GreaterThanOrEqualToThreshold")
        );
        assert_eq!(a.alarm_actions(), [alarm_topic.to_owned()], "{metric}");
        let [dimension] = a.dimensions() else {
            panic!("{metric}: one dimension")
        };
        assert_eq!(
            (dimension.name(), dimension.value()),
            (Some("FunctionName"), Some(function_name))
        );
    }

    // 4. The dedup MAC key: HMAC_256 for GENERATE_VERIFY_MAC (moto DescribeKey), used for real (moto computes the
    //    HMAC), and its policy (a document: moto does not evaluate it).
    let described = kms.describe_key().key_id(mac_key).send().await.unwrap();
    let metadata = described.key_metadata().unwrap();
    assert_eq!(metadata.key_spec().map(|s| s.as_str()), Some("HMAC_256"));
    assert_eq!(
        metadata.key_usage().map(|u| u.as_str()),
        Some("GENERATE_VERIFY_MAC")
    );
    assert_eq!(metadata.key_state().map(|s| s.as_str()), Some("Enabled"));
    let message = aws_sdk_kms::primitives::Blob::new(b"tw-e2e finding id".to_vec());
    let mac = kms
        .generate_mac()
        .key_id(mac_key)
        .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256)
        .message(message.clone())
        .send()
        .await
        .unwrap();
    let tag = mac.mac().unwrap().clone();
    assert_eq!(tag.as_ref().len(), 32, "HMAC-SHA-256");
    let verified = kms
        .verify_mac()
        .key_id(mac_key)
        .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256)
        .message(message)
        .mac(tag.clone())
        .send()
        .await
        .unwrap();
    assert!(verified.mac_valid(), "the MAC verifies");
    let forged = kms
        .verify_mac()
        .key_id(mac_key)
        .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256)
        .message(aws_sdk_kms::primitives::Blob::new(
            b"another finding id".to_vec(),
        ))
        .mac(tag)
        .send()
        .await;
    assert!(
        forged.map_or(true, |r| !r.mac_valid()),
        "a MAC of another message does not verify"
    );
    let mac_policy: Value = serde_json::from_str(
        kms.get_key_policy()
            .key_id(mac_key)
            .policy_name("default")
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let sids: BTreeSet<String> = mac_policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        sids,
        set(&[
            "AccountAdministersKey",
            "DenyKeyTamperingExceptAdministrators",
            "AlerterMacsDedupMarks",
            "DenyMacExceptAlerter",
        ])
    );
    let uses = statement(&mac_policy, "AlerterMacsDedupMarks");
    assert_eq!(uses["Effect"], "Allow");
    assert_eq!(uses["Principal"]["AWS"], function_role.as_str());
    assert_eq!(
        strings(&uses["Action"]),
        set(&["kms:GenerateMac", "kms:VerifyMac"])
    );
    let deny = statement(&mac_policy, "DenyMacExceptAlerter");
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Principal"], serde_json::json!({ "AWS": "*" }));
    assert_eq!(
        strings(&deny["Action"]),
        set(&["kms:GenerateMac", "kms:VerifyMac"])
    );
    assert_eq!(
        deny["Condition"],
        serde_json::json!({ "ArnNotEquals": { "aws:PrincipalArn": function_role } })
    );
    let tampering = statement(&mac_policy, "DenyKeyTamperingExceptAdministrators");
    assert_administrators_only(tampering, "MAC key");

    // 5. The dedup table's resource policy: stored by moto as rendered; writes by the function's role alone, table
    //    changes by the administrators alone.
    let stored: Value = serde_json::from_str(
        dynamodb
            .get_resource_policy()
            .resource_arn(&table_arn)
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let rendered: Value = serde_json::from_str(
        state_resource(
            root,
            "module.trailwarden.data.aws_iam_policy_document.dedup_table[0]",
        )["values"]["json"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(stored, rendered, "the table's policy is stored as rendered");
    let writes = statement(&stored, "DenyItemWritesExceptAlerter");
    assert_eq!(writes["Effect"], "Deny");
    assert_eq!(writes["Principal"], "*");
    assert_eq!(
        strings(&writes["Action"]),
        set(&[
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:PartiQLInsert",
            "dynamodb:PartiQLUpdate",
            "dynamodb:PartiQLDelete",
        ])
    );
    assert_eq!(strings(&writes["Resource"]), set(&[&table_arn]));
    assert_eq!(
        writes["Condition"],
        serde_json::json!({ "ArnNotEquals": { "aws:PrincipalArn": function_role } })
    );
    let changes = statement(&stored, "DenyTableChangesExceptAdministrators");
    assert_eq!(changes["Effect"], "Deny");
    assert_eq!(
        strings(&changes["Action"]),
        set(&[
            "dynamodb:DeleteTable",
            "dynamodb:UpdateTable",
            "dynamodb:UpdateTimeToLive",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:PutResourcePolicy",
            "dynamodb:DeleteResourcePolicy",
        ])
    );
    assert_eq!(strings(&changes["Resource"]), set(&[&table_arn]));
    assert_administrators_only(changes, "dedup table");
    assert_eq!(stored["Statement"].as_array().unwrap().len(), 2, "{stored}");

    // 6. The service control policy: minified, within the SCP size limit, two statements for all but the
    //    administrators.
    let scp_text = output(out, "service_control_policy_json");
    assert!(scp_text.len() <= 5120, "{} characters", scp_text.len());
    assert!(!scp_text.contains('\n'), "minified");
    let scp: Value = serde_json::from_str(scp_text).unwrap();
    assert_eq!(scp["Statement"].as_array().unwrap().len(), 2, "{scp}");
    let subs = statement(&scp, "DenySubscriptionChangesExceptAdministrators");
    assert_eq!(subs["Effect"], "Deny");
    assert!(subs["Principal"].is_null(), "an SCP names no principal");
    assert_eq!(
        strings(&subs["Action"]),
        set(&["sns:Unsubscribe", "sns:SetSubscriptionAttributes"])
    );
    assert_eq!(
        strings(&subs["Resource"]),
        set(&["*"]),
        "SNS authorizes these without a resource type"
    );
    assert_administrators_only(subs, "SCP subscriptions");
    let pipeline = statement(&scp, "DenyPipelineChangesExceptAdministrators");
    assert_eq!(pipeline["Effect"], "Deny");
    assert_administrators_only(pipeline, "SCP pipeline");
    let actions = strings(&pipeline["Action"]);
    for a in [
        "events:DisableRule",
        "events:DeleteRule",
        "events:PutRule",
        "events:RemoveTargets",
        "events:PutTargets",
        "lambda:DeleteFunction",
        "lambda:PutFunctionConcurrency",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
        "lambda:AddPermission",
        "lambda:RemovePermission",
        "lambda:DeleteEventSourceMapping",
        "lambda:UpdateEventSourceMapping",
        "kms:DisableKey",
        "kms:ScheduleKeyDeletion",
        "kms:PutKeyPolicy",
        "kms:DisableKeyRotation",
        "sns:DeleteTopic",
        "sns:SetTopicAttributes",
        "cloudtrail:StopLogging",
        "cloudtrail:DeleteTrail",
        "cloudtrail:PutEventSelectors",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DisableAlarmActions",
        "cloudwatch:PutMetricAlarm",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketNotification",
        "dynamodb:PutResourcePolicy",
        "dynamodb:DeleteResourcePolicy",
        "dynamodb:DeleteTable",
        "sqs:DeleteQueue",
        "sqs:SetQueueAttributes",
        "iam:UpdateAssumeRolePolicy",
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:PassRole",
    ] {
        assert!(actions.contains(a), "the SCP denies {a}: {actions:?}");
    }
    assert!(
        actions.iter().all(|a| !a.ends_with(":*") && a != "*"),
        "no service-wide wildcard: {actions:?}"
    );
    let function_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}");
    let mut want_resources: BTreeSet<String> = [
        alert_topic.to_owned(),
        alarm_topic.to_owned(),
        format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{NAME_PREFIX}-pipeline-watchdog-*"),
        format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{NAME_PREFIX}-fast-path-*"),
        function_arn.clone(),
        format!("{function_arn}:*"),
        mapping_arn,
        format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{NAME_PREFIX}-*"),
        format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{function_name}-dlq"),
        format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{function_name}-fast-path"),
        format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{function_name}-fast-path-dlq"),
        function_role.clone(),
        trail_arn.to_owned(),
        format!("arn:aws:s3:::{bucket}"),
        table_arn.clone(),
    ]
    .into_iter()
    .collect();
    want_resources.extend(keys.iter().map(|k| (*k).to_owned()));
    assert_eq!(strings(&pipeline["Resource"]), want_resources);
}

/// `terraform plan` of the module (the existing-bucket root of log_path.rs) with a secondary watchdog target and a
/// key administrator role: every watchdog rule gets a third target; an event bus in another account through a role
/// allowed events:PutEvents on exactly that bus and assumable by EventBridge for these rules only; an SNS topic
/// without a role. The administrator role is watched by the iam rule. (A plan: moto is only the provider's
/// endpoint; the cross-account delivery itself is AWS's.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchdog_secondary_target_and_administrator_roles_plan() {
    let Some(terraform_exe) = super::find_on_path("terraform") else {
        test_support::skip("terraform not found on PATH (infra e2e test: terraform plan of infra/ with watchdog_secondary_target_arn against moto_server)");
        return;
    };
    use super::log_path::{
        data_json, planned, references, ExistingBucketStack, EXISTING_NAME_PREFIX,
    };
    const BUS: &str = "arn:aws:events:us-east-1:210987654321:event-bus/security-alerts";
    const TOPIC: &str = "arn:aws:sns:us-east-1:210987654321:security-pager";
    const ADMIN: &str = "arn:aws:iam::123456789012:role/security/BreakGlass";

    let moto = test_support::MotoServer::start().expect("moto_server");
    let stack = ExistingBucketStack::init(terraform_exe, &moto).await;
    let parts = [
        "bucket", "rules", "function", "passrole", "topics", "subs", "keys", "alarms", "iam",
        "self",
    ];
    let rule_arns: BTreeSet<String> = parts
        .iter()
        .map(|p| format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{EXISTING_NAME_PREFIX}-pipeline-watchdog-{p}"))
        .collect();
    let target = |p: &str, id: &str| {
        format!("module.trailwarden.aws_cloudwatch_event_target.watchdog[\"{p}/{id}\"]")
    };

    // An event bus: a role for the targets, PutEvents on exactly that bus, assumed by EventBridge for these rules.
    let admins = format!("key_administrator_arns=[{ADMIN:?}]");
    let bus = format!("watchdog_secondary_target_arn={BUS}");
    let plan = stack.plan(&[&bus, &admins]).await;
    for p in parts {
        for id in ["alarm-topic", "alert-topic"] {
            assert!(planned(&plan, &target(p, id)).is_some(), "{p}/{id}");
        }
        let secondary = planned(&plan, &target(p, "secondary")).expect("a third target");
        assert_eq!(secondary["change"]["after"]["arn"], BUS, "{p}");
        assert_eq!(
            secondary["change"]["after_unknown"]["role_arn"], true,
            "{p}: the role created in the same apply"
        );
    }
    assert!(
        references(&plan, "aws_cloudwatch_event_target.watchdog", "role_arn")
            .iter()
            .any(|r| r == "aws_iam_role.watchdog_forward[0].arn"),
        "the bus target uses the forwarding role"
    );
    let forward = data_json(
        &plan,
        "module.trailwarden.data.aws_iam_policy_document.watchdog_forward[0]",
    );
    let put = statement(&forward, "PutEventsOnSecondaryBus");
    assert_eq!(put["Effect"], "Allow");
    assert_eq!(strings(&put["Action"]), set(&["events:PutEvents"]));
    assert_eq!(strings(&put["Resource"]), set(&[BUS]), "exactly that bus");
    assert_eq!(forward["Statement"].as_array().unwrap().len(), 1);
    let assume = data_json(
        &plan,
        "module.trailwarden.data.aws_iam_policy_document.watchdog_forward_assume[0]",
    );
    let st = statement(&assume, "WatchdogRulesAssume");
    assert_eq!(st["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(
        strings(&st["Condition"]["ArnEquals"]["aws:SourceArn"]),
        rule_arns
    );
    assert_eq!(
        st["Condition"]["StringEquals"]["aws:SourceAccount"],
        ACCOUNT
    );
    // The administrator role is watched (IAM calls on it, us-east-1).
    let iam_rule = planned(
        &plan,
        "module.trailwarden.aws_cloudwatch_event_rule.watchdog[\"iam\"]",
    )
    .expect("the iam rule in us-east-1");
    let pattern: Value = serde_json::from_str(
        iam_rule["change"]["after"]["event_pattern"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let role_names: BTreeSet<String> = pattern["$or"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["detail"]["eventSource"] == serde_json::json!(["iam.amazonaws.com"]))
        .flat_map(|b| strings(&b["detail"]["requestParameters"]["roleName"]))
        .collect();
    assert_eq!(
        role_names,
        set(&[
            &format!("{EXISTING_NAME_PREFIX}-alerter-role"),
            "BreakGlass"
        ])
    );

    // An SNS topic: the third target, no role.
    let topic = format!("watchdog_secondary_target_arn={TOPIC}");
    let plan = stack.plan(&[&topic, &admins]).await;
    for p in parts {
        let secondary = planned(&plan, &target(p, "secondary")).expect("a third target");
        assert_eq!(secondary["change"]["after"]["arn"], TOPIC, "{p}");
        assert_eq!(secondary["change"]["after"]["role_arn"], Value::Null, "{p}");
    }
    assert!(planned(&plan, "module.trailwarden.aws_iam_role.watchdog_forward[0]").is_none());

    // Neither: two targets per rule.
    let plan = stack.plan(&[&admins]).await;
    assert!(planned(&plan, &target("self", "secondary")).is_none());
    assert!(planned(&plan, &target("self", "alert-topic")).is_some());
}
