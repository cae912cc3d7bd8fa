//! The fast path end to end on a real local AWS endpoint (moto_server): a CloudTrail record put on EventBridge
//! is routed by the rule's pattern to the fast-path SQS queue, handed to the handler as the SQS event Lambda
//! would send, and alerted through SNS; the log file carrying the same record then arrives through the S3
//! path and its other findings are alerted, the record's are not (the DynamoDB dedup table); a record the
//! pattern does not select never reaches the queue; and a log file whose alerts were half published is
//! retried publishing only the missing ones.

use alerter::handler::handle_event;
use alerter::ports::{AlertSink, OutgoingAlert, SinkError};
use alerter::{
    kms_client, s3_client, sns_client, sns_sink, Config, Dedup, Deps, DynamoDbMarks, KmsMac,
    MacDedup, S3Source, SnsSink,
};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, RuleState, Target};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use flate2::write::GzEncoder;
use lambda_runtime::{Context, LambdaEvent};
use rules::Engine;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use test_support::{drain_queue, repo_root, sdk_config, subscribed_queue, MotoServer};

const BUCKET: &str = "trailwarden-demo-logs";
const SAMPLE_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";
const ROOT_EVENT: &str = "00000000-0000-4000-8000-000000000001";
const TABLE: &str = "trailwarden-dedup";

/// The rules' event patterns for `engine` (`compile::eventbridge::generate`, what Terraform deploys for the
/// default configuration) and whether the rules' state must include read-only management events.
fn patterns(engine: &Engine) -> (Vec<Value>, bool) {
    let p = compile::eventbridge::generate(engine);
    (p.patterns, p.read_only_management_events)
}

/// How many copies of an already evaluated EventBridge event the invocation skipped.
fn copies_skipped(summary: &alerter::report::Report) -> u64 {
    summary
        .skipped
        .get(alerter::handler::EVENTBRIDGE_COPY)
        .copied()
        .unwrap_or(0)
}

fn sample_records() -> Vec<Value> {
    let gz = std::fs::read(repo_root().join("events").join(SAMPLE_KEY)).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
    let log: Value = serde_json::from_str(&text).unwrap();
    log["Records"].as_array().unwrap().clone()
}

