//! End to end on a real local AWS endpoint: a CloudTrail log file in S3 → the handler with real SDK
//! clients → SNS → an SQS queue subscribed to the topic. Asserts the exact alerts that arrive.

use alerter::{
    handle, s3_client, sns_client, Config, Deps, ObjectError, S3Source, SnsSink, SourceError,
};
use aws_lambda_events::s3::S3Event;
use e2e::{repo_root, sdk_config, MotoServer};
use flate2::write::GzEncoder;
use lambda_runtime::{Context, LambdaEvent};
use rules::Engine;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;

const BUCKET: &str = "trailwarden-demo-logs";
const SAMPLE_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";

fn event(file: &str) -> LambdaEvent<S3Event> {
    let text = std::fs::read_to_string(repo_root().join("events").join(file)).unwrap();
    LambdaEvent::new(serde_json::from_str(&text).unwrap(), Context::default())
}

fn event_for_key(key: &str) -> LambdaEvent<S3Event> {
    let mut e: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("events/s3-put.json")).unwrap(),
    )
    .unwrap();
    e["Records"][0]["s3"]["object"]["key"] = Value::from(key);
    LambdaEvent::new(serde_json::from_value(e).unwrap(), Context::default())
}

struct Stack {
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
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
    let queue_url = sqs
        .create_queue()
        .queue_name("alerts-inbox")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .unwrap();
    let config = Config {
        max_uncompressed_bytes: 256 * 1024 * 1024,
        ..Config::new(topic_arn.clone())
    };
    let deps = Deps {
        source: S3Source::new(s3.clone()),
        sink: SnsSink::new(sns, topic_arn),
        // The handler is under test here, not the catalog: pin the two rules the sample file exercises.
        engine: Arc::new(
            Engine::with_ids(&[
                "cis-4.1-unauthorized-api-calls",
                "cis-4.3-root-account-usage",
            ])
            .unwrap(),
        ),
        config,
    };
    Stack {
        s3,
        sqs,
        queue_url,
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
        let mut out = Vec::new();
        loop {
            let got = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            let msgs = got.messages.unwrap_or_default();
            if msgs.is_empty() {
                return out;
            }
            for m in msgs {
                out.push(serde_json::from_str(m.body.as_deref().unwrap()).unwrap());
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle.unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
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

    let summary = handle(event("s3-put.json"), &st.deps).await.unwrap();
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
    let summary = handle(event_for_key(&key), &st.deps).await.unwrap();
    assert_eq!(
        (summary.records, summary.findings, summary.published),
        (4, 0, 0)
    );
    assert!(
        st.drain().await.is_empty(),
        "non-matching records produce no alert"
    );

    // A digest notification is skipped without reading it.
    let summary = handle(event("s3-digest.json"), &st.deps).await.unwrap();
    assert_eq!(summary.skipped.get("digest"), Some(&1));

    // A log file that is not in the bucket: the real S3 adapter reports a 404 with bucket and key.
    let missing = SAMPLE_KEY.replace("SamPLe", "Gone00");
    let err = handle(event_for_key(&missing), &st.deps).await.unwrap_err();
    assert!(
        matches!(&err.errors[0], ObjectError::GetObject { source: SourceError::NotFound, key, .. } if *key == missing),
        "{err}"
    );
    assert!(st.drain().await.is_empty());
}
