//! The findings archive end to end on moto_server: the handler with real SDK clients and the S3 archive
//! (`alerter::adapters::archive`) writes exactly one SSE-KMS object per invocation with one JSON line per finding, none
//! for an invocation without findings, and an archive that cannot be written (its bucket is missing) neither
//! fails the invocation nor stops its alerts, and is counted (`archive_failed`, the `ArchiveFailed` metric).

use alerter::channels::archive::ArchiveChannel;
use alerter::{
    handle_event, s3_client, sns_client, sns_sink, ArchiveSink, Config, Deps, S3Archive, S3Source,
    SnsSink,
};
use lambda_runtime::{Context, LambdaEvent};
use rules::Engine;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use test_support::{drain_queue, repo_root, sdk_config, subscribed_queue, MotoServer};

const LOGS: &str = "trailwarden-archive-logs";
const PREFIX: &str = "trailwarden-findings/";
const SAMPLE_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";

fn event_for_key(key: &str, request_id: &str) -> LambdaEvent<Value> {
    let mut e = test_support::s3_put_event(key);
    e["Records"][0]["s3"]["bucket"]["name"] = Value::from(LOGS);
    let mut context = Context::default();
    context.request_id = request_id.to_owned();
    LambdaEvent::new(e, context)
}

struct Stack {
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    key_arn: String,
    deps: Deps<S3Source, SnsSink>,
}

