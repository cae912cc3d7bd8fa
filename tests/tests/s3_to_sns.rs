//! End to end on a real local AWS endpoint: a CloudTrail log file in S3 → the handler with real SDK
//! clients → SNS → an SQS queue subscribed to the topic. Asserts the exact alerts that arrive.

use alerter::{
    handle_event, s3_client, sns_client, sns_sink, Config, Deps, ObjectError, S3Source, SnsSink,
    SourceError,
};
use flate2::write::GzEncoder;
use lambda_runtime::{Context, LambdaEvent};
use rules::Engine;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use test_support::{drain_queue, repo_root, sdk_config, subscribed_queue, MotoServer};

const BUCKET: &str = "trailwarden-demo-logs";
const SAMPLE_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";

fn event(file: &str) -> LambdaEvent<Value> {
    let text = std::fs::read_to_string(repo_root().join("events").join(file)).unwrap();
    LambdaEvent::new(serde_json::from_str(&text).unwrap(), Context::default())
}

fn event_for_key(key: &str) -> LambdaEvent<Value> {
    LambdaEvent::new(test_support::s3_put_event(key), Context::default())
}

struct Stack {
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    /// Subscribed with a filter policy: severity high or critical only.
    urgent_queue_url: String,
    topic_arn: String,
    deps: Deps<S3Source, SnsSink>,
}

