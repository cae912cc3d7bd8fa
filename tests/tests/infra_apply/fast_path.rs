//! The fast path of the deployed stack (infra/fast_path.tf, dynamodb.tf), read back from moto after the apply of
//! infra/examples/complete (enable_fast_path and enable_dedup default to true): one EventBridge rule per pattern of
//! infra/eventbridge-patterns.json with its state, each targeting the encrypted fast-path queue; the queue's key,
//! redrive to its own DLQ and policy; the event source mapping (batch size, batching window,
//! ReportBatchItemFailures, maximum concurrency); the dedup table; the function's DEDUP_* environment (DEDUP_MAC_KEY_ID
//! included); the role's statements (MacDedupMarks on exactly the MAC key); the alert key's EventBridge statement; the two alarms. And, in its own test, a `terraform plan` of
//! modules/eventbridge-forwarder in a second region.
//!
//! What moto 5.2 does with these (observed, and read in moto's source):
//! - SQS: the queues' KMS key, redrive policy, visibility timeout and policy are stored and returned as put; a
//!   queue's RedriveAllowPolicy is not stored at all (and the provider would wait for it until its timeout): the
//!   module sets none (infra/fast_path.tf says why).
//! - EventBridge: rules are stored with pattern and state as put (ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is
//!   accepted); PutEvents routes an event by the rule's pattern to an SQS target. moto does not check the queue
//!   policy on that delivery, nor does it use the queue's KMS key, so neither the policy's aws:SourceArn binding nor
//!   the key policy's EventBridge statement is exercised: both are asserted as documents.
//! - Lambda event source mappings: stored with every setting and returned by ListEventSourceMappings; moto tries
//!   to invoke the function for each message sent to the queue, which needs docker, so the invocation fails and
//!   the message is made visible again (what the test reads back from the queue). The function's handling of the
//!   messages is tested in tests/tests/fast_path.rs.
//! - DynamoDB: the table is read back through the provider's DescribeTable, DescribeTimeToLive and
//!   DescribeContinuousBackups on moto (the Terraform state after the apply): the tests crate has no DynamoDB
//!   client of its own. moto stores the SSE key and reports the key ARN as given.
//! - IAM: moto stores the role policy and evaluates none of it; the statements are asserted in the document the
//!   module rendered (Terraform state), as log_path.rs does.

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;

use super::{output, set, state_resource, statement, strings, NAME_PREFIX};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// infra/eventbridge-patterns.json, parsed.
fn patterns_file() -> Value {
    let text =
        std::fs::read_to_string(test_support::repo_root().join("infra/eventbridge-patterns.json"))
            .expect("infra/eventbridge-patterns.json");
    serde_json::from_str(&text).unwrap()
}

/// The rule state the file's `read_only_management_events` calls for.
fn expected_state(file: &Value) -> &'static str {
    if file["read_only_management_events"] == true {
        "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    } else {
        "ENABLED"
    }
}