/// The log bucket, the alert topic with a queue, a KMS key, and the handler archiving to `archive_bucket`
/// under [`PREFIX`] with that key.
async fn stack(endpoint: &str, archive_bucket: &str) -> Stack {
    let sdk = sdk_config(endpoint).await;
    let s3 = s3_client(&sdk);
    let sns = sns_client(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let kms = aws_sdk_kms::Client::new(&sdk);
    s3.create_bucket().bucket(LOGS).send().await.unwrap();
    let key_arn = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let topic_arn = sns
        .create_topic()
        .name("trailwarden-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let queue_url = subscribed_queue(&sns, &sqs, &topic_arn, "alerts-inbox", None).await;
    let archive: Arc<dyn ArchiveSink> = Arc::new(S3Archive::new(
        s3.clone(),
        archive_bucket,
        PREFIX,
        Some(key_arn.clone()),
    ));
    let deps = Deps::new(
        S3Source::new(s3.clone()),
        sns_sink(sns, topic_arn.clone()),
        Engine::with_ids(&[
            "cis-4.1-unauthorized-api-calls",
            "cis-4.3-root-account-usage",
        ])
        .unwrap(),
        Config::new(topic_arn),
    )
    .with_archive(Some(archive));
    Stack {
        s3,
        sqs,
        queue_url,
        key_arn,
        deps,
    }
}

impl Stack {
    async fn put(&self, key: &str, body: Vec<u8>) {
        self.s3
            .put_object()
            .bucket(LOGS)
            .key(key)
            .body(body.into())
            .send()
            .await
            .unwrap();
    }

    /// Every object key under the archive prefix.
    async fn archived_keys(&self, bucket: &str) -> Vec<String> {
        self.s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(PREFIX)
            .send()
            .await
            .unwrap()
            .contents
            .unwrap_or_default()
            .into_iter()
            .filter_map(|o| o.key)
            .collect()
    }
}

/// A gzip-compressed log file with the given records.
fn log_file(records: &[Value]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(
        serde_json::json!({ "Records": records })
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    e.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_finding_of_an_invocation_in_one_object_and_nothing_without_findings() {
    let moto = MotoServer::start().expect("moto_server");
    let st = stack(&moto.endpoint(), LOGS).await;
    st.put(
        SAMPLE_KEY,
        std::fs::read(repo_root().join("events").join(SAMPLE_KEY)).unwrap(),
    )
    .await;

    let summary = handle_event(event_for_key(SAMPLE_KEY, "req-findings"), &st.deps)
        .await
        .unwrap()
        .into_report();
    assert_eq!((summary.findings, summary.published), (3, 3));
    assert_eq!((summary.archived, summary.archive_failed), (3, 0));

    // Exactly one object, named after the invocation, under today's day partition.
    let keys = st.archived_keys(LOGS).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key = &keys[0];
    assert!(
        key.starts_with(&format!("{PREFIX}day=")) && key.ends_with("/req-findings.jsonl"),
        "{key}"
    );
    let day = &key[PREFIX.len() + 4..key.len() - "/req-findings.jsonl".len()];
    assert!(
        chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok(),
        "{day}"
    );

    let object = st
        .s3
        .get_object()
        .bucket(LOGS)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        object.server_side_encryption().map(|s| s.as_str()),
        Some("aws:kms")
    );
    assert_eq!(object.ssekms_key_id(), Some(st.key_arn.as_str()));
    let body = object.body.collect().await.unwrap().into_bytes();
    let text = std::str::from_utf8(&body).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "one line per finding: {text}");

    // The same findings SNS received, with the same finding ids.
    let envelopes = drain_queue(&st.sqs, &st.queue_url).await;
    let published: BTreeSet<(String, String, String)> = envelopes
        .iter()
        .map(|env| {
            let body: Value = serde_json::from_str(env["Message"].as_str().unwrap()).unwrap();
            (
                body["finding_id"].as_str().unwrap().to_owned(),
                body["event_id"].as_str().unwrap().to_owned(),
                body["rule_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let archived: BTreeSet<(String, String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["finding_id"].as_str().unwrap().to_owned(),
                l["event_id"].as_str().unwrap().to_owned(),
                l["rule_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(archived, published);
    assert_eq!(
        archived
            .iter()
            .map(|(_, e, r)| (e.as_str(), r.as_str()))
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([
            (
                "00000000-0000-4000-8000-000000000001",
                "cis-4.3-root-account-usage"
            ),
            (
                "00000000-0000-4000-8000-000000000002",
                "cis-4.1-unauthorized-api-calls"
            ),
            (
                "00000000-0000-4000-8000-000000000003",
                "cis-4.1-unauthorized-api-calls"
            ),
        ])
    );
    for l in &lines {
        assert_eq!(l["status"], "published", "{l}");
        assert_eq!(l["request_id"], "req-findings");
        assert_eq!(l["path"], "s3");
        assert_eq!(l["log_bucket"], LOGS);
        assert_eq!(l["log_key"], SAMPLE_KEY);
        assert_eq!(l["account_id"], "111122223333");
        assert_eq!(l["region"], "us-east-1");
        assert!(l["principal"].is_string(), "{l}");
        assert!(l["event_time"].is_string(), "{l}");
    }
    let root = lines
        .iter()
        .find(|l| l["rule_id"] == "cis-4.3-root-account-usage")
        .unwrap();
    assert_eq!(root["severity"], "high");

    // A log file without findings: the invocation writes nothing.
    let quiet_key = SAMPLE_KEY.replace("SamPLe", "QuieT0");
    st.put(
        &quiet_key,
        log_file(&[serde_json::json!({
            "eventVersion": "1.08", "eventID": "quiet-1", "eventName": "DescribeInstances",
            "eventSource": "ec2.amazonaws.com", "eventTime": "2024-01-15T12:00:00Z",
            "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"}
        })]),
    )
    .await;
    let summary = handle_event(event_for_key(&quiet_key, "req-quiet"), &st.deps)
        .await
        .unwrap()
        .into_report();
    assert_eq!(
        (summary.records, summary.findings, summary.archived),
        (1, 0, 0)
    );
    assert_eq!(
        st.archived_keys(LOGS).await,
        keys,
        "no object for req-quiet"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_that_cannot_be_written_does_not_fail_alerting_and_is_counted() {
    let moto = MotoServer::start().expect("moto_server");
    // The archive bucket does not exist: PutObject fails with NoSuchBucket.
    let st = stack(&moto.endpoint(), "trailwarden-archive-missing").await;
    st.put(
        SAMPLE_KEY,
        std::fs::read(repo_root().join("events").join(SAMPLE_KEY)).unwrap(),
    )
    .await;

    let summary = handle_event(event_for_key(SAMPLE_KEY, "req-no-bucket"), &st.deps)
        .await
        .expect("the invocation succeeds although the archive failed")
        .into_report();
    assert_eq!((summary.findings, summary.published), (3, 3));
    assert_eq!((summary.archived, summary.archive_failed), (0, 3));
    assert_eq!(drain_queue(&st.sqs, &st.queue_url).await.len(), 3);
    assert!(st.archived_keys(LOGS).await.is_empty());

    // Counted as the ArchiveFailed metric.
    let lines = alerter::metrics::emf_lines(&summary, "trailwarden-alerter", chrono::Utc::now());
    let main: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(main["ArchiveFailed"].as_u64(), Some(3));
    assert_eq!(main["Archived"].as_u64(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_line_says_what_became_of_its_finding() {
    use alerter::{Dedup, MemArchive, MemDedup};
    let moto = MotoServer::start().expect("moto_server");
    let mut st = stack(&moto.endpoint(), LOGS).await;
    st.put(
        SAMPLE_KEY,
        std::fs::read(repo_root().join("events").join(SAMPLE_KEY)).unwrap(),
    )
    .await;
    // The root sign-in was already published (the fast path marked it); the denied calls (medium) fold into a
    // storm summary at once (storm limit 0 for cis-4.1).
    let archive = Arc::new(MemArchive::new(PREFIX));
    let dedup = Arc::new(MemDedup::new());
    let first = handle_event(event_for_key(SAMPLE_KEY, "req-first"), &st.deps)
        .await
        .unwrap()
        .into_report();
    assert_eq!(first.archived, 3);
    let lines_of = |objects: Vec<(String, Vec<u8>)>| -> Vec<Value> {
        objects
            .iter()
            .flat_map(|(_, body)| {
                std::str::from_utf8(body)
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str::<Value>(l).unwrap())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let root_id = {
        let key = &st.archived_keys(LOGS).await[0];
        let object = st
            .s3
            .get_object()
            .bucket(LOGS)
            .key(key)
            .send()
            .await
            .unwrap();
        let body = object.body.collect().await.unwrap().into_bytes().to_vec();
        lines_of(vec![(key.clone(), body)])
            .into_iter()
            .find(|l| l["rule_id"] == "cis-4.3-root-account-usage")
            .unwrap()["finding_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    dedup.mark(std::slice::from_ref(&root_id)).await.unwrap();
    st.deps.dedup = Some(dedup.clone() as Arc<dyn Dedup>);
    st.deps.channels = vec![Arc::new(ArchiveChannel::new(
        archive.clone() as Arc<dyn ArchiveSink>
    ))];
    st.deps.alerts.storm_limits = [("cis-4.1-unauthorized-api-calls".to_owned(), 0)].into();
    drain_queue(&st.sqs, &st.queue_url).await;

    let summary = handle_event(event_for_key(SAMPLE_KEY, "req-second"), &st.deps)
        .await
        .unwrap()
        .into_report();
    assert_eq!(
        (
            summary.findings,
            summary.deduplicated,
            summary.storm_folded,
            summary.archived
        ),
        (3, 1, 2, 3)
    );
    let objects = archive.objects();
    assert_eq!(objects.len(), 1, "one object per invocation");
    assert!(
        objects[0].0.ends_with("/req-second.jsonl"),
        "{}",
        objects[0].0
    );
    let statuses: BTreeSet<(String, String)> = lines_of(objects)
        .iter()
        .map(|l| {
            (
                l["event_id"].as_str().unwrap().to_owned(),
                l["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from([
            (
                "00000000-0000-4000-8000-000000000001".to_owned(),
                "deduplicated".to_owned()
            ),
            (
                "00000000-0000-4000-8000-000000000002".to_owned(),
                "folded".to_owned()
            ),
            (
                "00000000-0000-4000-8000-000000000003".to_owned(),
                "folded".to_owned()
            ),
        ])
    );
    // The failing archive: counted, the invocation still succeeds.
    archive.set_failing(true);
    let summary = handle_event(event_for_key(SAMPLE_KEY, "req-third"), &st.deps)
        .await
        .unwrap()
        .into_report();
    assert_eq!((summary.archived, summary.archive_failed), (0, 3));
    assert_eq!(archive.objects().len(), 1);
}
