//! Hostile log files through the Lambda's handler, written as an attacker who controls some field of their
//! own record would: every `StopLogging` is alerted (published to the sink), every record that cannot be
//! evaluated is an `unevaluated-record` alert, and the invocation summary adds up (nothing is skipped
//! silently). The same files go through `trailwarden scan` in apps/trailwarden-cli/tests/hostile.rs.
//!
//! What is lenient and what is strict (README, "Failure semantics"): escapes other JSON consumers accept (lone
//! surrogates) and invalid UTF-8 inside strings are read as U+FFFD and the record is evaluated; broken
//! structure, nesting over the limit, records over the size cap and non-object members are
//! `unevaluated-record` findings.

use alerter::config::Config;
use alerter::errors::ObjectError;
use alerter::handler::{handle_event, Deps};
use alerter::ports::{AlertSink, ObjectBody, ObjectSource, OutgoingAlert, SinkError, SourceError};
use alerter::{Report, Response};
use flate2::write::GzEncoder;
use lambda_runtime::{Context, LambdaEvent};
use rules::{Engine, UNEVALUATED_RECORD};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use test_support::hostile::{log, many_keys, stop_logging, LONE_SURROGATE_CASES};

const STOPPED: &str = "cloudtrail-stopped-or-deleted";
const CIS_4_5: &str = "cis-4.5-cloudtrail-config-changes";

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const BUCKET: &str = "trailwarden-demo-logs";
const KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";

/// The one log file, gzip-compressed as CloudTrail writes it.
struct OneFile(Vec<u8>);

impl ObjectSource for OneFile {
    async fn open(
        &self,
        bucket: &str,
        key: &str,
        _version_id: Option<&str>,
    ) -> Result<ObjectBody, SourceError> {
        assert_eq!((bucket, key), (BUCKET, KEY));
        Ok(Box::new(std::io::Cursor::new(self.0.clone())))
    }
}

#[derive(Default)]
struct Sink(Mutex<Vec<OutgoingAlert>>);

impl AlertSink for Sink {
    async fn publish(&self, messages: &[OutgoingAlert]) -> Result<(), SinkError> {
        self.0.lock().unwrap().extend_from_slice(messages);
        Ok(())
    }
}

fn event() -> LambdaEvent<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/s3-put.json");
    let mut ev: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    ev["Records"][0]["s3"]["bucket"]["name"] = BUCKET.into();
    ev["Records"][0]["s3"]["object"]["key"] = KEY.into();
    LambdaEvent::new(serde_json::from_value(ev).unwrap(), Context::default())
}

/// What one invocation over a hostile file did: its summary (or error) and the JSON bodies of the alerts.
struct Run {
    result: Result<Report, Vec<ObjectError>>,
    alerts: Vec<Value>,
}