fn s3_event(key: &str) -> LambdaEvent<Value> {
    LambdaEvent::new(test_support::s3_put_event(key), Context::default())
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The function's default rules (recommended profile, no rules file).
fn default_engine() -> Engine {
    Config::new("arn:aws:sns:us-east-1:111122223333:t")
        .engine(None, "2024-01-15")
        .unwrap()
}

struct Stack {
    sdk: aws_config::SdkConfig,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
    inbox_url: String,
    fast_queue_url: String,
    fast_queue_arn: String,
    topic_arn: String,
    /// The dedup marks' HMAC key (HMAC_256, GENERATE_VERIFY_MAC): `DEDUP_MAC_KEY_ID`.
    mac_key_arn: String,
}

async fn stack(endpoint: &str) -> Stack {
    let sdk = sdk_config(endpoint).await;
    let s3 = s3_client(&sdk);
    let sns = sns_client(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let dynamodb = trailwarden_aws::dynamodb_client(&sdk);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let topic_arn = sns
        .create_topic()
        .name("trailwarden-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let inbox_url = subscribed_queue(&sns, &sqs, &topic_arn, "alerts-inbox", None).await;
    // The dedup table as infra/ declares it: hash key finding_id (S), on demand, TTL on expires_at.
    dynamodb
        .create_table()
        .table_name(TABLE)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("finding_id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("finding_id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    dynamodb
        .update_time_to_live()
        .table_name(TABLE)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (fast_queue_url, fast_queue_arn) = test_support::queue(&sqs, "trailwarden-fast-path").await;
    let mac_key_arn = kms_client(&sdk)
        .create_key()
        .key_spec(KeySpec::Hmac256)
        .key_usage(KeyUsageType::GenerateVerifyMac)
        .description("trailwarden dedup marks")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let (patterns, read_only) = patterns(&default_engine());
    assert!(!patterns.is_empty());
    for (i, pattern) in patterns.iter().enumerate() {
        let name = format!("trailwarden-fast-path-{i}");
        events
            .put_rule()
            .name(&name)
            .event_pattern(pattern.to_string())
            .state(if read_only {
                RuleState::EnabledWithAllCloudtrailManagementEvents
            } else {
                RuleState::Enabled
            })
            .send()
            .await
            .unwrap();
        events
            .put_targets()
            .rule(&name)
            .targets(
                Target::builder()
                    .id("fast-path-queue")
                    .arn(&fast_queue_arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    Stack {
        sdk,
        s3,
        sqs,
        events,
        inbox_url,
        fast_queue_url,
        fast_queue_arn,
        topic_arn,
        mac_key_arn,
    }
}

impl Stack {
    /// The function's dependencies with the real S3, SNS and DynamoDB clients and the default rules
    /// (recommended profile), with `sink`.
    fn deps<K: AlertSink>(&self, sink: K) -> Deps<S3Source, K> {
        let config = Config {
            dedup_table: Some(TABLE.to_owned()),
            dedup_mac_key_id: Some(self.mac_key_arn.clone()),
            ..Config::new(self.topic_arn.clone())
        };
        let dedup: Arc<dyn Dedup> = Arc::new(MacDedup::new(
            Arc::new(DynamoDbMarks::new(
                trailwarden_aws::dynamodb_client(&self.sdk),
                TABLE,
            )),
            Arc::new(KmsMac::new(kms_client(&self.sdk), self.mac_key_arn.clone())),
            config.dedup_ttl,
        ));
        Deps::new(
            S3Source::new(self.s3.clone()),
            sink,
            default_engine(),
            config,
        )
        .with_dedup(Some(dedup))
    }

    fn sns_sink(&self) -> SnsSink {
        sns_sink(sns_client(&self.sdk), self.topic_arn.clone())
    }

    /// PutEvents: one CloudTrail record as EventBridge delivers it.
    async fn put_record(&self, source: &str, detail_type: &str, record: &Value) {
        let out = self
            .events
            .put_events()
            .entries(
                PutEventsRequestEntry::builder()
                    .source(source)
                    .detail_type(detail_type)
                    .detail(record.to_string())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(out.failed_entry_count, 0, "{out:?}");
    }

    /// The messages EventBridge put on the fast-path queue, as the SQS event the event source mapping hands
    /// the function (deleting them from the queue, as Lambda does after a successful batch).
    async fn fast_path_batch(&self) -> Value {
        let mut records = Vec::new();
        loop {
            let got = self
                .sqs
                .receive_message()
                .queue_url(&self.fast_queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            let messages = got.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for m in messages {
                records.push(json!({
                    "messageId": m.message_id.clone().unwrap(),
                    "receiptHandle": m.receipt_handle.clone().unwrap(),
                    "body": m.body.clone().unwrap(),
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "md5OfBody": m.md5_of_body.clone().unwrap_or_default(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.fast_queue_arn,
                    "awsRegion": "us-east-1"
                }));
                self.sqs
                    .delete_message()
                    .queue_url(&self.fast_queue_url)
                    .receipt_handle(m.receipt_handle.unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
        json!({ "Records": records })
    }

    /// The alerts (JSON bodies) that arrived in the inbox queue since the last call.
    async fn alerts(&self) -> Vec<Value> {
        drain_queue(&self.sqs, &self.inbox_url)
            .await
            .iter()
            .map(|env| serde_json::from_str(env["Message"].as_str().unwrap()).unwrap())
            .collect()
    }
}

fn ids(alerts: &[Value], field: &str) -> BTreeSet<String> {
    alerts
        .iter()
        .map(|a| a[field].as_str().unwrap().to_owned())
        .collect()
}

/// The findings the default rules give on `records` (the engine under test, not a list kept by hand).
fn expected(engine: &Engine, records: &[Value]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for r in records {
        let text = r.to_string();
        let parsed = cloudtrail::Parsed::new(text.as_bytes()).unwrap();
        // Threshold rules only count a record; none of these records completes a window.
        for (rule, _) in engine.matching(parsed.root()) {
            if rule.threshold().is_none() {
                out.insert((
                    r["eventID"].as_str().unwrap().to_owned(),
                    rule.id().to_owned(),
                ));
            }
        }
    }
    out
}

fn pairs(alerts: &[Value]) -> BTreeSet<(String, String)> {
    alerts
        .iter()
        .map(|a| {
            (
                a["event_id"].as_str().unwrap().to_owned(),
                a["rule_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_on_eventbridge_is_alerted_once_and_its_log_file_adds_only_the_rest() {
    let moto = MotoServer::start().expect("moto_server");
    let st = stack(&moto.endpoint()).await;
    let records = sample_records();
    let root = records
        .iter()
        .find(|r| r["eventID"] == ROOT_EVENT)
        .unwrap()
        .clone();
    let deps = st.deps(st.sns_sink());

    // 1. The root console sign-in, seconds after it happened: EventBridge → the fast-path queue → the function.
    st.put_record("aws.signin", "AWS Console Sign In via CloudTrail", &root)
        .await;
    let batch = st.fast_path_batch().await;
    // Once per fast-path rule whose pattern selects it (EventBridge delivers to every matching rule; the
    // root sign-in is also selected by the external-access rules' pattern): the dedup table makes the copies
    // one alert.
    let delivered = batch["Records"].as_array().unwrap();
    assert!(
        !delivered.is_empty(),
        "the rules routed the event to the queue"
    );
    for m in delivered {
        let body: Value = serde_json::from_str(m["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["detail-type"], "AWS Console Sign In via CloudTrail");
        assert_eq!(body["detail"]["eventID"], ROOT_EVENT);
    }
    let copies = delivered.len() as u64;
    let response = handle_event(LambdaEvent::new(batch, Context::default()), &deps)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": []})
    );
    let fast = st.alerts().await;
    let root_findings = expected(&deps.engine, std::slice::from_ref(&root));
    assert!(!root_findings.is_empty());
    assert_eq!(pairs(&fast), root_findings);
    assert_eq!(fast.len(), root_findings.len(), "one message per finding");
    assert!(fast
        .iter()
        .all(|a| a["path"] == "eventbridge" && a["bucket"] == "" && a["key"] == ""));
    // One copy per selecting rule, one event id: the first is evaluated, the others skipped as copies.
    assert_eq!(response.report().eventbridge_records, 1);
    assert_eq!(response.report().deduplicated, 0);
    assert_eq!(copies_skipped(response.report()), copies - 1);

    // 2. Minutes later the log file with the same record arrives through S3: its other findings are alerted,
    // the root sign-in's are not published again.
    st.s3
        .put_object()
        .bucket(BUCKET)
        .key(SAMPLE_KEY)
        .body(
            std::fs::read(repo_root().join("events").join(SAMPLE_KEY))
                .unwrap()
                .into(),
        )
        .send()
        .await
        .unwrap();
    let summary = handle_event(s3_event(SAMPLE_KEY), &deps)
        .await
        .unwrap()
        .into_report();
    let slow = st.alerts().await;
    let all = expected(&deps.engine, &records);
    let rest: BTreeSet<_> = all.difference(&root_findings).cloned().collect();
    assert!(!rest.is_empty());
    assert_eq!(pairs(&slow), rest);
    assert_eq!(summary.deduplicated, root_findings.len() as u64);
    assert_eq!(summary.published, rest.len() as u64);
    assert_eq!(summary.dedup_unavailable, 0);
    assert!(slow
        .iter()
        .all(|a| a["event_id"] != ROOT_EVENT && a["path"] == "s3"));
    assert!(ids(&fast, "finding_id").is_disjoint(&ids(&slow, "finding_id")));

    // 3. A read-only call that no rule matches and the patterns do not select: nothing reaches the queue (so
    // the function is never invoked for it). (A successful one would be selected: the recommended profile's
    // external-principal-access widens the patterns to every successful call not invoked by a service, as
    // EventBridge cannot compare the caller's account with the recipient's.)
    let quiet = json!({
        "errorCode": "ThrottlingException", "errorMessage": "Rate exceeded",
        "eventVersion": "1.09", "eventTime": "2024-01-15T12:09:00Z", "awsRegion": "us-east-1",
        "eventID": "00000000-0000-4000-8000-000000000099", "eventType": "AwsApiCall",
        "eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity", "readOnly": true,
        "managementEvent": true, "recipientAccountId": "111122223333",
        "sourceIPAddress": "198.51.100.23", "userAgent": "aws-cli/2.15.0",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice",
                         "accountId": "111122223333", "userName": "alice"}
    });
    assert!(expected(&deps.engine, std::slice::from_ref(&quiet)).is_empty());
    st.put_record("aws.sts", "AWS API Call via CloudTrail", &quiet)
        .await;
    let batch = st.fast_path_batch().await;
    assert_eq!(batch["Records"].as_array().unwrap().len(), 0, "{batch}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_not_from_aws_never_alerts_and_the_genuine_one_in_the_same_batch_does() {
    let moto = MotoServer::start().expect("moto_server");
    let st = stack(&moto.endpoint()).await;
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("events/sqs-eventbridge-forged.json")).unwrap(),
    )
    .unwrap();
    let forged_body = sample["Records"][0]["body"].as_str().unwrap().to_owned();
    let forged: Value = serde_json::from_str(&forged_body).unwrap();
    assert_eq!(forged["source"], "custom.app");
    let deps = st.deps(st.sns_sink());
    assert!(!expected(&deps.engine, std::slice::from_ref(&forged["detail"])).is_empty());

    // 1. PutEvents from custom.app with the CloudTrail detail-type: the patterns pin source aws.*, so nothing
    // reaches the queue.
    st.put_record(
        "custom.app",
        "AWS Console Sign In via CloudTrail",
        &forged["detail"],
    )
    .await;
    let batch = st.fast_path_batch().await;
    assert_eq!(batch["Records"].as_array().unwrap().len(), 0, "{batch}");

    // 2. Whoever may SendMessage on the queue writes the forged event there; the genuine sign-in arrives
    // through EventBridge. One batch: the forged one is refused (not a batch item failure), the genuine one
    // alerts.
    st.sqs
        .send_message()
        .queue_url(&st.fast_queue_url)
        .message_body(&forged_body)
        .send()
        .await
        .unwrap();
    let root = sample_records()
        .into_iter()
        .find(|r| r["eventID"] == ROOT_EVENT)
        .unwrap();
    st.put_record("aws.signin", "AWS Console Sign In via CloudTrail", &root)
        .await;
    let batch = st.fast_path_batch().await;
    let sources: Vec<String> = batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let body: Value = serde_json::from_str(m["body"].as_str().unwrap()).unwrap();
            body["source"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        sources.iter().filter(|s| *s == "custom.app").count(),
        1,
        "{sources:?}"
    );
    let genuine = sources.iter().filter(|s| *s == "aws.signin").count() as u64;
    assert!(genuine >= 1, "{sources:?}");
    let response = handle_event(LambdaEvent::new(batch, Context::default()), &deps)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": []})
    );
    let summary = response.report();
    assert_eq!(
        (summary.foreign_events_refused, summary.eventbridge_records),
        (1, 1)
    );
    assert_eq!(copies_skipped(summary), genuine - 1);
    let alerts = st.alerts().await;
    let root_findings = expected(&deps.engine, std::slice::from_ref(&root));
    assert_eq!(
        pairs(&alerts),
        root_findings,
        "only the genuine record alerts"
    );
    assert!(alerts.iter().all(|a| a["event_id"] == ROOT_EVENT));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_sign_in_whose_finding_ids_were_written_into_the_dedup_table_beforehand_by_another_principal_still_pages(
) {
    let moto = MotoServer::start().expect("moto_server");
    let st = stack(&moto.endpoint()).await;
    let deps = st.deps(st.sns_sink());
    let root = sample_records()
        .into_iter()
        .find(|r| r["eventID"] == ROOT_EVENT)
        .unwrap();
    let root_findings = expected(&deps.engine, std::slice::from_ref(&root));
    assert!(!root_findings.is_empty());
    // The finding ids anyone can compute: sha256(eventID, rule id).
    let ids: Vec<String> = root_findings
        .iter()
        .map(|(event_id, rule_id)| rules::finding_id(Some(event_id), rule_id, ""))
        .collect();
    let dynamodb = trailwarden_aws::dynamodb_client(&st.sdk);
    let far = (chrono::Utc::now().timestamp() + 86_400).to_string();
    // Another principal's own HMAC key: a well-formed MAC, just not the function's.
    let other_key = kms_client(&st.sdk)
        .create_key()
        .key_spec(KeySpec::Hmac256)
        .key_usage(KeyUsageType::GenerateVerifyMac)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let put = |id: &str, mac: Option<Vec<u8>>| {
        let mut item = dynamodb
            .put_item()
            .table_name(TABLE)
            .item(
                alerter::adapters::dedup::KEY,
                AttributeValue::S(id.to_owned()),
            )
            .item(
                alerter::adapters::dedup::EXPIRES_AT,
                AttributeValue::N(far.clone()),
            );
        if let Some(mac) = mac {
            item = item.item(
                alerter::adapters::dedup::MAC,
                AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(mac)),
            );
        }
        item.send()
    };
    let mut forgeries: Vec<Option<Vec<u8>>> = vec![None, Some(vec![0x42; 32])];
    let message = alerter::adapters::dedup::mark_message(&ids[0], far.parse().unwrap());
    forgeries.push(Some(
        kms_client(&st.sdk)
            .generate_mac()
            .key_id(other_key)
            .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256)
            .message(aws_sdk_kms::primitives::Blob::new(message))
            .send()
            .await
            .unwrap()
            .mac
            .unwrap()
            .into_inner(),
    ));
    for (round, forged) in forgeries.into_iter().enumerate() {
        for id in &ids {
            put(id, forged.clone()).await.unwrap();
        }
        st.put_record("aws.signin", "AWS Console Sign In via CloudTrail", &root)
            .await;
        let batch = st.fast_path_batch().await;
        let copies = batch["Records"].as_array().unwrap().len() as u64;
        assert!(copies >= 1);
        let response = handle_event(LambdaEvent::new(batch, Context::default()), &deps)
            .await
            .unwrap();
        let summary = response.report();
        let alerts = st.alerts().await;
        assert_eq!(
            pairs(&alerts),
            root_findings,
            "round {round}: the pre-written marks did not hold the alert back"
        );
        assert_eq!(alerts.len(), root_findings.len(), "round {round}");
        assert_eq!(
            summary.dedup_mark_unauthenticated,
            ids.len() as u64,
            "round {round}"
        );
        assert_eq!(summary.dedup_unavailable, 0, "round {round}");
        // The extra copies of the event in the batch were skipped, not evaluated again.
        assert_eq!(summary.deduplicated, 0, "round {round}");
        assert_eq!(copies_skipped(summary), copies - 1, "round {round}");
        let stored = dynamodb
            .get_item()
            .table_name(TABLE)
            .key(
                alerter::adapters::dedup::KEY,
                AttributeValue::S(ids[0].clone()),
            )
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert!(
            matches!(stored.get(alerter::adapters::dedup::MAC), Some(AttributeValue::B(b)) if b.as_ref().len() == 32)
        );

        // A second delivery of the same event, now that the function's own marks are there: deduplicated.
        st.put_record("aws.signin", "AWS Console Sign In via CloudTrail", &root)
            .await;
        let batch = st.fast_path_batch().await;
        let response = handle_event(LambdaEvent::new(batch, Context::default()), &deps)
            .await
            .unwrap();
        assert!(st.alerts().await.is_empty(), "round {round}");
        assert!(response.report().deduplicated >= ids.len() as u64);
        assert_eq!(response.report().dedup_mark_unauthenticated, 0);
    }
}

/// A sink that hands its first `n` calls to the real SNS sink, then fails (SNS going away half-way).
struct FailsAfter {
    n: usize,
    calls: AtomicUsize,
    inner: SnsSink,
}

impl AlertSink for FailsAfter {
    async fn publish(&self, alerts: &[OutgoingAlert]) -> Result<(), SinkError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) >= self.n {
            return Err(SinkError::Unpublished {
                unpublished: alerts.len(),
                total: alerts.len(),
                last_error: "InternalError: the test's sink stopped".into(),
            });
        }
        self.inner.publish(alerts).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_published_log_file_retried_publishes_only_the_missing_alerts() {
    let moto = MotoServer::start().expect("moto_server");
    let st = stack(&moto.endpoint()).await;
    // Three denied calls, one finding each.
    let records: Vec<Value> = (1..=3)
        .map(|i| {
            json!({
                "eventVersion": "1.09", "eventTime": format!("2024-01-15T13:0{i}:00Z"),
                "awsRegion": "us-east-1", "eventID": format!("10000000-0000-4000-8000-00000000000{i}"),
                "eventSource": "s3.amazonaws.com", "eventName": "GetBucketPolicy",
                "errorCode": "AccessDenied", "errorMessage": "Access Denied",
                "recipientAccountId": "111122223333", "sourceIPAddress": "198.51.100.23",
                "userAgent": "aws-cli/2.15.0",
                "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/u{i}"),
                                 "accountId": "111122223333", "userName": format!("u{i}")}
            })
        })
        .collect();
    let key = SAMPLE_KEY.replace("SamPLe0123456789", "HalfPub012345678");
    st.s3
        .put_object()
        .bucket(BUCKET)
        .key(&key)
        .body(gz(json!({ "Records": records }).to_string().as_bytes()).into())
        .send()
        .await
        .unwrap();

    let half = st.deps(FailsAfter {
        n: 1,
        calls: AtomicUsize::new(0),
        inner: st.sns_sink(),
    });
    let want = expected(&half.engine, &records);
    assert_eq!(want.len(), 3);
    let err = handle_event(s3_event(&key), &half).await.unwrap_err();
    assert_eq!(err.errors.len(), 1, "{err}");
    let first = st.alerts().await;
    assert_eq!(
        first.len(),
        1,
        "the first alert went out before the sink failed"
    );

    // Lambda retries the event: only the two missing alerts are published.
    let retry = st.deps(st.sns_sink());
    let summary = handle_event(s3_event(&key), &retry)
        .await
        .unwrap()
        .into_report();
    assert_eq!((summary.published, summary.deduplicated), (2, 1));
    let second = st.alerts().await;
    assert_eq!(second.len(), 2);
    let mut all = first.clone();
    all.extend(second);
    assert_eq!(
        pairs(&all),
        want,
        "every alert exactly once over both attempts"
    );
    assert_eq!(ids(&all, "finding_id").len(), 3);
}