/// A policy field that holds one string or a list of strings, as a set.
/// The sample log file's root console sign-in, as EventBridge delivers a CloudTrail record.
fn root_sign_in_event() -> (String, String, String) {
    let gz = std::fs::read(
        test_support::repo_root()
            .join("events")
            .join(super::SAMPLE_KEY),
    )
    .unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_string(&mut text)
        .unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let record = file["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["eventID"] == super::ROOT_EVENT)
        .unwrap()
        .clone();
    assert_eq!(record["eventType"], "AwsConsoleSignIn");
    (
        "aws.signin".to_owned(),
        "AWS Console Sign In via CloudTrail".to_owned(),
        record.to_string(),
    )
}

/// The fast path, read back from moto after the apply. `out` is the example's `terraform output -json` by name,
/// `state` is `terraform show -json`, `env` the deployed function's environment.
pub async fn assert_deployed(
    sdk: &aws_config::SdkConfig,
    out: &HashMap<String, Value>,
    state: &Value,
    env: &HashMap<String, String>,
) {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let kms = aws_sdk_kms::Client::new(sdk);
    let root = &state["values"]["root_module"];

    let function_name = output(out, "function_name");
    let alert_key = output(out, "kms_key_arn");
    let alarm_topic = output(out, "alarm_topic_arn");
    let queue_url = output(out, "fast_path_queue_url");
    let table_name = output(out, "dedup_table_name");
    let queue_name = format!("{function_name}-fast-path");
    let dlq_name = format!("{function_name}-fast-path-dlq");
    let queue_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}");
    let dlq_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{dlq_name}");

    // 1. One rule per pattern of the checked-in file: the pattern as in the file, the state it asks for, on the
    //    default bus, its only target the queue (no role: the queue policy admits the rule).
    let file = patterns_file();
    let patterns = file["patterns"].as_array().expect("patterns");
    assert!(!patterns.is_empty());
    let listed = events
        .list_rules()
        .name_prefix(format!("{NAME_PREFIX}-fast-path-"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.rules().len(),
        patterns.len(),
        "one rule per pattern: {listed:?}"
    );
    let mut rule_arns = BTreeSet::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let name = format!("{NAME_PREFIX}-fast-path-{i}");
        let rule = events.describe_rule().name(&name).send().await.unwrap();
        let arn = format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}");
        assert_eq!(rule.arn(), Some(arn.as_str()));
        assert_eq!(rule.event_bus_name(), Some("default"));
        assert_eq!(
            rule.state().map(|s| s.as_str()),
            Some(expected_state(&file)),
            "{name}"
        );
        let stored: Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
        assert_eq!(&stored, pattern, "{name}: the file's pattern {i}");
        assert!(
            rule.event_pattern().unwrap().len() <= 2048,
            "{name}: within EventBridge's default pattern size"
        );
        let targets = events
            .list_targets_by_rule()
            .rule(&name)
            .send()
            .await
            .unwrap();
        let [target] = targets.targets() else {
            panic!("{name}: one target: {targets:?}")
        };
        assert_eq!(target.arn(), queue_arn, "{name}");
        assert_eq!(target.role_arn(), None, "{name}");
        rule_arns.insert(arn);
    }

    // 2. The queue: the alert key, redrive to its DLQ after 5 receives, a visibility timeout of six function
    //    timeouts plus the batching window (the example's 60 s and 10 s); the DLQ: the alert key.
    let attrs = |url: String| {
        let sqs = sqs.clone();
        async move {
            sqs.get_queue_attributes()
                .queue_url(url)
                .attribute_names(QueueAttributeName::All)
                .send()
                .await
                .unwrap()
                .attributes
                .unwrap_or_default()
        }
    };
    let queue = attrs(queue_url.to_owned()).await;
    assert_eq!(queue[&QueueAttributeName::QueueArn], queue_arn);
    assert_eq!(
        queue
            .get(&QueueAttributeName::KmsMasterKeyId)
            .map(String::as_str),
        Some(alert_key)
    );
    assert_eq!(
        queue
            .get(&QueueAttributeName::VisibilityTimeout)
            .map(String::as_str),
        Some("370")
    );
    let redrive: Value = serde_json::from_str(&queue[&QueueAttributeName::RedrivePolicy]).unwrap();
    assert_eq!(redrive["deadLetterTargetArn"], dlq_arn.as_str());
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "5"
    );
    let dlq_url = output(out, "fast_path_queue_url").replace(&queue_name, &dlq_name);
    let dlq = attrs(dlq_url.clone()).await;
    assert_eq!(dlq[&QueueAttributeName::QueueArn], dlq_arn);
    assert_eq!(
        dlq.get(&QueueAttributeName::KmsMasterKeyId)
            .map(String::as_str),
        Some(alert_key)
    );

    // The queue policy: EventBridge may send for exactly these rules; nothing over plain HTTP.
    let policy: Value = serde_json::from_str(&queue[&QueueAttributeName::Policy]).unwrap();
    let send = statement(&policy, "FastPathRulesSend");
    assert_eq!(send["Effect"], "Allow");
    assert_eq!(
        send["Principal"],
        json!({ "Service": "events.amazonaws.com" })
    );
    assert_eq!(strings(&send["Action"]), set(&["sqs:SendMessage"]));
    assert_eq!(strings(&send["Resource"]), set(&[&queue_arn]));
    assert_eq!(
        send["Condition"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["ArnEquals"]
    );
    assert_eq!(
        strings(&send["Condition"]["ArnEquals"]["aws:SourceArn"]),
        rule_arns
    );
    // Nobody else sends, not even a principal whose IAM policy allows sqs:SendMessage (a forged aws.* event).
    let others = statement(&policy, "DenySendExceptFastPathRules");
    assert_eq!(others["Effect"], "Deny");
    assert_eq!(others["Principal"], "*");
    assert_eq!(strings(&others["Action"]), set(&["sqs:SendMessage"]));
    assert_eq!(strings(&others["Resource"]), set(&[&queue_arn]));
    assert_eq!(
        strings(&others["Condition"]["ArnNotEquals"]["aws:SourceArn"]),
        rule_arns
    );
    let tls = statement(&policy, "DenyInsecureTransport");
    assert_eq!(tls["Effect"], "Deny");
    assert_eq!(tls["Condition"]["Bool"]["aws:SecureTransport"], "false");
    assert_eq!(policy["Statement"].as_array().unwrap().len(), 3, "{policy}");

    // 3. The event source mapping: the queue to the function, batches of up to 100 within 10 s, partial batch
    //    failures, at most 2 concurrent instances (the S3 path keeps the rest of the reserved 10).
    // (Listed unfiltered: moto 5.2 answers ListEventSourceMappings with FunctionName=<name> with an empty list, as
    // it compares the filter with the stored function ARN.)
    let mappings = lambda.list_event_source_mappings().send().await.unwrap();
    let function_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}");
    let mine: Vec<_> = mappings
        .event_source_mappings()
        .iter()
        .filter(|m| m.function_arn() == Some(function_arn.as_str()))
        .collect();
    let [mapping] = mine.as_slice() else {
        panic!("one event source mapping: {mappings:?}")
    };
    assert_eq!(mapping.event_source_arn(), Some(queue_arn.as_str()));
    assert_eq!(
        mapping.function_arn(),
        Some(format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}").as_str())
    );
    assert_eq!(mapping.batch_size(), Some(100));
    assert_eq!(mapping.maximum_batching_window_in_seconds(), Some(10));
    assert_eq!(
        mapping
            .function_response_types()
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>(),
        ["ReportBatchItemFailures"]
    );
    assert_eq!(
        mapping
            .scaling_config()
            .and_then(|s| s.maximum_concurrency()),
        Some(2)
    );
    assert_eq!(mapping.state(), Some("Enabled"));

    // 4. The dedup table (through the provider's reads of moto, in the state): finding_id (S) the only key,
    //    on-demand, TTL on expires_at, SSE with the alert key, point-in-time recovery.
    let table = &state_resource(root, "module.trailwarden.aws_dynamodb_table.dedup[0]")["values"];
    assert_eq!(table["name"], table_name);
    assert_eq!(table_name, format!("{NAME_PREFIX}-dedup"));
    assert_eq!(table["billing_mode"], "PAY_PER_REQUEST");
    assert_eq!(table["hash_key"], "finding_id");
    assert_eq!(table["range_key"], Value::Null);
    assert_eq!(
        table["attribute"],
        json!([{ "name": "finding_id", "type": "S" }])
    );
    assert_eq!(
        table["ttl"],
        json!([{ "attribute_name": "expires_at", "enabled": true }])
    );
    assert_eq!(table["server_side_encryption"][0]["enabled"], true);
    assert_eq!(table["server_side_encryption"][0]["kms_key_arn"], alert_key);
    assert_eq!(table["point_in_time_recovery"][0]["enabled"], true);
    let table_arn = format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table_name}");
    assert_eq!(table["arn"], table_arn.as_str());

    // 5. The function's environment: the table and the TTL (contract 5).
    assert_eq!(env.get("DEDUP_TABLE").map(String::as_str), Some(table_name));
    assert_eq!(env.get("DEDUP_TTL_HOURS").map(String::as_str), Some("72"));
    // The dedup MAC key (hardening.rs checks the key itself): set whenever the table is.
    let mac_key = output(out, "dedup_mac_key_arn");
    assert_eq!(
        env.get("DEDUP_MAC_KEY_ID").map(String::as_str),
        Some(mac_key)
    );

    // 6. The role's statements (rendered): the queue's four consumer actions on the queue only, the table's four
    //    item actions on the table only.
    let rendered = state_resource(
        root,
        "module.trailwarden.data.aws_iam_policy_document.lambda",
    );
    let role_policy: Value =
        serde_json::from_str(rendered["values"]["json"].as_str().unwrap()).unwrap();
    let consume = statement(&role_policy, "ConsumeFastPathQueue");
    assert_eq!(consume["Effect"], "Allow");
    assert_eq!(
        strings(&consume["Action"]),
        set(&[
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility"
        ])
    );
    assert_eq!(strings(&consume["Resource"]), set(&[&queue_arn]));
    let dedup = statement(&role_policy, "DedupFindings");
    assert_eq!(dedup["Effect"], "Allow");
    assert_eq!(
        strings(&dedup["Action"]),
        set(&[
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:BatchWriteItem"
        ])
    );
    assert_eq!(strings(&dedup["Resource"]), set(&[&table_arn]));
    let mac = statement(&role_policy, "MacDedupMarks");
    assert_eq!(mac["Effect"], "Allow");
    assert_eq!(
        strings(&mac["Action"]),
        set(&["kms:GenerateMac", "kms:VerifyMac"])
    );
    assert_eq!(strings(&mac["Resource"]), set(&[mac_key]));
    // Nothing else in the role's policy names the queue or the table, and no statement grants dynamodb:* or sqs:*.
    for s in role_policy["Statement"].as_array().unwrap() {
        let actions = strings(&s["Action"]);
        assert!(
            !actions.contains("dynamodb:*") && !actions.contains("sqs:*"),
            "{s}"
        );
        if s["Sid"] != "ConsumeFastPathQueue" && s["Sid"] != "DedupFindings" {
            let resources = strings(&s["Resource"]);
            assert!(
                !resources.contains(&queue_arn) && !resources.contains(&table_arn),
                "{s}"
            );
        }
    }

    // 7. The alert key lets EventBridge encrypt for the queue (moto GetKeyPolicy).
    let key_policy: Value = serde_json::from_str(
        kms.get_key_policy()
            .key_id(alert_key)
            .policy_name("default")
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let by_events = statement(&key_policy, "EventBridgeSendsToFastPathQueue");
    assert_eq!(by_events["Effect"], "Allow");
    assert_eq!(
        by_events["Principal"],
        json!({ "Service": "events.amazonaws.com" })
    );
    assert_eq!(
        strings(&by_events["Action"]),
        set(&["kms:Decrypt", "kms:GenerateDataKey"])
    );

    // 8. The alarms: the DLQ's depth and the queue's oldest message, to the alarm topic (watchers.rs checks every
    //    alarm's actions; here their metrics).
    let alarms = aws_sdk_cloudwatch::Client::new(sdk)
        .describe_alarms()
        .alarm_name_prefix(format!("{NAME_PREFIX}-fast-path-"))
        .send()
        .await
        .unwrap();
    let by_name: BTreeMap<String, (String, String, f64, String)> = alarms
        .metric_alarms()
        .iter()
        .map(|a| {
            let dims: Vec<String> = a
                .dimensions()
                .iter()
                .map(|d| format!("{}={}", d.name().unwrap_or(""), d.value().unwrap_or("")))
                .collect();
            assert_eq!(a.alarm_actions(), [alarm_topic.to_owned()]);
            (
                a.alarm_name().unwrap_or_default().to_owned(),
                (
                    a.namespace().unwrap_or_default().to_owned(),
                    a.metric_name().unwrap_or_default().to_owned(),
                    a.threshold().unwrap_or(f64::NAN),
                    dims.join(","),
                ),
            )
        })
        .collect();
    assert_eq!(
        by_name,
        BTreeMap::from([
            (
                format!("{NAME_PREFIX}-fast-path-dlq-depth"),
                (
                    "AWS/SQS".to_owned(),
                    "ApproximateNumberOfMessagesVisible".to_owned(),
                    1.0,
                    format!("QueueName={dlq_name}")
                )
            ),
            (
                format!("{NAME_PREFIX}-fast-path-queue-age"),
                (
                    "AWS/SQS".to_owned(),
                    "ApproximateAgeOfOldestMessage".to_owned(),
                    300.0,
                    format!("QueueName={queue_name}")
                )
            ),
        ])
    );

    // 9. Routing: the sample log file's root sign-in, put on the default bus as EventBridge delivers it, reaches
    //    the queue through the deployed rules (the recommended profile's cis-4.3 matches it, so a pattern must
    //    select it). moto's attempt to invoke the function for it fails without docker and leaves it in the queue.
    let (source, detail_type, detail) = root_sign_in_event();
    let put = events
        .put_events()
        .entries(
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .source(source)
                .detail_type(detail_type)
                .detail(detail)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(put.failed_entry_count(), 0, "{put:?}");
    let delivered = test_support::drain_queue(&sqs, queue_url).await;
    assert!(
        !delivered.is_empty(),
        "the root sign-in reaches the fast-path queue"
    );
    for message in &delivered {
        assert_eq!(message["detail"]["eventID"], super::ROOT_EVENT, "{message}");
        assert_eq!(message["detail-type"], "AWS Console Sign In via CloudTrail");
    }
    assert!(test_support::drain_queue(&sqs, &dlq_url).await.is_empty());
}

/// The destination of the forwarder plan: the default bus of moto's region, us-east-1.
const DESTINATION_BUS: &str = "arn:aws:events:us-east-1:123456789012:event-bus/default";

/// A root configuration in us-west-2 calling a copy of modules/eventbridge-forwarder with the checked-in patterns,
/// its provider pointed at `endpoint`.
fn forwarder_root(module: &std::path::Path, endpoint: &str) -> String {
    let patterns = test_support::repo_root().join("infra/eventbridge-patterns.json");
    format!(
        r#"provider "aws" {{
  region                      = "us-west-2"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  max_retries                 = 1

  endpoints {{
    events = "{endpoint}"
    iam    = "{endpoint}"
    sts    = "{endpoint}"
  }}
}}

variable "destination_bus_arn" {{
  type = string
}}

module "forwarder" {{
  source = {module:?}

  name_prefix         = "tw-fwd"
  patterns_json       = file({patterns:?})
  destination_bus_arn = var.destination_bus_arn
}}
"#,
        module = module.to_str().unwrap(),
        patterns = patterns.to_str().unwrap(),
    )
}

