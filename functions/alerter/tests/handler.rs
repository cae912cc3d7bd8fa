//! The handler, called directly with in-memory fakes and the sample events in `events/`.

use alerter::config::Config;
use alerter::errors::{HandlerError, ObjectError};
use alerter::handler::{handle_event, Deps};
use alerter::ports::{
    AlertSink, Channel, Dedup, Delivery, ItemEnd, ObjectBody, ObjectSource, OutgoingAlert, Outlet,
    OutletFuture, SinkError, SourceError, Taken,
};
use alerter::MemDedup;
use flate2::write::GzEncoder;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use rules::{AlertSettings, Engine, UNEVALUATED_RECORD};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

const BUCKET: &str = "trailwarden-demo-logs";
const SAMPLE_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

fn sample_log() -> Vec<u8> {
    std::fs::read(events_dir().join(SAMPLE_KEY)).unwrap()
}

fn event(file: &str) -> LambdaEvent<Value> {
    let text = std::fs::read_to_string(events_dir().join(file)).unwrap();
    LambdaEvent::new(serde_json::from_str(&text).unwrap(), Context::default())
}

/// An event naming these keys (raw, as S3 would send them) in the sample bucket.
fn event_for(keys: &[(&str, i64)]) -> LambdaEvent<Value> {
    let mut template: Value =
        serde_json::from_str(&std::fs::read_to_string(events_dir().join("s3-put.json")).unwrap())
            .unwrap();
    let one = template["Records"][0].clone();
    template["Records"] = keys
        .iter()
        .map(|(k, size)| {
            let mut r = one.clone();
            r["s3"]["object"]["key"] = Value::from(*k);
            r["s3"]["object"]["size"] = Value::from(*size);
            r
        })
        .collect();
    LambdaEvent::new(
        serde_json::from_value(template).unwrap(),
        Context::default(),
    )
}

#[derive(Default)]
struct MemSource {
    objects: HashMap<(String, String), Vec<u8>>,
    opened: Mutex<Vec<String>>,
    /// Keys answered with 403.
    denied: Vec<String>,
    /// Keys whose body breaks after this many bytes (a dropped connection).
    broken_after: HashMap<String, usize>,
}

/// An object body that arrives a few bytes at a time, yielding to the runtime between pieces, and may
/// break off with a connection reset.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    fail_at: Option<usize>,
}

impl tokio::io::AsyncRead for Trickle {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.fail_at.is_some_and(|f| self.pos >= f) {
            return std::task::Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            )));
        }
        let limit = self.fail_at.unwrap_or(usize::MAX).min(self.data.len());
        let end = (self.pos + 13).min(limit);
        buf.put_slice(&self.data[self.pos..end]);
        self.pos = end;
        cx.waker().wake_by_ref();
        std::task::Poll::Ready(Ok(()))
    }
}

impl MemSource {
    fn with(mut self, key: &str, body: Vec<u8>) -> Self {
        self.objects
            .insert((BUCKET.to_owned(), key.to_owned()), body);
        self
    }
}

impl ObjectSource for MemSource {
    async fn open(
        &self,
        bucket: &str,
        key: &str,
        _version_id: Option<&str>,
    ) -> Result<ObjectBody, SourceError> {
        self.opened.lock().unwrap().push(key.to_owned());
        if self.denied.iter().any(|k| k == key) {
            return Err(SourceError::AccessDenied);
        }
        match self.objects.get(&(bucket.to_owned(), key.to_owned())) {
            Some(body) => Ok(Box::new(Trickle {
                data: body.clone(),
                pos: 0,
                fail_at: self.broken_after.get(key).copied(),
            })),
            None => Err(SourceError::NotFound),
        }
    }
}

#[derive(Default)]
struct RecordingSink {
    messages: Mutex<Vec<OutgoingAlert>>,
    calls: Mutex<usize>,
    reject: bool,
}

impl RecordingSink {
    /// The JSON body of every published alert.
    fn bodies(&self) -> Vec<Value> {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .map(|m| serde_json::from_str(&m.json).unwrap())
            .collect()
    }
}

impl AlertSink for RecordingSink {
    async fn publish(&self, messages: &[OutgoingAlert]) -> Result<(), SinkError> {
        *self.calls.lock().unwrap() += 1;
        assert!(
            messages.len() <= 10,
            "the handler hands over at most 10 messages at a time"
        );
        if self.reject {
            return Err(SinkError::Unpublished {
                unpublished: messages.len(),
                total: messages.len(),
                last_error: "Throttled: rate exceeded".into(),
            });
        }
        self.messages.lock().unwrap().extend_from_slice(messages);
        Ok(())
    }
}