impl Run {
    fn of<'s>(&'s self, rule: &'s str) -> impl Iterator<Item = &'s Value> + 's {
        self.alerts.iter().filter(move |a| a["rule_id"] == rule)
    }

    /// `(index, reason)` of every unevaluated-record alert, from the small record it carries.
    fn unevaluated(&self) -> Vec<(u64, String)> {
        self.of(UNEVALUATED_RECORD)
            .map(|a| {
                let u = &a["record"]["unevaluated"];
                (
                    u["index"].as_u64().unwrap(),
                    u["reason"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// Every `StopLogging` in `ids` is alerted by both rules, in order, and no other event is.
    fn assert_stops_alerted(&self, ids: &[&str]) {
        for rule in [STOPPED, CIS_4_5] {
            let got: Vec<&str> = self
                .of(rule)
                .map(|a| a["event_id"].as_str().unwrap_or("<none>"))
                .collect();
            assert_eq!(got, ids, "{rule}");
        }
    }

    /// The invocation succeeded and its counts add up: `records` records, `unevaluated` of them
    /// unevaluated-record alerts, every finding published individually (no storm here), nothing else.
    fn assert_counts(&self, records: u64, unevaluated: u64) {
        let s = self.result.as_ref().expect("the invocation succeeds");
        assert_eq!(s.records, records);
        assert_eq!(s.unevaluated, unevaluated);
        assert_eq!(self.unevaluated().len() as u64, unevaluated);
        assert_eq!(s.findings, self.alerts.len() as u64);
        assert_eq!(s.published, self.alerts.len() as u64);
        assert_eq!((s.storm_folded, s.suppressed, s.failed_objects), (0, 0, 0));
        assert!(self.alerts.iter().all(|a| a["kind"] == "finding"));
    }
}

async fn run(text: &[u8]) -> Run {
    let d = Deps::new(
        OneFile(gz(text)),
        Sink::default(),
        Engine::with_ids(&[STOPPED, CIS_4_5]).unwrap(),
        Config::new("arn:aws:sns:us-east-1:111122223333:trailwarden-alerts"),
    );
    let result = handle_event(event(), &d)
        .await
        .map(Response::into_report)
        .map_err(|e| e.errors);
    let alerts = d
        .sink
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|m| serde_json::from_str(&m.json).unwrap())
        .collect();
    Run { result, alerts }
}

#[tokio::test]
async fn lone_surrogates_in_attacker_fields_are_read_as_replacement_characters() {
    let mut elements = Vec::new();
    let mut want = Vec::new();
    for (id, extra) in LONE_SURROGATE_CASES {
        elements.push(stop_logging(id, extra));
        elements.push(stop_logging(&format!("{id}-after"), b""));
        want.extend([id.to_owned(), format!("{id}-after")]);
    }
    let r = run(&log(&elements)).await;
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    r.assert_stops_alerted(&want);
    r.assert_counts(8, 0);
    let by_id = |id: &str| r.of(STOPPED).find(|a| a["event_id"] == id).unwrap();
    assert_eq!(by_id("ua")["user_agent"], "aws-cli/2 \u{FFFD} evil");
    assert_eq!(
        by_id("arn")["principal"],
        "arn:aws:iam::111122223333:user/\u{FFFD}"
    );
    assert_eq!(by_id("edge")["user_agent"], "\u{FFFD}\u{1F600}\u{FFFD}");
}

#[tokio::test]
async fn invalid_utf8_inside_strings_is_read_as_replacement_characters() {
    let mut ua = br#""userAgent":"curl/8 "#.to_vec();
    ua.extend_from_slice(b"\xff\xfe \xc3 \xe2\x82 \xed\xa0\x80 end\"");
    let mut arn =
        br#""userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/"#.to_vec();
    arn.extend_from_slice(b"\x80bob\",\"accountId\":\"111122223333\"}");
    let elements = [
        stop_logging("ua", &ua),
        stop_logging("ua-after", b""),
        stop_logging("arn", &arn),
        stop_logging("arn-after", b""),
    ];
    let r = run(&log(&elements)).await;
    r.assert_stops_alerted(&["ua", "ua-after", "arn", "arn-after"]);
    r.assert_counts(4, 0);
    let ua = r.of(STOPPED).next().unwrap()["user_agent"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        ua.starts_with("curl/8 \u{FFFD}") && ua.ends_with(" end"),
        "{ua:?}"
    );
}

#[tokio::test]
async fn nesting_over_the_limit_is_an_unevaluated_record_alert() {
    let depth = 200;
    let nested = format!(
        r#""requestParameters":{}1{}"#,
        r#"{"a":"#.repeat(depth),
        "}".repeat(depth)
    );
    let elements = [
        stop_logging("deep", nested.as_bytes()),
        stop_logging("deep-after", b""),
    ];
    let r = run(&log(&elements)).await;
    r.assert_stops_alerted(&["deep-after"]);
    r.assert_counts(2, 1);
    assert_eq!(r.unevaluated(), [(0, "too_deep".to_owned())]);
    let a = r.of(UNEVALUATED_RECORD).next().unwrap();
    assert_eq!(a["severity"], "high");
    assert_eq!(a["event_name"], "StopLogging");
    assert_eq!(a["event_id"], "deep");
    assert_eq!(a["bucket"], BUCKET);
    assert_eq!(a["key"], KEY);
}

#[tokio::test]
async fn non_object_members_of_records_are_unevaluated_record_alerts() {
    let elements = [
        b"42".to_vec(),
        stop_logging("after-number", b""),
        br#""a string""#.to_vec(),
        stop_logging("after-string", b""),
        b"null".to_vec(),
        stop_logging("after-null", b""),
        br#"[{"eventName":"StopLogging"}]"#.to_vec(),
        stop_logging("after-array", b""),
    ];
    let r = run(&log(&elements)).await;
    r.assert_stops_alerted(&["after-number", "after-string", "after-null", "after-array"]);
    r.assert_counts(8, 4);
    let want: Vec<(u64, String)> = [0, 2, 4, 6]
        .into_iter()
        .map(|i| (i, "not_an_object".to_owned()))
        .collect();
    assert_eq!(r.unevaluated(), want);
}

#[tokio::test]
async fn broken_structure_is_an_unevaluated_record_alert_and_the_next_record_is_read() {
    let elements = [
        br#"{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventID":"broken","x":}"#
            .to_vec(),
        stop_logging("broken-after", b""),
        br#"{"eventName":"StopLogging" "eventID":"no-comma"}"#.to_vec(),
        stop_logging("no-comma-after", b""),
    ];
    let r = run(&log(&elements)).await;
    r.assert_stops_alerted(&["broken-after", "no-comma-after"]);
    r.assert_counts(4, 2);
    assert_eq!(
        r.unevaluated(),
        [(0, "syntax".to_owned()), (2, "syntax".to_owned())]
    );
}

#[tokio::test]
async fn a_record_cut_mid_string_at_the_end_of_the_file_is_alerted_and_the_file_fails_for_a_retry()
{
    let mut text = br#"{"Records":["#.to_vec();
    text.extend_from_slice(&stop_logging("before-cut", b""));
    text.extend_from_slice(
        br#",{"eventID":"cut","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","userAgent":"aws-cli/2 cut he"#,
    );
    let r = run(&text).await;
    r.assert_stops_alerted(&["before-cut"]);
    assert_eq!(r.unevaluated(), [(1, "truncated".to_owned())]);
    let errors = r.result.as_ref().unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind(), "Read.Truncated", "{}", errors[0]);
}

#[tokio::test]
async fn keys_sharing_a_prefix() {
    // 100k keys: over the default 1 MiB cap, an unevaluated (oversized) record; the next one is alerted.
    let elements = [many_keys("keys", 100_000), stop_logging("keys-after", b"")];
    assert!(elements[0].len() > 1 << 20);
    let r = run(&log(&elements)).await;
    r.assert_stops_alerted(&["keys-after"]);
    r.assert_counts(2, 1);
    assert_eq!(r.unevaluated(), [(0, "oversized".to_owned())]);
    // 50k keys: under the cap, evaluated (the key index hashes whole keys, so this is not quadratic).
    let elements = [many_keys("keys", 50_000), stop_logging("keys-after", b"")];
    assert!(elements[0].len() < 1 << 20);
    let r = run(&log(&elements)).await;
    r.assert_stops_alerted(&["keys", "keys-after"]);
    r.assert_counts(2, 0);
}

#[tokio::test]
async fn an_oversized_record_is_an_unevaluated_record_alert_and_the_next_one_is_alerted() {
    let big = format!(
        r#""requestParameters":{{"blob":"{}"}}"#,
        "a".repeat(3 << 20)
    );
    let elements = [
        stop_logging("big", big.as_bytes()),
        stop_logging("big-after", b""),
    ];
    let r = run(&log(&elements)).await;
    r.assert_stops_alerted(&["big-after"]);
    r.assert_counts(2, 1);
    assert_eq!(r.unevaluated(), [(0, "oversized".to_owned())]);
    let a = r.of(UNEVALUATED_RECORD).next().unwrap();
    assert!(
        a["record"].to_string().len() < 4096,
        "never the raw record: {}",
        a["record"]
    );
}

#[tokio::test]
async fn every_hostile_record_in_one_file_and_every_stop_logging_alerted() {
    let deep = format!(
        r#""requestParameters":{}1{}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    let mut invalid = br#""userAgent":""#.to_vec();
    invalid.extend_from_slice(b"\xff\"");
    let elements = [
        stop_logging("s1", br#""userAgent":"\ud800""#),
        b"7".to_vec(),
        stop_logging("s2", b""),
        stop_logging("deep", deep.as_bytes()),
        stop_logging("s3", &invalid),
        br#"{"eventName":"StopLogging",}"#.to_vec(),
        stop_logging("s4", b""),
    ];
    let r = run(&log(&elements)).await;
    r.assert_stops_alerted(&["s1", "s2", "s3", "s4"]);
    r.assert_counts(7, 3);
    assert_eq!(
        r.unevaluated(),
        [
            (1, "not_an_object".to_owned()),
            (3, "too_deep".to_owned()),
            (5, "syntax".to_owned())
        ]
    );
    // Nothing skipped silently: every record is an alert or was evaluated.
    assert_eq!(r.alerts.len(), 2 * 4 + 3);
}