/// modules/eventbridge-forwarder planned in a second region (us-west-2) against moto: one rule per pattern with
/// the file's pattern and state on that region's default bus, each targeting the function region's default bus
/// with the module's role, whose only permission is events:PutEvents on that bus; a destination in the
/// forwarder's own region is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarder_plans_rules_to_the_function_region_bus() {
    let Some(terraform_exe) = super::find_on_path("terraform") else {
        test_support::skip("terraform not found on PATH (infra e2e test: terraform plan of infra/modules/eventbridge-forwarder against moto_server)");
        return;
    };
    let moto = test_support::MotoServer::start().expect("moto_server");
    let work = tempfile::tempdir().unwrap();
    let module = work.path().join("forwarder");
    super::copy_configuration(
        &test_support::repo_root().join("infra/modules/eventbridge-forwarder"),
        &module,
    );
    let dir = work.path().join("root");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        forwarder_root(&module, &moto.endpoint()),
    )
    .unwrap();
    let tf = super::Terraform::new(terraform_exe, dir, work.path());
    tf.init().await;
    let destination = format!("destination_bus_arn={DESTINATION_BUS}");
    tf.run(&[
        "plan",
        "-input=false",
        "-no-color",
        "-out=tfplan",
        "-var",
        &destination,
    ])
    .await;
    let plan: Value =
        serde_json::from_str(&tf.run(&["show", "-json", "-no-color", "tfplan"]).await).unwrap();
    let changes = plan["resource_changes"].as_array().unwrap();
    let planned = |address: &str| -> &Value {
        &changes
            .iter()
            .find(|c| c["address"] == address)
            .unwrap_or_else(|| panic!("{address} not planned"))["change"]["after"]
    };

    let file = patterns_file();
    let patterns = file["patterns"].as_array().unwrap();
    let rules: Vec<&Value> = changes
        .iter()
        .filter(|c| c["type"] == "aws_cloudwatch_event_rule")
        .collect();
    assert_eq!(
        rules.len(),
        patterns.len(),
        "one forwarding rule per pattern"
    );
    for (i, pattern) in patterns.iter().enumerate() {
        let rule = planned(&format!(
            "module.forwarder.aws_cloudwatch_event_rule.forward[{i}]"
        ));
        assert_eq!(rule["name"], format!("tw-fwd-fast-path-fwd-{i}"));
        assert_eq!(rule["event_bus_name"], "default");
        assert_eq!(rule["state"], expected_state(&file));
        let stored: Value = serde_json::from_str(rule["event_pattern"].as_str().unwrap()).unwrap();
        assert_eq!(
            &stored, pattern,
            "forwarding rule {i}: the file's pattern {i}"
        );
        let target = planned(&format!(
            "module.forwarder.aws_cloudwatch_event_target.forward[{i}]"
        ));
        assert_eq!(target["arn"], DESTINATION_BUS);
        assert_eq!(target["target_id"], "function-region-bus");
    }
    // The role (created in the forwarder's region's name) and its only permission, known at plan time.
    let role = planned("module.forwarder.aws_iam_role.forward");
    assert_eq!(role["name"], "tw-fwd-fast-path-fwd-us-west-2");
    let trust: Value = serde_json::from_str(role["assume_role_policy"].as_str().unwrap()).unwrap();
    let [assume] = trust["Statement"].as_array().unwrap().as_slice() else {
        panic!("one trust statement: {trust}")
    };
    assert_eq!(
        assume["Principal"],
        json!({ "Service": "events.amazonaws.com" })
    );
    assert_eq!(strings(&assume["Action"]), set(&["sts:AssumeRole"]));
    let role_policy: Value = serde_json::from_str(
        planned("module.forwarder.aws_iam_role_policy.forward")["policy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let [put] = role_policy["Statement"].as_array().unwrap().as_slice() else {
        panic!("one statement: {role_policy}")
    };
    assert_eq!(put["Effect"], "Allow");
    assert_eq!(strings(&put["Action"]), set(&["events:PutEvents"]));
    assert_eq!(strings(&put["Resource"]), set(&[DESTINATION_BUS]));
    // The targets put with that role: the plan's configuration references it.
    let target_config = plan["configuration"]["root_module"]["module_calls"]["forwarder"]["module"]
        ["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "aws_cloudwatch_event_target.forward")
        .unwrap();
    assert!(
        target_config["expressions"]["role_arn"]["references"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "aws_iam_role.forward.arn"),
        "{target_config}"
    );

    // Forwarding to the bus of the forwarder's own region is refused.
    let same_region = "destination_bus_arn=arn:aws:events:us-west-2:123456789012:event-bus/default";
    let refused = tf
        .try_run(&["plan", "-input=false", "-no-color", "-var", same_region])
        .await
        .expect_err("a destination in the forwarder's own region");
    assert!(refused.contains("another region"), "{refused}");
}