fn deps(source: MemSource, sink: RecordingSink) -> Deps<MemSource, RecordingSink> {
    let config = Config {
        max_uncompressed_bytes: 64 * 1024 * 1024,
        ..Config::new("arn:aws:sns:us-east-1:111122223333:trailwarden-alerts")
    };
    Deps::new(
        source,
        sink,
        // The handler is under test here, not the catalog: pin the two rules the sample file exercises.
        Engine::with_ids(&[
            "cis-4.1-unauthorized-api-calls",
            "cis-4.3-root-account-usage",
        ])
        .unwrap(),
        config,
    )
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn fired(d: &Deps<MemSource, RecordingSink>) -> Vec<(String, String)> {
    let mut v: Vec<_> = d
        .sink
        .bodies()
        .iter()
        .filter(|b| b["kind"] == "finding" && b["rule_id"] != UNEVALUATED_RECORD)
        .map(|b| {
            (
                b["event_id"].as_str().unwrap().to_owned(),
                b["rule_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn expected_sample_alerts() -> Vec<(String, String)> {
    vec![
        (
            "00000000-0000-4000-8000-000000000001".into(),
            "cis-4.3-root-account-usage".into(),
        ),
        (
            "00000000-0000-4000-8000-000000000002".into(),
            "cis-4.1-unauthorized-api-calls".into(),
        ),
        (
            "00000000-0000-4000-8000-000000000003".into(),
            "cis-4.1-unauthorized-api-calls".into(),
        ),
    ]
}

#[tokio::test]
async fn sample_event_publishes_exactly_the_matching_records() {
    let d = deps(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
    );
    let summary = handle_event(event("s3-put.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!(fired(&d), expected_sample_alerts());
    assert_eq!(
        (
            summary.objects,
            summary.records,
            summary.malformed,
            summary.findings,
            summary.published
        ),
        (1, 8, 0, 3, 3)
    );
    let bodies = d.sink.bodies();
    let body = bodies
        .iter()
        .find(|b| b["rule_id"] == "cis-4.3-root-account-usage")
        .unwrap();
    for field in [
        "rule_id",
        "title",
        "severity",
        "event_id",
        "event_name",
        "event_time",
        "account_id",
        "region",
        "principal",
        "source_ip",
        "bucket",
        "key",
        "record",
    ] {
        assert!(body.get(field).is_some(), "alert lacks {field}: {body}");
    }
    assert_eq!(body["severity"], "high");
    assert_eq!(body["principal"], "arn:aws:iam::111122223333:root");
    assert_eq!(body["bucket"], BUCKET);
    assert_eq!(body["key"], SAMPLE_KEY);
    assert_eq!(body["record"]["eventName"], "ConsoleLogin");
    let messages = d.sink.messages.lock().unwrap();
    let root = messages
        .iter()
        .find(|m| {
            m.attributes
                .iter()
                .any(|(k, v)| *k == "rule_id" && v == "cis-4.3-root-account-usage")
        })
        .unwrap();
    assert_eq!(
        root.subject,
        "[HIGH] Root account used - 111122223333/us-east-1"
    );
    assert_eq!(body["finding_id"].as_str(), Some(root.finding_id.as_str()));
}

#[tokio::test]
async fn digest_and_other_keys_are_skipped_without_reading() {
    let d = deps(MemSource::default(), RecordingSink::default());
    let summary = handle_event(event("s3-digest.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!(summary.skipped.get("digest"), Some(&1));
    assert_eq!(summary.objects, 0);
    let summary = handle_event(
        event_for(&[
            ("AWSLogs/111122223333/CloudTrail/", 0),
            ("AWSLogs/111122223333/Config/ConfigWritabilityCheckFile", 0),
            (
                "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/01/15/x.json.gz",
                300,
            ),
            (
                "elb/AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/01/15/x.log.gz",
                300,
            ),
            (SAMPLE_KEY, 0),
        ]),
        &d,
    )
    .await
    .unwrap()
    .into_report();
    assert_eq!(summary.skipped.get("empty_object"), Some(&3));
    assert_eq!(summary.skipped.get("insight"), Some(&1));
    assert_eq!(summary.skipped.get("not_cloudtrail"), Some(&1));
    assert!(
        d.source.opened.lock().unwrap().is_empty(),
        "skipped objects are never fetched"
    );
}

#[tokio::test]
async fn encoded_keys_are_decoded_before_get_object() {
    let decoded = format!("audit logs+2024:prod/{SAMPLE_KEY}");
    let d = deps(
        MemSource::default().with(&decoded, sample_log()),
        RecordingSink::default(),
    );
    let summary = handle_event(event("s3-encoded-key.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!(
        d.source.opened.lock().unwrap().as_slice(),
        std::slice::from_ref(&decoded)
    );
    assert_eq!(summary.published, 3);
    assert!(d.sink.bodies().iter().all(|b| b["key"] == decoded.as_str()));
}

async fn failing(body: Option<Vec<u8>>) -> ObjectError {
    let source = match body {
        Some(b) => MemSource::default().with(SAMPLE_KEY, b),
        None => MemSource::default(),
    };
    let d = deps(source, RecordingSink::default());
    let err: HandlerError = handle_event(event("s3-put.json"), &d).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(BUCKET) && text.contains(SAMPLE_KEY),
        "error names bucket and key: {text}"
    );
    assert_eq!(err.errors.len(), 1);
    err.errors.into_iter().next().unwrap()
}

#[tokio::test]
async fn missing_object_fails_the_invocation() {
    let e = failing(None).await;
    assert!(
        matches!(
            e,
            ObjectError::GetObject {
                source: SourceError::NotFound,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), "GetObject");
}

#[tokio::test]
async fn bad_files_fail_with_named_errors() {
    let log = sample_log();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"this is not gzip".to_vec(), "Read.UnrecognizedFormat"),
        (log[..log.len() / 2].to_vec(), "Read.Decompress"),
        (gz(b"not json at all"), "Read.Json"),
        (
            gz(br#"{"awsAccountId":"111122223333","logFiles":[]}"#),
            "Read.MissingRecords",
        ),
        (Vec::new(), "Read.Empty"),
    ];
    for (body, kind) in cases {
        let e = failing(Some(body)).await;
        assert_eq!(e.kind(), kind, "{e}");
        assert!(matches!(e, ObjectError::Read { .. }));
    }
}

#[tokio::test]
async fn diagnostic_names_the_failure() {
    let d = deps(MemSource::default(), RecordingSink::default());
    let err = handle_event(event("s3-put.json"), &d).await.unwrap_err();
    let diag = Diagnostic::from(err);
    assert_eq!(diag.error_type, "GetObject");
    assert!(diag.error_message.contains(SAMPLE_KEY));
}

#[tokio::test]
async fn one_bad_object_does_not_stop_the_others_but_fails_the_invocation() {
    let other = SAMPLE_KEY.replace("SamPLe", "Missing");
    let d = deps(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
    );
    let err = handle_event(event_for(&[(&other, 100), (SAMPLE_KEY, 100)]), &d)
        .await
        .unwrap_err();
    assert_eq!(err.objects, 2);
    assert_eq!(err.errors.len(), 1);
    assert_eq!(
        fired(&d),
        expected_sample_alerts(),
        "the good file was still alerted on"
    );
}

#[tokio::test]
async fn publish_failure_fails_the_invocation() {
    let sink = RecordingSink {
        reject: true,
        ..Default::default()
    };
    let d = deps(MemSource::default().with(SAMPLE_KEY, sample_log()), sink);
    let err = handle_event(event("s3-put.json"), &d).await.unwrap_err();
    assert!(
        matches!(err.errors[0], ObjectError::Publish { .. }),
        "{err}"
    );
    assert_eq!(Diagnostic::from(err).error_type, "Publish");
}

#[tokio::test]
async fn malformed_records_are_counted_and_the_rest_still_evaluated() {
    let text = std::io::read_to_string(flate2::read::GzDecoder::new(&sample_log()[..])).unwrap();
    let broken = text.replacen(
        r#"{"Records":["#,
        r#"{"Records":[{"eventName": nope},42,"#,
        1,
    );
    let d = deps(
        MemSource::default().with(SAMPLE_KEY, gz(broken.as_bytes())),
        RecordingSink::default(),
    );
    let summary = handle_event(event("s3-put.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!(
        (
            summary.records,
            summary.malformed,
            summary.unevaluated,
            summary.published
        ),
        (10, 2, 2, 5),
        "3 findings and 2 unevaluated-record alerts"
    );
    assert_eq!(fired(&d), expected_sample_alerts());
    let unevaluated: Vec<Value> = d
        .sink
        .bodies()
        .into_iter()
        .filter(|b| b["rule_id"] == UNEVALUATED_RECORD)
        .collect();
    assert_eq!(unevaluated.len(), 2);
    assert!(unevaluated.iter().all(|b| b["severity"] == "high"));
}

#[tokio::test]
async fn many_findings_are_published_in_batches_of_ten() {
    let mut d = deps(
        MemSource::default().with(SAMPLE_KEY, denials(25, "alice")),
        RecordingSink::default(),
    );
    d.alerts.storm_limit = 100;
    let summary = handle_event(event("s3-put.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!(summary.published, 25);
    assert_eq!(*d.sink.calls.lock().unwrap(), 3);
}

/// A log file with `n` AccessDenied records (CIS 4.1 findings); every third by `other`.
fn denials(n: usize, other: &str) -> Vec<u8> {
    let records: Vec<String> = (0..n)
        .map(|i| {
            let who = if i % 3 == 2 { other } else { "alice" };
            format!(
                r#"{{"eventID":"e{i:03}","eventName":"ListBuckets","eventTime":"2024-01-15T12:{:02}:00Z","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.1","recipientAccountId":"111122223333","awsRegion":"us-east-1","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/{who}"}}}}"#,
                i % 60
            )
        })
        .collect();
    gz(format!(r#"{{"Records":[{}]}}"#, records.join(",")).as_bytes())
}

#[tokio::test]
async fn a_storm_pages_on_the_first_hits_then_sends_one_summary() {
    let d = deps(
        MemSource::default().with(SAMPLE_KEY, denials(25, "mallory")),
        RecordingSink::default(),
    );
    let summary = handle_event(event("s3-put.json"), &d)
        .await
        .unwrap()
        .into_report();
    // alice made 17 of the denials, mallory 8: each principal's first 10 are sent (the budget is per rule
    // and principal), alice's other 7 are folded.
    assert_eq!(
        (
            summary.findings,
            summary.storm_folded,
            summary.storm_summaries
        ),
        (25, 7, 1)
    );
    assert_eq!(summary.published, 19, "18 individual alerts and 1 summary");
    let bodies = d.sink.bodies();
    let individual: Vec<&str> = bodies
        .iter()
        .filter(|b| b["kind"] == "finding")
        .map(|b| b["event_id"].as_str().unwrap())
        .collect();
    let alice_first_ten = [0, 1, 3, 4, 6, 7, 9, 10, 12, 13];
    let want: Vec<String> = (0..25)
        .filter(|i| i % 3 == 2 || alice_first_ten.contains(i))
        .map(|i| format!("e{i:03}"))
        .collect();
    assert_eq!(individual, want, "in order");
    let s = bodies.iter().find(|b| b["kind"] == "summary").unwrap();
    assert_eq!(s["rule_id"], "cis-4.1-unauthorized-api-calls");
    assert_eq!(s["count"], 7);
    assert_eq!(s["sent_individually"], 18);
    assert_eq!(s["first_time"], "2024-01-15T12:15:00Z");
    assert_eq!(s["last_time"], "2024-01-15T12:24:00Z");
    assert_eq!(
        s["top_principals"][0]["principal"],
        "arn:aws:iam::111122223333:user/alice"
    );
    assert_eq!(s["top_principals"][0]["count"], 7);
    assert_eq!(s["files"][0]["key"], SAMPLE_KEY);
}

#[tokio::test]
async fn storm_limits_are_per_rule() {
    let mut d = deps(
        MemSource::default().with(SAMPLE_KEY, denials(5, "bob")),
        RecordingSink::default(),
    );
    d.alerts
        .storm_limits
        .insert("cis-4.1-unauthorized-api-calls".into(), 2);
    let summary = handle_event(event("s3-put.json"), &d)
        .await
        .unwrap()
        .into_report();
    // alice: 2 sent, 2 folded; bob: 1 sent; 1 summary.
    assert_eq!(
        (
            summary.published,
            summary.storm_folded,
            summary.storm_summaries
        ),
        (4, 2, 1)
    );
}

#[tokio::test]
async fn default_rules_file_runs_the_recommended_profile_on_the_sample() {
    let config = Config::new("arn:aws:sns:us-east-1:111122223333:trailwarden-alerts");
    let engine = config.engine(None, "2026-11-23").unwrap();
    let d = Deps::new(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
        engine,
        config,
    );
    handle_event(event("s3-put.json"), &d).await.unwrap();
    let root = "00000000-0000-4000-8000-000000000001";
    let want: Vec<(String, String)> = [
        (root, "cis-4.3-root-account-usage"),
        (root, "console-login-without-mfa"),
        (root, "root-console-login-success"),
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
    assert_eq!(fired(&d), want);
}

#[tokio::test]
async fn exclusions_from_the_rules_file_suppress_and_count() {
    let config = Config::new("arn:aws:sns:us-east-1:111122223333:trailwarden-alerts");
    let rules = r#"
profile = "cis"
[[exclusions]]
id = "deploy-role-probes"
reason = "the deploy role dry-runs RunInstances"
rules = ["cis-4.1-unauthorized-api-calls"]
match = { "userIdentity.arn" = "arn:aws:sts::111122223333:assumed-role/deploy/*" }
"#;
    let engine = config.engine(Some(rules), "2026-11-23").unwrap();
    let d = Deps::new(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
        engine,
        config,
    );
    let summary = handle_event(event("s3-put.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!(summary.suppressed, 1);
    assert!(
        !fired(&d).iter().any(|(id, _)| id.ends_with("0003")),
        "the deploy role's denial is suppressed"
    );
}

// Fault matrix (no alert lost: published, retried, or failed for Lambda's retry and on-failure destination).

#[tokio::test]
async fn fault_access_denied_fails_the_invocation_with_a_named_error() {
    let mut source = MemSource::default().with(SAMPLE_KEY, sample_log());
    source.denied.push(SAMPLE_KEY.to_owned());
    let d = deps(source, RecordingSink::default());
    let err = handle_event(event("s3-put.json"), &d).await.unwrap_err();
    assert!(
        matches!(
            err.errors[0],
            ObjectError::GetObject {
                source: SourceError::AccessDenied,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("kms:Decrypt"),
        "the message says what to check: {err}"
    );
}

#[tokio::test]
async fn fault_slow_body_is_read_to_the_end() {
    // Every poll returns 13 bytes: the whole file still arrives and every alert is published.
    let d = deps(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
    );
    let summary = handle_event(event("s3-put.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!(summary.published, 3);
}

#[tokio::test]
async fn fault_body_broken_off_mid_file_fails_the_invocation() {
    let log = sample_log();
    let mut source = MemSource::default().with(SAMPLE_KEY, log.clone());
    source
        .broken_after
        .insert(SAMPLE_KEY.to_owned(), log.len() / 2);
    let d = deps(source, RecordingSink::default());
    let err = handle_event(event("s3-put.json"), &d).await.unwrap_err();
    assert_eq!(err.errors[0].kind(), "Read.Io", "{err}");
}

/// A body that sends one piece every 50 ms for 5 s: far slower than the invocation's time.
struct SlowSource;

impl ObjectSource for SlowSource {
    async fn open(
        &self,
        _bucket: &str,
        _key: &str,
        _version_id: Option<&str>,
    ) -> Result<ObjectBody, SourceError> {
        let (mut writer, reader) = tokio::io::duplex(64);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = writer.write_all(b"{\"Records\":[").await;
            for _ in 0..100 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                let _ = writer.write_all(b"{\"eventName\":\"X\"},").await;
            }
        });
        Ok(Box::new(reader))
    }
}

#[tokio::test]
async fn fault_near_the_deadline_stops_early_and_fails_for_a_retry() {
    let config = Config::new("arn:aws:sns:us-east-1:111122223333:trailwarden-alerts");
    let engine = config.engine(None, "2026-11-23").unwrap();
    let d = Deps::new(SlowSource, RecordingSink::default(), engine, config);
    let mut ev = event("s3-put.json");
    // One second left: the handler stops at 0.9 s (margin: a tenth of the time left, at most 5 s).
    ev.context.deadline = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 1000) as u64;
    let err = handle_event(ev, &d).await.unwrap_err();
    assert_eq!(err.errors[0].kind(), "DeadlineNear");
    assert_eq!(Diagnostic::from(err).error_type, "DeadlineNear");
}

#[tokio::test]
async fn a_deadline_already_past_at_the_start_is_not_enforced() {
    // `cargo lambda watch` sends 600000 (the timeout) as the deadline.
    let d = deps(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
    );
    let mut ev = event("s3-put.json");
    ev.context.deadline = 600_000;
    assert_eq!(
        handle_event(ev, &d).await.unwrap().into_report().published,
        3
    );
}

#[tokio::test]
async fn fault_same_object_twice_gives_the_same_finding_ids() {
    let d = deps(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
    );
    let ids = || -> Vec<String> {
        let messages = d.sink.messages.lock().unwrap();
        messages.iter().map(|m| m.finding_id.clone()).collect()
    };
    handle_event(event("s3-put.json"), &d).await.unwrap();
    let first = ids();
    handle_event(event("s3-put.json"), &d).await.unwrap();
    let all = ids();
    assert_eq!(all.len(), 2 * first.len());
    assert_eq!(
        &all[first.len()..],
        &first[..],
        "a redelivered object yields the same ids, so duplicates can be dropped"
    );
}

/// An endless log file (records that match no rule, as fast as they are read) that counts the records it
/// served and says when it was dropped (the scanning thread let go of it).
struct EndlessSource {
    served: Arc<std::sync::atomic::AtomicU64>,
    dropped: Arc<std::sync::atomic::AtomicBool>,
}

struct EndlessBody {
    started: bool,
    served: Arc<std::sync::atomic::AtomicU64>,
    dropped: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for EndlessBody {
    fn drop(&mut self) {
        self.dropped
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl tokio::io::AsyncRead for EndlessBody {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if !self.started {
            self.started = true;
            buf.put_slice(b"{\"Records\":[");
            return std::task::Poll::Ready(Ok(()));
        }
        const RECORD: &[u8] =
            br#"{"eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com"},"#;
        let mut n = 0;
        while buf.remaining() >= RECORD.len() && n < 100 {
            buf.put_slice(RECORD);
            n += 1;
        }
        self.served
            .fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        std::task::Poll::Ready(Ok(()))
    }
}

impl ObjectSource for EndlessSource {
    async fn open(
        &self,
        _bucket: &str,
        _key: &str,
        _version_id: Option<&str>,
    ) -> Result<ObjectBody, SourceError> {
        Ok(Box::new(EndlessBody {
            started: false,
            served: Arc::clone(&self.served),
            dropped: Arc::clone(&self.dropped),
        }))
    }
}

/// The sample event with `millis` left before its deadline.
fn event_with_deadline(millis: u128) -> LambdaEvent<Value> {
    let mut ev = event("s3-put.json");
    ev.context.deadline = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + millis) as u64;
    ev
}

#[tokio::test]
async fn fault_deadline_during_a_long_scan_cancels_the_scan() {
    // Before: the handler returned at the deadline and left the scanning thread reading the endless file
    // (into the next invocation); it only stopped when it next tried to hand over a finding — never, here.
    let source = EndlessSource {
        served: Arc::default(),
        dropped: Arc::default(),
    };
    let (served, dropped) = (Arc::clone(&source.served), Arc::clone(&source.dropped));
    let base = deps(MemSource::default(), RecordingSink::default());
    let d = base.with_source(source);
    let err = handle_event(event_with_deadline(1000), &d)
        .await
        .unwrap_err();
    let [ObjectError::DeadlineNear { records, .. }] = err.errors.as_slice() else {
        panic!("{err:?}")
    };
    assert!(
        dropped.load(std::sync::atomic::Ordering::SeqCst),
        "the scan has stopped and let go of the body by the time the invocation fails"
    );
    let served = served.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        *records <= served,
        "evaluated {records} of {served} records served"
    );
    assert_eq!(Diagnostic::from(err).error_type, "DeadlineNear");
}

/// A sink whose calls never return (SNS unreachable, no SDK timeout).
struct HangingSink;

impl AlertSink for HangingSink {
    async fn publish(&self, _messages: &[OutgoingAlert]) -> Result<(), SinkError> {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        Ok(())
    }
}

#[tokio::test]
async fn fault_deadline_during_publishing_stops_with_a_named_error() {
    let base = deps(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
    );
    let d = base.with_sink(HangingSink);
    let err = handle_event(event_with_deadline(1000), &d)
        .await
        .unwrap_err();
    let [ObjectError::Publish { source, .. }] = err.errors.as_slice() else {
        panic!("{err:?}")
    };
    assert!(
        matches!(
            source,
            SinkError::Deadline {
                unpublished: 3,
                total: 3
            }
        ),
        "{source:?}"
    );
    assert_eq!(Diagnostic::from(err).error_type, "Publish.Deadline");
}

/// A channel whose first finding takes `delay` to deliver (a slow destination); it never asks to stop.
struct SlowChannel {
    delay: std::time::Duration,
}

struct SlowOutlet {
    delay: Option<std::time::Duration>,
}

impl Channel for SlowChannel {
    fn open(&self, _request_id: &str) -> Box<dyn Outlet + '_> {
        Box::new(SlowOutlet {
            delay: Some(self.delay),
        })
    }
}

impl Outlet for SlowOutlet {
    fn finding<'s>(&'s mut self, _delivery: Delivery<'s>) -> OutletFuture<'s, Taken> {
        let delay = self.delay.take();
        Box::pin(async move {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            Taken::default()
        })
    }

    fn end_item(&mut self, _deadline: bool) -> OutletFuture<'_, ItemEnd> {
        Box::pin(async { ItemEnd::default() })
    }

    fn close<'s>(self: Box<Self>, _report: &'s mut alerter::Report) -> OutletFuture<'s, ()>
    where
        Self: 's,
    {
        Box::pin(async {})
    }
}

#[tokio::test]
async fn fault_deadline_after_a_finished_scan_with_findings_undelivered_fails_the_log_file() {
    // The scan of the sample file ends at once (its three findings wait in the channel), but delivering the
    // first one outlasts the deadline. Before: the loop stopped at the deadline, the SNS batch was dropped,
    // and since the scan itself had finished the log file was reported as read: three alerts lost, no retry.
    let base = deps(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
    );
    let d = base.with_channel(Arc::new(SlowChannel {
        delay: std::time::Duration::from_millis(1500),
    }));
    let err = handle_event(event_with_deadline(1000), &d)
        .await
        .unwrap_err();
    let [ObjectError::DeadlineNear { records, .. }] = err.errors.as_slice() else {
        panic!("{err:?}")
    };
    assert_eq!(
        *records, 8,
        "the scan had evaluated every record of the file"
    );
    assert!(
        d.sink.messages.lock().unwrap().is_empty(),
        "nothing was handed to SNS"
    );
    assert_eq!(Diagnostic::from(err).error_type, "DeadlineNear");
}

/// A sink that fails its first `n` calls.
struct FailFirstCalls {
    n: usize,
    inner: RecordingSink,
}

impl AlertSink for FailFirstCalls {
    async fn publish(&self, messages: &[OutgoingAlert]) -> Result<(), SinkError> {
        let call = *self.inner.calls.lock().unwrap();
        if call < self.n {
            *self.inner.calls.lock().unwrap() += 1;
            return Err(SinkError::Rejected {
                finding_ids: vec![messages[0].finding_id.clone()],
                unpublished: 1,
                total: messages.len(),
                last_error: "InvalidParameter: bad alert".into(),
            });
        }
        self.inner.publish(messages).await
    }
}

#[tokio::test]
async fn one_failed_batch_does_not_stop_the_alerts_after_it() {
    let base = deps(
        MemSource::default().with(SAMPLE_KEY, denials(25, "alice")),
        RecordingSink::default(),
    );
    let alerts = AlertSettings {
        storm_limit: 100,
        ..base.alerts.clone()
    };
    let d = base
        .with_sink(FailFirstCalls {
            n: 1,
            inner: RecordingSink::default(),
        })
        .with_alerts(alerts);
    let err = handle_event(event("s3-put.json"), &d).await.unwrap_err();
    // The first batch of ten had one bad alert; the 15 alerts after it were all published, then the file
    // failed, naming the bad alert.
    assert_eq!(d.sink.inner.messages.lock().unwrap().len(), 15);
    let [ObjectError::Publish { source, .. }] = err.errors.as_slice() else {
        panic!("{err:?}")
    };
    assert!(
        matches!(source, SinkError::Rejected { finding_ids, unpublished: 1, total: 25, .. } if finding_ids.len() == 1),
        "{source:?}"
    );
    assert_eq!(Diagnostic::from(err).error_type, "Publish.Rejected");
}

/// A log file of `GetSecretValue` calls by mallory, one distinct secret each, a minute apart from `from`.
fn secret_reads(from: usize, n: usize) -> Vec<u8> {
    let records: Vec<String> = (from..from + n)
        .map(|i| {
            format!(
                r#"{{"eventID":"s{i:03}","eventName":"GetSecretValue","eventSource":"secretsmanager.amazonaws.com","eventTime":"2024-01-15T12:{i:02}:00Z","sourceIPAddress":"198.51.100.1","recipientAccountId":"111122223333","awsRegion":"us-east-1","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory"}},"requestParameters":{{"secretId":"prod/s{i}"}}}}"#
            )
        })
        .collect();
    gz(format!(r#"{{"Records":[{}]}}"#, records.join(",")).as_bytes())
}

#[tokio::test]
async fn a_threshold_alert_counts_across_the_files_of_an_invocation_and_publishes_once() {
    let second = SAMPLE_KEY.replace("SamPLe0123456789", "SamPLe9876543210");
    let mut d = deps(
        MemSource::default()
            .with(SAMPLE_KEY, secret_reads(0, 6))
            .with(&second, secret_reads(6, 6)),
        RecordingSink::default(),
    );
    d.engine = Arc::new(Engine::with_ids(&["secrets-bulk-retrieval"]).unwrap());
    let summary = handle_event(event_for(&[(SAMPLE_KEY, 100), (&second, 100)]), &d)
        .await
        .unwrap()
        .into_report();
    // 12 distinct secrets in 12 minutes: one window of 10 minutes reaches 10 at the tenth read; the 11th is
    // inside that window (absorbed), the 12th (12:11) starts a new window that stays below the count.
    assert_eq!((summary.findings, summary.published), (1, 1));
    let messages = d.sink.messages.lock().unwrap();
    let alert = &messages[0];
    let body: Value = serde_json::from_str(&alert.json).unwrap();
    assert_eq!(
        body["schema_version"], 1,
        "the threshold fields are additive"
    );
    assert_eq!(body["rule_id"], "secrets-bulk-retrieval");
    assert_eq!(body["event_id"], "s009");
    assert_eq!(body["threshold"]["count"], 10);
    assert_eq!(body["threshold"]["window_minutes"], 10);
    assert_eq!(
        body["threshold"]["key"][0],
        "arn:aws:iam::111122223333:user/mallory"
    );
    assert_eq!(body["threshold"]["distinct_values"][9], "prod/s9");
    assert!(
        alert
            .email
            .contains("\nTHRESHOLD (the record below is the event that reached it)\n"),
        "{}",
        alert.email
    );
    assert!(alert.email.contains("  Count:          10 distinct requestParameters.secretId + requestParameters.secretIdList (threshold 10) within 10 minutes\n"), "{}", alert.email);
    assert!(alert.email.contains("  - prod/s0\n"), "{}", alert.email);
    assert!(alert.sms.contains("(10 in 10 min)"), "{}", alert.sms);
}

/// Every envelope a log file's arrival can come in (events/): the same file, the same alerts.
#[tokio::test]
async fn every_envelope_of_the_sample_gives_the_same_alerts() {
    for file in [
        "s3-put.json",
        "s3-sns.json",
        "s3-sqs.json",
        "s3-sns-sqs.json",
        "s3-eventbridge.json",
        "cloudtrail-sns.json",
    ] {
        let d = deps(
            MemSource::default().with(SAMPLE_KEY, sample_log()),
            RecordingSink::default(),
        );
        let text = std::fs::read_to_string(events_dir().join(file)).unwrap();
        let event = LambdaEvent::new(serde_json::from_str(&text).unwrap(), Context::default());
        let summary = handle_event(event, &d)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(fired(&d), expected_sample_alerts(), "{file}");
        assert_eq!(
            (summary.report().objects, summary.report().findings),
            (1, 3),
            "{file}"
        );
        assert_eq!(*d.source.opened.lock().unwrap(), [SAMPLE_KEY], "{file}");
    }
}

/// An event of no known shape is a named failure (retried, then kept in the on-failure queue), and one such
/// item in a batch does not stop the log files announced beside it.
#[tokio::test]
async fn an_unknown_envelope_fails_with_a_named_error_after_the_rest() {
    let d = deps(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
    );
    let event = LambdaEvent::new(serde_json::json!({"hello": "world"}), Context::default());
    let err = handle_event(event, &d).await.unwrap_err();
    assert_eq!(Diagnostic::from(err).error_type, "Envelope");
    assert!(d.source.opened.lock().unwrap().is_empty());

    let good: Value =
        serde_json::from_str(&std::fs::read_to_string(events_dir().join("s3-sqs.json")).unwrap())
            .unwrap();
    // In an SQS batch the unknown message alone fails (batchItemFailures), the good one is done.
    let mut bad = good["Records"][0].clone();
    bad["body"] = Value::from("{\"not\": \"an s3 event\"}");
    bad["messageId"] = Value::from("bad-message");
    let batch = serde_json::json!({"Records": [bad, good["Records"][0].clone()]});
    let response = handle_event(LambdaEvent::new(batch, Context::default()), &d)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "bad-message"}]})
    );
    assert_eq!(response.report().failed_objects, 1);
    assert_eq!(
        fired(&d),
        expected_sample_alerts(),
        "the good item was read"
    );
}

// ---- The fast path: CloudTrail records from EventBridge, SQS partial batch failures, deduplication ----

const ROOT_EVENT: &str = "00000000-0000-4000-8000-000000000001";

fn json_event(file: &str) -> LambdaEvent<Value> {
    let text = std::fs::read_to_string(events_dir().join(file)).unwrap();
    LambdaEvent::new(serde_json::from_str(&text).unwrap(), Context::default())
}

fn with_dedup(
    mut d: Deps<MemSource, RecordingSink>,
    dedup: &Arc<MemDedup>,
) -> Deps<MemSource, RecordingSink> {
    d.dedup = Some(Arc::clone(dedup) as Arc<dyn Dedup>);
    d
}

/// The sample log file's findings: (event id, rule id) -> finding id, read through the S3 path.
async fn sample_finding_ids() -> Vec<(String, String, String)> {
    let d = deps(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
    );
    handle_event(event("s3-put.json"), &d).await.unwrap();
    let mut ids: Vec<_> = d
        .sink
        .bodies()
        .iter()
        .map(|b| {
            (
                b["event_id"].as_str().unwrap().to_owned(),
                b["rule_id"].as_str().unwrap().to_owned(),
                b["finding_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn an_eventbridge_record_invoked_directly_is_alerted_as_its_log_file_record_is() {
    let d = deps(MemSource::default(), RecordingSink::default());
    let response = handle_event(json_event("eventbridge-cloudtrail.json"), &d)
        .await
        .unwrap();
    assert!(response.batch_item_failures().is_none(), "not an SQS batch");
    let summary = response.report();
    assert_eq!(
        (
            summary.objects,
            summary.records,
            summary.eventbridge_records,
            summary.findings,
            summary.published
        ),
        (0, 1, 1, 1, 1)
    );
    assert_eq!(
        summary.eventbridge_earliest_event_time.as_deref(),
        Some("2024-01-15T12:01:00Z")
    );
    assert_eq!(summary.earliest_event_time, None, "no log file was read");
    assert!(d.source.opened.lock().unwrap().is_empty());
    let body = &d.sink.bodies()[0];
    assert_eq!(body["rule_id"], "cis-4.3-root-account-usage");
    assert_eq!(body["event_id"], ROOT_EVENT);
    assert_eq!(
        (&body["path"], &body["bucket"], &body["key"]),
        (
            &Value::from("eventbridge"),
            &Value::from(""),
            &Value::from("")
        )
    );
    assert_eq!(body["schema_version"], 1, "path is an additive field");
    // The same record on the S3 path: the same finding id (what the dedup table is keyed by), the same record.
    let s3 = sample_finding_ids().await;
    let root = s3
        .iter()
        .find(|(e, r, _)| e == ROOT_EVENT && r == "cis-4.3-root-account-usage")
        .unwrap();
    assert_eq!(body["finding_id"], root.2.as_str());
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("eventbridge-cloudtrail.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(body["record"], sample["detail"]);
    let email = &d.sink.messages.lock().unwrap()[0].email;
    assert!(
        email.contains("Log file:       none yet (this record came through EventBridge"),
        "{email}"
    );
}

#[tokio::test]
async fn an_sqs_batch_reports_only_the_bad_message_in_batch_item_failures() {
    let d = deps(MemSource::default(), RecordingSink::default());
    let response = handle_event(json_event("sqs-eventbridge-cloudtrail.json"), &d)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "9a3b7c51-0d42-4e8f-a6b1-5c7d2e9f8a03"}]}),
        "the AWS Health event is not a CloudTrail record: its message fails, the sign-in's is done"
    );
    assert_eq!(
        fired(&d),
        [(
            ROOT_EVENT.to_owned(),
            "cis-4.3-root-account-usage".to_owned()
        )]
    );
    assert_eq!(response.report().failed_objects, 1);
}

/// The root sign-in of events/sqs-eventbridge-cloudtrail.json as EventBridge delivers it when three fast-path
/// rules select it: three SQS messages, one event id.
fn three_copies_of_the_sign_in() -> LambdaEvent<Value> {
    let mut batch = json_event("sqs-eventbridge-cloudtrail.json").payload;
    let sign_in = batch["Records"][0].clone();
    let records: Vec<Value> = (0..3)
        .map(|i| {
            let mut copy = sign_in.clone();
            copy["messageId"] = Value::String(format!("copy-{i}"));
            copy
        })
        .collect();
    batch["Records"] = Value::Array(records);
    LambdaEvent::new(batch, Context::default())
}

#[tokio::test]
async fn copies_of_one_eventbridge_event_in_a_batch_are_evaluated_and_published_once() {
    // No dedup table: the batch itself must not page three times for one sign-in.
    let d = deps(MemSource::default(), RecordingSink::default());
    let response = handle_event(three_copies_of_the_sign_in(), &d)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        serde_json::json!({"batchItemFailures": []})
    );
    assert_eq!(
        fired(&d),
        [(
            ROOT_EVENT.to_owned(),
            "cis-4.3-root-account-usage".to_owned()
        )]
    );
    let summary = response.report();
    assert_eq!(summary.eventbridge_records, 1);
    assert_eq!(
        summary.skipped.get(alerter::handler::EVENTBRIDGE_COPY),
        Some(&2)
    );

    // A copy is skipped only after the event was published in full: when publishing fails, every copy is
    // tried and every message fails (to be retried), none is acknowledged as a skipped copy.
    let d = deps(
        MemSource::default(),
        RecordingSink {
            reject: true,
            ..RecordingSink::default()
        },
    );
    let response = handle_event(three_copies_of_the_sign_in(), &d)
        .await
        .unwrap();
    let failed: Vec<String> = serde_json::to_value(&response).unwrap()["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(failed, ["copy-0", "copy-1", "copy-2"]);
    assert!(response.report().skipped.is_empty());
}

#[tokio::test]
async fn an_event_not_from_aws_is_refused_and_the_rest_of_the_batch_still_alerts() {
    // events/sqs-eventbridge-forged.json: a root console sign-in sent from source custom.app (anyone allowed
    // PutEvents, or SendMessage on the queue), then the genuine one from aws.signin.
    let d = deps(MemSource::default(), RecordingSink::default());
    let response = handle_event(json_event("sqs-eventbridge-forged.json"), &d)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        serde_json::json!({"batchItemFailures": []}),
        "a forged event is refused, not sent round to the dead-letter queue"
    );
    assert_eq!(
        fired(&d),
        [(
            ROOT_EVENT.to_owned(),
            "cis-4.3-root-account-usage".to_owned()
        )],
        "only the genuine sign-in alerts"
    );
    let summary = response.report();
    assert_eq!(summary.foreign_events_refused, 1);
    assert_eq!(
        summary.eventbridge_records, 1,
        "the forged record is never evaluated"
    );
    assert_eq!(summary.records, 1);
    assert_eq!(summary.failed_objects, 0);
    let emf: Value = serde_json::from_str(&alerter::metrics::emf_line(
        summary,
        "fn",
        chrono::Utc::now(),
    ))
    .unwrap();
    assert_eq!(emf["ForeignEventsRefused"], 1);

    // Invoked directly (EventBridge → function): refused too, and the invocation does not fail.
    let batch: Value = json_event("sqs-eventbridge-forged.json").payload;
    let forged: Value =
        serde_json::from_str(batch["Records"][0]["body"].as_str().unwrap()).unwrap();
    let d = deps(MemSource::default(), RecordingSink::default());
    let response = handle_event(LambdaEvent::new(forged, Context::default()), &d)
        .await
        .unwrap();
    assert!(fired(&d).is_empty());
    assert_eq!(response.report().foreign_events_refused, 1);
    assert_eq!(response.report().records, 0);
}

#[tokio::test]
async fn a_lone_surrogate_in_an_sqs_record_is_alerted_not_dead_lettered() {
    // The caller picks its user agent: `\ud800` alone makes strict JSON readers reject the message. The
    // record is still evaluated (the escape read as U+FFFD, as the log file reader reads it) and its message
    // does not fail.
    let d = deps(MemSource::default(), RecordingSink::default());
    let mut batch: Value = serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("sqs-eventbridge-cloudtrail.json")).unwrap(),
    )
    .unwrap();
    let body = batch["Records"][0]["body"]
        .as_str()
        .unwrap()
        .replace("Mozilla/5.0 (X11; Linux x86_64)", "Mozilla\\ud800");
    assert!(body.contains("Mozilla\\ud800") && serde_json::from_str::<Value>(&body).is_err());
    batch["Records"][0]["body"] = Value::from(body);
    let response = handle_event(LambdaEvent::new(batch, Context::default()), &d)
        .await
        .unwrap();
    assert_eq!(
        response.batch_item_failures().unwrap(),
        ["9a3b7c51-0d42-4e8f-a6b1-5c7d2e9f8a03"],
        "only the AWS Health event's message fails"
    );
    assert_eq!(
        fired(&d),
        [(
            ROOT_EVENT.to_owned(),
            "cis-4.3-root-account-usage".to_owned()
        )]
    );
}

#[tokio::test]
async fn an_sqs_message_whose_alert_cannot_be_published_fails_alone() {
    let d = deps(
        MemSource::default(),
        RecordingSink {
            reject: true,
            ..RecordingSink::default()
        },
    );
    let mut batch: Value = serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("sqs-eventbridge-cloudtrail.json")).unwrap(),
    )
    .unwrap();
    // Two CloudTrail messages: one with a finding (its alert is refused), one without any.
    let quiet = batch["Records"][0]["body"]
        .as_str()
        .unwrap()
        .replace("\"eventName\":\"ConsoleLogin\"", "\"eventName\":\"Quiet\"")
        .replace("\"type\":\"Root\"", "\"type\":\"IAMUser\"");
    batch["Records"][1]["body"] = Value::from(quiet);
    let response = handle_event(LambdaEvent::new(batch, Context::default()), &d)
        .await
        .unwrap();
    assert_eq!(
        response.batch_item_failures().unwrap(),
        ["2e1424d4-f796-459a-8184-9c92662be6da"]
    );
    assert_eq!(response.report().published, 0);
}

#[tokio::test]
async fn a_log_file_announced_through_sqs_fails_its_message_not_the_invocation() {
    // The object is missing: its message is named, the invocation succeeds (the other messages are done).
    let d = deps(MemSource::default(), RecordingSink::default());
    let response = handle_event(json_event("s3-sqs.json"), &d).await.unwrap();
    assert_eq!(
        response.batch_item_failures().unwrap(),
        ["059f36b4-87a3-44ab-83d2-661975830a7d"]
    );
    // Found: nothing fails.
    let d = deps(
        MemSource::default().with(SAMPLE_KEY, sample_log()),
        RecordingSink::default(),
    );
    let response = handle_event(json_event("s3-sqs.json"), &d).await.unwrap();
    assert_eq!(
        serde_json::to_string(&response).unwrap(),
        r#"{"batchItemFailures":[]}"#
    );
    assert_eq!(fired(&d), expected_sample_alerts());
}

#[tokio::test]
async fn a_direct_eventbridge_invocation_whose_alert_fails_fails_the_invocation() {
    let d = deps(
        MemSource::default(),
        RecordingSink {
            reject: true,
            ..RecordingSink::default()
        },
    );
    let err = handle_event(json_event("eventbridge-cloudtrail.json"), &d)
        .await
        .unwrap_err();
    assert!(
        matches!(&err.errors[..], [ObjectError::Record { event_id, kind: "Publish", .. }] if event_id == "6f2e5a1c-93b4-4c1e-b0a7-3d5e8f9a0b11"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("EventBridge event 6f2e5a1c-93b4-4c1e-b0a7-3d5e8f9a0b11: 1 of 1 alerts"),
        "{err}"
    );
    assert_eq!(Diagnostic::from(err).error_type, "Publish");
}

#[tokio::test]
async fn an_eventbridge_record_over_the_record_cap_is_an_unevaluated_record_alert() {
    let mut d = deps(MemSource::default(), RecordingSink::default());
    d.config.max_record_bytes = 200;
    let summary = handle_event(json_event("eventbridge-cloudtrail.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!((summary.unevaluated, summary.published), (1, 1));
    let body = &d.sink.bodies()[0];
    assert_eq!(body["rule_id"], UNEVALUATED_RECORD);
    assert_eq!(body["path"], "eventbridge");
}

#[tokio::test]
async fn dedup_a_finding_the_fast_path_published_is_not_published_again_from_the_log_file() {
    let table = Arc::new(MemDedup::new());
    let fast = with_dedup(deps(MemSource::default(), RecordingSink::default()), &table);
    let summary = handle_event(json_event("sqs-eventbridge-cloudtrail.json"), &fast)
        .await
        .unwrap()
        .into_report();
    assert_eq!((summary.published, summary.deduplicated), (1, 0));
    let root_id = fast.sink.bodies()[0]["finding_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(table.marked(), std::slice::from_ref(&root_id));

    // Minutes later the log file arrives: the other findings are alerted, the root sign-in is not.
    let slow = with_dedup(
        deps(
            MemSource::default().with(SAMPLE_KEY, sample_log()),
            RecordingSink::default(),
        ),
        &table,
    );
    let summary = handle_event(event("s3-put.json"), &slow)
        .await
        .unwrap()
        .into_report();
    assert_eq!(
        (summary.findings, summary.published, summary.deduplicated),
        (3, 2, 1)
    );
    assert_eq!(summary.dedup_unavailable, 0);
    let mut want = expected_sample_alerts();
    want.retain(|(e, _)| e != ROOT_EVENT);
    assert_eq!(fired(&slow), want);
    assert_eq!(table.marked().len(), 3);
    assert!(slow
        .sink
        .bodies()
        .iter()
        .all(|b| b["finding_id"] != root_id.as_str()));
}

/// The function's dedup as deployed: a table of raw items believed only where the key authenticates them.
fn mac_dedup() -> (Arc<alerter::MemMarks>, Arc<alerter::MemMac>, Arc<dyn Dedup>) {
    let marks = Arc::new(alerter::MemMarks::new());
    let mac = Arc::new(alerter::MemMac::new(*b"the function's HMAC key"));
    let dedup: Arc<dyn Dedup> = Arc::new(alerter::MacDedup::new(
        marks.clone(),
        mac.clone(),
        std::time::Duration::from_secs(3600),
    ));
    (marks, mac, dedup)
}

#[tokio::test]
async fn dedup_marks_written_by_someone_else_never_hold_an_alert_back() {
    let (marks, mac, dedup) = mac_dedup();
    // The root sign-in's finding id, computed as anyone can (sha256 of eventID and rule id).
    let mut probe = deps(MemSource::default(), RecordingSink::default());
    probe.dedup = None;
    handle_event(json_event("sqs-eventbridge-cloudtrail.json"), &probe)
        .await
        .unwrap();
    let root_id = probe.sink.bodies()[0]["finding_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let far = chrono::Utc::now().timestamp() + 86_400;
    let other_key = alerter::MemMac::new(*b"another principal's key");
    let forged_mac = alerter::ports::MarkMac::generate(
        &other_key,
        &alerter::adapters::dedup::mark_message(&root_id, far),
    )
    .await
    .unwrap();
    for forged in [None, Some(vec![0u8; 32]), Some(forged_mac)] {
        marks.insert(alerter::ports::StoredMark {
            finding_id: root_id.clone(),
            expires_at: far,
            mac: forged,
        });
        let mut d = deps(MemSource::default(), RecordingSink::default());
        d.dedup = Some(dedup.clone());
        let summary = handle_event(json_event("sqs-eventbridge-cloudtrail.json"), &d)
            .await
            .unwrap()
            .into_report();
        assert_eq!(
            fired(&d),
            [(
                ROOT_EVENT.to_owned(),
                "cis-4.3-root-account-usage".to_owned()
            )],
            "the alert is published despite the forged mark"
        );
        assert_eq!(
            (
                summary.published,
                summary.deduplicated,
                summary.dedup_mark_unauthenticated,
                summary.dedup_unavailable
            ),
            (1, 0, 1, 0)
        );
        let emf: Value = serde_json::from_str(&alerter::metrics::emf_line(
            &summary,
            "fn",
            chrono::Utc::now(),
        ))
        .unwrap();
        assert_eq!(emf["DedupMarkUnauthenticated"], 1);
        // Publishing overwrote the forged item with the function's own, authenticated mark: the next copy
        // of the event is held back.
        let mut again = deps(MemSource::default(), RecordingSink::default());
        again.dedup = Some(dedup.clone());
        let summary = handle_event(json_event("sqs-eventbridge-cloudtrail.json"), &again)
            .await
            .unwrap()
            .into_report();
        assert!(fired(&again).is_empty());
        assert_eq!(
            (summary.deduplicated, summary.dedup_mark_unauthenticated),
            (1, 0)
        );
    }
    // Verified only marks found for findings about to be published; signed only what was published.
    assert_eq!(mac.calls(), (3, 5));
}

#[tokio::test]
async fn dedup_kms_failing_publishes_anyway_as_dedup_unavailable() {
    let (marks, mac, dedup) = mac_dedup();
    let mut d = deps(MemSource::default(), RecordingSink::default());
    d.dedup = Some(dedup.clone());
    handle_event(json_event("sqs-eventbridge-cloudtrail.json"), &d)
        .await
        .unwrap();
    let root_id = d.sink.bodies()[0]["finding_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(marks.get_mark(&root_id).unwrap().mac.is_some());
    // KMS goes away: the genuine mark cannot be verified, so the alert is published again (a duplicate,
    // never a loss), counted as DedupUnavailable.
    mac.set_unavailable(true);
    let mut d = deps(MemSource::default(), RecordingSink::default());
    d.dedup = Some(dedup);
    let summary = handle_event(json_event("sqs-eventbridge-cloudtrail.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!(fired(&d).len(), 1);
    assert_eq!(
        (
            summary.published,
            summary.deduplicated,
            summary.dedup_unavailable,
            summary.dedup_mark_unauthenticated
        ),
        (1, 0, 1, 0)
    );
}

#[tokio::test]
async fn dedup_unavailable_publishes_anyway_counts_it_and_stops_asking() {
    let table = Arc::new(MemDedup::new());
    table.set_unavailable(true);
    let d = with_dedup(
        deps(
            MemSource::default().with(SAMPLE_KEY, denials(25, "alice")),
            RecordingSink::default(),
        ),
        &table,
    );
    let d = d.with_alerts(AlertSettings {
        storm_limit: 100,
        ..AlertSettings::default()
    });
    let summary = handle_event(event("s3-put.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!(
        (
            summary.published,
            summary.dedup_unavailable,
            summary.deduplicated
        ),
        (25, 25, 0)
    );
    assert_eq!(
        table.calls(),
        (1, 0),
        "asked once; after a failure the invocation does not wait on it again"
    );
    assert!(table.marked().is_empty());
}

/// A dedup table that never answers.
struct HangingDedup;

impl Dedup for HangingDedup {
    fn seen<'a>(
        &'a self,
        _: &'a [String],
    ) -> alerter::ports::DedupFuture<'a, alerter::ports::Seen> {
        Box::pin(std::future::pending())
    }

    fn mark<'a>(&'a self, _: &'a [String]) -> alerter::ports::DedupFuture<'a, ()> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn dedup_that_does_not_answer_is_not_waited_for() {
    let mut d = deps(MemSource::default(), RecordingSink::default());
    d.dedup = Some(Arc::new(HangingDedup));
    let summary = handle_event(json_event("eventbridge-cloudtrail.json"), &d)
        .await
        .unwrap()
        .into_report();
    assert_eq!((summary.published, summary.dedup_unavailable), (1, 1));
}

#[tokio::test]
async fn dedup_marks_only_what_the_sink_accepted() {
    let table = Arc::new(MemDedup::new());
    let failing = with_dedup(
        deps(
            MemSource::default(),
            RecordingSink {
                reject: true,
                ..RecordingSink::default()
            },
        ),
        &table,
    );
    handle_event(json_event("eventbridge-cloudtrail.json"), &failing)
        .await
        .unwrap_err();
    assert!(table.marked().is_empty(), "a refused alert is not marked");
    assert_eq!(table.calls(), (1, 0));
    // Retried: published now, and marked.
    let ok = with_dedup(deps(MemSource::default(), RecordingSink::default()), &table);
    let summary = handle_event(json_event("eventbridge-cloudtrail.json"), &ok)
        .await
        .unwrap()
        .into_report();
    assert_eq!((summary.published, summary.deduplicated), (1, 0));
    assert_eq!(table.marked().len(), 1);
}

/// A sink that accepts its first `n` calls, then fails every call (SNS going away half-way).
struct AcceptFirstCalls {
    n: usize,
    inner: RecordingSink,
}

impl AlertSink for AcceptFirstCalls {
    async fn publish(&self, messages: &[OutgoingAlert]) -> Result<(), SinkError> {
        let calls = {
            let mut c = self.inner.calls.lock().unwrap();
            *c += 1;
            *c
        };
        if calls > self.n {
            return Err(SinkError::Unpublished {
                unpublished: messages.len(),
                total: messages.len(),
                last_error: "InternalError: service unavailable".into(),
            });
        }
        self.inner
            .messages
            .lock()
            .unwrap()
            .extend_from_slice(messages);
        Ok(())
    }
}

#[tokio::test]
async fn dedup_a_half_published_log_file_retried_publishes_only_the_missing_alerts() {
    let table = Arc::new(MemDedup::new());
    let base = with_dedup(
        deps(
            MemSource::default().with(SAMPLE_KEY, sample_log()),
            RecordingSink::default(),
        ),
        &table,
    );
    let half = base.with_sink(AcceptFirstCalls {
        n: 1,
        inner: RecordingSink::default(),
    });
    let err = handle_event(event("s3-put.json"), &half).await.unwrap_err();
    assert!(
        matches!(&err.errors[..], [ObjectError::Publish { source, .. }] if source.unpublished() == 2),
        "{err:?}"
    );
    let first = half.sink.inner.bodies();
    assert_eq!(first.len(), 1);
    assert_eq!(table.marked(), [first[0]["finding_id"].as_str().unwrap()]);

    // Lambda retries the event: only the two alerts that did not go out are published.
    let retry = with_dedup(
        deps(
            MemSource::default().with(SAMPLE_KEY, sample_log()),
            RecordingSink::default(),
        ),
        &table,
    );
    let summary = handle_event(event("s3-put.json"), &retry)
        .await
        .unwrap()
        .into_report();
    assert_eq!((summary.published, summary.deduplicated), (2, 1));
    let mut all: Vec<String> = retry
        .sink
        .bodies()
        .iter()
        .chain(first.iter())
        .map(|b| b["finding_id"].as_str().unwrap().to_owned())
        .collect();
    all.sort();
    let mut want: Vec<String> = sample_finding_ids()
        .await
        .into_iter()
        .map(|t| t.2)
        .collect();
    want.sort();
    assert_eq!(all, want, "every alert exactly once over both attempts");
}