async fn stack(endpoint: &str) -> Stack {
    let sdk = sdk_config(endpoint).await;
    let s3 = s3_client(&sdk);
    let sns = sns_client(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let topic_arn = sns
        .create_topic()
        .name("trailwarden-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let queue_url = subscribed_queue(&sns, &sqs, &topic_arn, "alerts-inbox", None).await;
    let urgent_queue_url = subscribed_queue(
        &sns,
        &sqs,
        &topic_arn,
        "urgent-inbox",
        Some(r#"{"severity": ["high", "critical"]}"#),
    )
    .await;
    for (protocol, endpoint) in [("email", "secops@example.com"), ("sms", "+15555550100")] {
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol(protocol)
            .endpoint(endpoint)
            .send()
            .await
            .unwrap();
    }
    let config = Config {
        max_uncompressed_bytes: 256 * 1024 * 1024,
        ..Config::new(topic_arn.clone())
    };
    let deps = Deps::new(
        S3Source::new(s3.clone()),
        sns_sink(sns, topic_arn.clone()),
        // The handler is under test here, not the catalog: pin the two rules the sample file exercises.
        Engine::with_ids(&[
            "cis-4.1-unauthorized-api-calls",
            "cis-4.3-root-account-usage",
        ])
        .unwrap(),
        config,
    );
    Stack {
        s3,
        sqs,
        queue_url,
        urgent_queue_url,
        topic_arn,
        deps,
    }
}

impl Stack {
    async fn put(&self, key: &str, body: Vec<u8>) {
        self.s3
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(body.into())
            .send()
            .await
            .unwrap();
    }

    /// Every SNS envelope waiting in the queue (SNS→SQS delivery is synchronous in moto), deleting them.
    async fn drain(&self) -> Vec<Value> {
        self.drain_queue(&self.queue_url).await
    }

    async fn drain_queue(&self, queue_url: &str) -> Vec<Value> {
        drain_queue(&self.sqs, queue_url).await
    }
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudtrail_file_in_s3_becomes_alerts_in_a_subscribed_queue() {
    let moto = MotoServer::start().expect("moto_server");
    let st = stack(&moto.endpoint()).await;
    st.put(
        SAMPLE_KEY,
        std::fs::read(repo_root().join("events").join(SAMPLE_KEY)).unwrap(),
    )
    .await;

    let summary = handle_event(event("s3-put.json"), &st.deps)
        .await
        .unwrap()
        .into_report();
    assert_eq!(
        (
            summary.objects,
            summary.records,
            summary.findings,
            summary.published
        ),
        (1, 8, 3, 3)
    );

    let envelopes = st.drain().await;
    let got: BTreeSet<(String, String)> = envelopes
        .iter()
        .map(|env| {
            let body: Value = serde_json::from_str(env["Message"].as_str().unwrap()).unwrap();
            (
                body["event_id"].as_str().unwrap().to_owned(),
                body["rule_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        (
            "00000000-0000-4000-8000-000000000001",
            "cis-4.3-root-account-usage",
        ),
        (
            "00000000-0000-4000-8000-000000000002",
            "cis-4.1-unauthorized-api-calls",
        ),
        (
            "00000000-0000-4000-8000-000000000003",
            "cis-4.1-unauthorized-api-calls",
        ),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(envelopes.len(), 3, "exactly one message per finding");
    assert_eq!(got, want);

    let root = envelopes
        .iter()
        .find(|e| {
            e["Message"]
                .as_str()
                .unwrap()
                .contains("cis-4.3-root-account-usage")
        })
        .unwrap();
    assert_eq!(
        root["Subject"],
        "[HIGH] Root account used - 111122223333/us-east-1"
    );
    assert_eq!(root["MessageAttributes"]["severity"]["Value"], "high");
    assert_eq!(
        root["MessageAttributes"]["rule_id"]["Value"],
        "cis-4.3-root-account-usage"
    );
    assert_eq!(
        root["MessageAttributes"]["account_id"]["Value"],
        "111122223333"
    );
    assert_eq!(
        root["MessageAttributes"]["event_name"]["Value"],
        "ConsoleLogin"
    );
    let body: Value = serde_json::from_str(root["Message"].as_str().unwrap()).unwrap();
    assert_eq!(body["principal"], "arn:aws:iam::111122223333:root");
    assert_eq!(body["source_ip"], "198.51.100.23");
    assert_eq!(body["bucket"], BUCKET);
    assert_eq!(body["key"], SAMPLE_KEY);
    assert_eq!(body["event_time"], "2024-01-15T12:01:00Z");
    assert_eq!(body["record"]["additionalEventData"]["MFAUsed"], "No");
    assert_eq!(body["schema_version"], 1);
    assert_eq!(body["kind"], "finding");
    assert_eq!(
        root["MessageAttributes"]["finding_id"]["Value"], body["finding_id"],
        "the deterministic finding id is in the body and the attributes"
    );

    // The second queue filters on the severity attribute: only the high root finding (4.1 is medium).
    let urgent = st.drain_queue(&st.urgent_queue_url).await;
    let urgent_rules: Vec<String> = urgent
        .iter()
        .map(|env| {
            let body: Value = serde_json::from_str(env["Message"].as_str().unwrap()).unwrap();
            body["rule_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(urgent_rules, ["cis-4.3-root-account-usage"]);

    // Email and SMS subscribers get their own bodies of the MessageStructure=json message. moto does not
    // send email or SMS; its data dump holds every message the topic received, with all three bodies.
    let data: Value = serde_json::from_str(&moto.get("/moto-api/data.json").unwrap()).unwrap();
    let sent = data["sns"]["Topic"]
        .as_array()
        .expect("moto data lists SNS topics")
        .iter()
        .find(|t| t["arn"] == st.topic_arn.as_str())
        .map(|t| t["sent_notifications"].clone())
        .expect("our topic is in moto's data");
    let structures: Vec<Value> = sent
        .as_array()
        .unwrap()
        .iter()
        .map(|n| serde_json::from_str(n[1].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(structures.len(), 3);
    let root_structure = structures
        .iter()
        .find(|m| {
            m["default"]
                .as_str()
                .unwrap()
                .contains("cis-4.3-root-account-usage")
        })
        .unwrap();
    let email = root_structure["email"].as_str().unwrap();
    let sms = root_structure["sms"].as_str().unwrap();
    assert!(email.contains("arn:aws:iam::111122223333:root"), "{email}");
    assert!(
        email.contains("[[exclusions]]"),
        "the email says how to silence it: {email}"
    );
    assert!(sms.chars().count() <= 140, "{sms}");
    assert!(sms.to_lowercase().contains("root"), "{sms}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_matching_records_digests_and_missing_objects() {
    let moto = MotoServer::start().expect("moto_server");
    let st = stack(&moto.endpoint()).await;

    // Only near misses and ordinary calls: nothing may arrive.
    let quiet = r#"{"Records":[
        {"eventID":"q1","eventName":"HeadBucket","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.1","eventType":"AwsApiCall","userIdentity":{"type":"IAMUser"}},
        {"eventID":"q2","eventName":"PutObject","errorCode":"AccessDenied","sourceIPAddress":"delivery.logs.amazonaws.com","eventType":"AwsApiCall"},
        {"eventID":"q3","eventName":"GetAccountSummary","eventType":"AwsApiCall","userIdentity":{"type":"Root","invokedBy":"support.amazonaws.com"}},
        {"eventID":"q4","eventName":"GetCallerIdentity","eventType":"AwsApiCall","userIdentity":{"type":"AssumedRole"}}
    ]}"#;
    let key = SAMPLE_KEY.replace("SamPLe", "Quiet0");
    st.put(&key, gz(quiet.as_bytes())).await;
    let summary = handle_event(event_for_key(&key), &st.deps)
        .await
        .unwrap()
        .into_report();
    assert_eq!(
        (summary.records, summary.findings, summary.published),
        (4, 0, 0)
    );
    assert!(
        st.drain().await.is_empty(),
        "non-matching records produce no alert"
    );

    // A digest notification is skipped without reading it.
    let summary = handle_event(event("s3-digest.json"), &st.deps)
        .await
        .unwrap()
        .into_report();
    assert_eq!(summary.skipped.get("digest"), Some(&1));

    // A log file that is not in the bucket: the real S3 adapter reports a 404 with bucket and key.
    let missing = SAMPLE_KEY.replace("SamPLe", "Gone00");
    let err = handle_event(event_for_key(&missing), &st.deps)
        .await
        .unwrap_err();
    assert!(
        matches!(&err.errors[0], ObjectError::GetObject { source: SourceError::NotFound, key, .. } if *key == missing),
        "{err}"
    );
    assert!(st.drain().await.is_empty());
}

/// Finding 3 of issue 15: a forged version written to the key right after CloudTrail's delivery must not be what
/// is scanned. The handler reads the version the S3 event names, on a versioned bucket (as the module's is).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivered_version_is_read_not_a_later_overwrite() {
    let moto = MotoServer::start().expect("moto_server");
    let st = stack(&moto.endpoint()).await;
    st.s3
        .put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let put = |body: Vec<u8>| {
        st.s3
            .put_object()
            .bucket(BUCKET)
            .key(SAMPLE_KEY)
            .body(body.into())
            .send()
    };
    // CloudTrail delivers the sample (a root login and two denied calls) …
    let delivered = put(std::fs::read(repo_root().join("events").join(SAMPLE_KEY)).unwrap())
        .await
        .unwrap()
        .version_id
        .expect("a versioned bucket names the version");
    // … and the attacker overwrites the key with a harmless-looking file before the function reads it.
    let forged = r#"{"Records":[{"eventID":"f1","eventName":"GetCallerIdentity","eventType":"AwsApiCall","userIdentity":{"type":"AssumedRole"}}]}"#;
    let overwrite = put(gz(forged.as_bytes()))
        .await
        .unwrap()
        .version_id
        .unwrap();
    assert_ne!(delivered, overwrite);

    // The event S3 sent for CloudTrail's write names the delivered version.
    let mut e: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("events/s3-put.json")).unwrap(),
    )
    .unwrap();
    e["Records"][0]["s3"]["object"]["versionId"] = Value::from(delivered.as_str());
    let event: LambdaEvent<Value> = LambdaEvent::new(
        serde_json::from_value(e.clone()).unwrap(),
        Context::default(),
    );
    let summary = handle_event(event, &st.deps).await.unwrap().into_report();
    assert_eq!(
        (summary.records, summary.findings, summary.published),
        (8, 3, 3),
        "the delivered file's 8 records and 3 findings, not the forged file's 1 record"
    );
    let rules: BTreeSet<String> = st
        .drain()
        .await
        .iter()
        .map(|env| {
            let body: Value = serde_json::from_str(env["Message"].as_str().unwrap()).unwrap();
            body["rule_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from([
            "cis-4.1-unauthorized-api-calls".to_owned(),
            "cis-4.3-root-account-usage".to_owned()
        ])
    );

    // Without a version id (an unversioned bucket's event) the key's current object is read: the forgery. This
    // is the contrast that shows the version id is what protects the read.
    e["Records"][0]["s3"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("versionId");
    let summary = handle_event(
        LambdaEvent::new(
            serde_json::from_value(e.clone()).unwrap(),
            Context::default(),
        ),
        &st.deps,
    )
    .await
    .unwrap()
    .into_report();
    assert_eq!((summary.records, summary.findings), (1, 0));

    // A version that was deleted (or never existed) is a named failure, not a silent fallback to the key.
    e["Records"][0]["s3"]["object"]["versionId"] = Value::from("3HL4kqtJlcpXroDTDmjVBH40Nrjfkd");
    let err = handle_event(
        LambdaEvent::new(serde_json::from_value(e).unwrap(), Context::default()),
        &st.deps,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            &err.errors[0],
            ObjectError::GetObject {
                source: SourceError::NotFound,
                ..
            }
        ),
        "{err}"
    );
    assert!(st.drain().await.is_empty());
}
