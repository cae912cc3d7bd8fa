//! Every way the arrival of a CloudTrail log file is announced to the function, reduced to the one thing the
//! handler needs: which object (bucket, key, version) to read, or why an announcement is skipped; and the
//! fast path: a CloudTrail record EventBridge delivered on its own ([`Item::Record`]).
//!
//! Existing trail buckets (organization log archives, Control Tower) rarely let a new consumer own the bucket's
//! one notification configuration, so besides S3's own notification the function accepts:
//!
//! | envelope | how it arrives | key |
//! |---|---|---|
//! | S3 event notification | bucket → function | URL-encoded (`+` is a space) |
//! | S3 notification in SNS | bucket → SNS fan-out topic → function; `Records[].Sns.Message` is the S3 event | URL-encoded |
//! | S3 notification in SQS | bucket → queue, or bucket → SNS → queue (with or without raw delivery); `Records[].body` | URL-encoded |
//! | S3 EventBridge `Object Created` | bucket with EventBridge notifications on → rule → function | as written |
//! | CloudTrail's SNS notification | the trail's `sns_topic_name` option: `{"s3Bucket": …, "s3ObjectKey": [...]}` | as written |
//!
//! The fast path: an EventBridge event whose `detail-type` is one of [`DETAIL_TYPES`] carries one
//! CloudTrail record as its `detail`. It arrives directly (the function as the rule's target), in an SQS
//! message's body (rule → queue → event source mapping; the usual way), or in an SNS message. Only AWS speaks
//! there: an EventBridge event whose `source` does not start with `aws.` (which only AWS services can send) is
//! [`Item::Refused`], whatever it carries: never evaluated, and not a failure (it would never become valid).
//!
//! Each item of a batch is classified on its own, so one unreadable item never hides the others: it becomes
//! [`Item::Unrecognized`], which the handler reports as a failure after reading every other log file of the
//! batch: of the invocation (so it is retried and, in the end, kept in the on-failure queue), or, in an SQS
//! batch ([`invocation`]), of its message only (`batchItemFailures`).

use cloudtrail::vocab::DETAIL_TYPES;
use cloudtrail::{classify_key, decode_s3_key, KeyKind, SkipReason};
use serde_json::value::RawValue;
use serde_json::Value;

/// How an announcement reached the function (for logs and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    S3,
    Sns,
    Sqs,
    EventBridge,
    CloudTrailSns,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::S3 => "s3",
            Via::Sns => "sns",
            Via::Sqs => "sqs",
            Via::EventBridge => "eventbridge",
            Via::CloudTrailSns => "cloudtrail-sns",
        }
    }
}

/// A log file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub bucket: String,
    /// Decoded: the object's real key.
    pub key: String,
    /// The version the announcement names (versioned buckets): the one that is read.
    pub version_id: Option<String>,
    pub via: Via,
}

/// A CloudTrail record EventBridge delivered (the fast path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// The record (the event's `detail`) as JSON text: exactly as delivered when the event came as text (an
    /// SQS or SNS message), re-serialized from the parsed event otherwise (a direct invocation).
    pub json: String,
    /// The EventBridge event's `id` (for logs).
    pub event_id: String,
    /// Its `detail-type`, one of [`DETAIL_TYPES`].
    pub detail_type: String,
}

/// The prefix of every source AWS services send EventBridge events from. EventBridge refuses a `PutEvents`
/// entry whose source starts with it, so it is the proof that an event came from AWS.
pub const AWS_SOURCE_PREFIX: &str = "aws.";

/// An EventBridge event the function refuses to read: it is not evaluated, not retried (it never becomes
/// valid) and counted (`ForeignEventsRefused`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefusedEvent {
    /// Its `source` does not start with `aws.`: anyone allowed `events:PutEvents` on the bus (or
    /// `sqs:SendMessage`, `sns:Publish`, `lambda:InvokeFunction`) could have written it, CloudTrail-shaped or
    /// not.
    #[error(
        "an EventBridge event from source {event_source:?} ({detail_type:?}, id {event_id:?}): not from an AWS \
         service (source aws.*), refused"
    )]
    ForeignSource {
        event_source: String,
        detail_type: String,
        event_id: String,
    },
}

/// One announced object, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A CloudTrail log file: read it.
    Target(Target),
    /// A CloudTrail record from EventBridge: evaluate it as a record of a log file would be.
    Record(EventRecord),
    /// Not a log file, or not an object creation: counted under this reason and skipped.
    Skip(&'static str),
    /// Not a shape the function knows: nothing could be read from it. Fails the invocation (after the rest).
    Unrecognized(String),
    /// An EventBridge event that is not from AWS: refused (logged and counted), never evaluated, not a failure.
    Refused(RefusedEvent),
}

/// One item with the SQS message it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub item: Item,
    /// The SQS `messageId` (what `batchItemFailures` names); `None` outside an SQS batch, or for a message
    /// without one.
    pub message_id: Option<String>,
}

/// An invocation's event, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// An SQS batch (its records are `aws:sqs` messages): a failure is reported per message
    /// (`batchItemFailures`) instead of failing the invocation.
    pub sqs_batch: bool,
    pub entries: Vec<Entry>,
}

/// The entries of an invocation's event, whatever its envelope, each with its SQS message id in an SQS batch.
pub fn invocation(event: &Value) -> Classified {
    let records = event.get("Records").and_then(Value::as_array);
    let sqs_batch = records
        .and_then(|r| r.first())
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:sqs");
    let entries = match records {
        Some(records) if sqs_batch => records
            .iter()
            .flat_map(|r| {
                let message_id = r
                    .get("messageId")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                record(r).into_iter().map(move |item| Entry {
                    item,
                    message_id: message_id.clone(),
                })
            })
            .collect(),
        _ => items(event)
            .into_iter()
            .map(|item| Entry {
                item,
                message_id: None,
            })
            .collect(),
    };
    Classified { sqs_batch, entries }
}

/// The items of an invocation's event, whatever its envelope.
pub fn items(event: &Value) -> Vec<Item> {
    items_in(event, None)
}

/// [`items`] of an event that arrived as `text` (an SQS or SNS message), so a CloudTrail record is kept as
/// written.
fn items_in(event: &Value, text: Option<&str>) -> Vec<Item> {
    if event.get("detail-type").is_some() && event.get("source").is_some() {
        return vec![eventbridge(event, text)];
    }
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        return records.iter().flat_map(record).collect();
    }
    if event.get("s3Bucket").is_some() {
        return cloudtrail_sns(event);
    }
    if event.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return vec![Item::Skip("test_event")];
    }
    vec![Item::Unrecognized(format!(
        "the event is none of the known envelopes (S3, SNS, SQS, EventBridge, CloudTrail SNS); top-level keys: {}",
        keys_of(event)
    ))]
}

/// One member of a `Records` array: an S3, SNS or SQS record.
fn record(r: &Value) -> Vec<Item> {
    // S3 and SQS spell it `eventSource`, SNS `EventSource`.
    let source = r
        .get("eventSource")
        .or_else(|| r.get("EventSource"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match source {
        // Read field by field rather than as a whole `S3EventRecord`: a record that names its object is read
        // even when some other field (say `eventTime`) is missing or odd.
        "aws:s3" => {
            let text = |p: &str| r.pointer(p).and_then(Value::as_str);
            vec![s3_notification(
                text("/eventName"),
                text("/s3/bucket/name"),
                text("/s3/object/key"),
                text("/s3/object/versionId"),
                r.pointer("/s3/object/size").and_then(Value::as_i64),
                Via::S3,
            )]
        }
        "aws:sns" => match r.pointer("/Sns/Message").and_then(Value::as_str) {
            Some(message) => inner(message, Via::Sns),
            None => vec![Item::Unrecognized(
                "an SNS record without Sns.Message".to_owned(),
            )],
        },
        "aws:sqs" => match r.get("body").and_then(Value::as_str) {
            Some(body) => inner(body, Via::Sqs),
            None => vec![Item::Unrecognized(
                "an SQS record without a body".to_owned(),
            )],
        },
        other => vec![Item::Unrecognized(format!(
            "a record from {other:?}, not aws:s3, aws:sns or aws:sqs"
        ))],
    }
}

/// A message carried by SNS or SQS: an S3 event, an SNS notification (SNS → SQS without raw delivery), an S3
/// EventBridge event (EventBridge → SQS), CloudTrail's own notification, or S3's test event.
fn inner(text: &str, via: Via) -> Vec<Item> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        // serde_json rejects a lone surrogate escape (`"\ud800"`), which any string of a CloudTrail record can
        // carry: a user agent or a session name is the caller's to choose. The log-file reader accepts it (as
        // U+FFFD, like JavaScript and Python); so does this path, or such a record would only ever reach the
        // dead-letter queue. The record is then the parsed value, written again.
        Err(e) => match cloudtrail::Parsed::new(text.as_bytes()) {
            Ok(parsed) => parsed.root().to_value(),
            Err(_) => {
                return vec![Item::Unrecognized(format!(
                    "a {} message that is not JSON: {e}",
                    via.as_str()
                ))]
            }
        },
    };
    // SNS → SQS without raw delivery: the SQS body is the SNS notification, its Message the payload.
    if value.get("Type").and_then(Value::as_str) == Some("Notification") {
        return match value.get("Message").and_then(Value::as_str) {
            Some(message) => inner(message, via),
            None => vec![Item::Unrecognized(
                "an SNS notification without a Message".to_owned(),
            )],
        };
    }
    let mut items = items_in(&value, Some(text));
    for item in &mut items {
        if let Item::Target(t) = item {
            // CloudTrail's notification and EventBridge keep their own name; an S3 event says how it came.
            if t.via == Via::S3 {
                t.via = via;
            }
        }
    }
    items
}

/// An S3 notification record's fields: only `ObjectCreated:*` events of CloudTrail log files are read; the key
/// is URL-encoded (`+` is a space).
fn s3_notification(
    event_name: Option<&str>,
    bucket: Option<&str>,
    raw_key: Option<&str>,
    version_id: Option<&str>,
    size: Option<i64>,
    via: Via,
) -> Item {
    if !event_name.unwrap_or_default().starts_with("ObjectCreated") {
        return Item::Skip("not_object_created");
    }
    let Ok(key) = decode_s3_key(raw_key.unwrap_or_default()) else {
        return Item::Skip(SkipReason::NotCloudTrail.as_str());
    };
    classify(bucket.unwrap_or_default(), key, version_id, size, via)
}

/// An EventBridge event: a CloudTrail record (the fast path), or S3's `Object Created`: `detail.bucket.name`,
/// `detail.object.key` (not URL-encoded: EventBridge carries the key as written, e.g. `a:b`, where a
/// notification would say `a%3Ab`), `detail.object["version-id"]`. `text` is the event as it arrived, when
/// it arrived as text.
fn eventbridge(e: &Value, text: Option<&str>) -> Item {
    let source = e.get("source").and_then(Value::as_str).unwrap_or_default();
    let detail_type = e
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // Only AWS speaks on the fast path: whatever it claims to be, an event from another source is refused
    // before anything of it is read.
    if !source.starts_with(AWS_SOURCE_PREFIX) {
        return Item::Refused(RefusedEvent::ForeignSource {
            event_source: source.to_owned(),
            detail_type: detail_type.to_owned(),
            event_id: e
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        });
    }
    if DETAIL_TYPES.contains(&detail_type) {
        return cloudtrail_record(e, detail_type, text);
    }
    if source != "aws.s3" {
        return Item::Unrecognized(format!(
            "an EventBridge event from {source:?} ({detail_type:?}), neither a CloudTrail record nor aws.s3"
        ));
    }
    if detail_type != "Object Created" {
        return Item::Skip("not_object_created");
    }
    let text = |p: &str| e.pointer(p).and_then(Value::as_str);
    let (Some(bucket), Some(key)) = (text("/detail/bucket/name"), text("/detail/object/key"))
    else {
        return Item::Unrecognized(
            "an S3 Object Created event without detail.bucket.name or detail.object.key".to_owned(),
        );
    };
    classify(
        bucket,
        key.to_owned(),
        text("/detail/object/version-id"),
        e.pointer("/detail/object/size").and_then(Value::as_i64),
        Via::EventBridge,
    )
}

/// An EventBridge event carrying a CloudTrail record as its `detail`.
fn cloudtrail_record(e: &Value, detail_type: &str, text: Option<&str>) -> Item {
    let Some(detail) = e.get("detail") else {
        return Item::Unrecognized(format!(
            "an EventBridge {detail_type:?} event without a detail"
        ));
    };
    #[derive(serde::Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        detail: &'a RawValue,
    }
    // The record as written; re-serialized from the parsed value when there is no text (a direct invocation).
    let json = text
        .and_then(|t| serde_json::from_str::<Raw<'_>>(t).ok())
        .map(|r| r.detail.get().to_owned())
        .unwrap_or_else(|| detail.to_string());
    Item::Record(EventRecord {
        json,
        event_id: e
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        detail_type: detail_type.to_owned(),
    })
}

/// CloudTrail's notification of delivered files: `{"s3Bucket": "…", "s3ObjectKey": ["…", …]}`, keys as written.
fn cloudtrail_sns(e: &Value) -> Vec<Item> {
    let bucket = e.get("s3Bucket").and_then(Value::as_str);
    let keys = e.get("s3ObjectKey").and_then(Value::as_array);
    let (Some(bucket), Some(keys)) = (bucket, keys) else {
        return vec![Item::Unrecognized(
            "a CloudTrail notification without s3Bucket or the s3ObjectKey list".to_owned(),
        )];
    };
    keys.iter()
        .map(|k| match k.as_str() {
            Some(key) => classify(bucket, key.to_owned(), None, None, Via::CloudTrailSns),
            None => {
                Item::Unrecognized("a CloudTrail notification key that is not a string".to_owned())
            }
        })
        .collect()
}

/// A decoded key in a bucket: a log file to read, or the reason it is skipped.
fn classify(
    bucket: &str,
    key: String,
    version_id: Option<&str>,
    size: Option<i64>,
    via: Via,
) -> Item {
    if size == Some(0) {
        return Item::Skip(SkipReason::EmptyObject.as_str());
    }
    if let KeyKind::Skip(reason) = classify_key(&key) {
        return Item::Skip(reason.as_str());
    }
    if bucket.is_empty() {
        return Item::Skip("no_bucket");
    }
    // The version S3 announced is the one CloudTrail wrote; an empty or "null" id (unversioned bucket) names none.
    let version_id = version_id
        .filter(|v| !v.is_empty() && *v != "null")
        .map(str::to_owned);
    Item::Target(Target {
        bucket: bucket.to_owned(),
        key,
        version_id,
        via,
    })
}

/// The top-level keys of an unrecognized event (never its values: they could carry anything), at most 10.
fn keys_of(event: &Value) -> String {
    match event.as_object() {
        Some(map) => map.keys().take(10).cloned().collect::<Vec<_>>().join(", "),
        None => format!("(not an object: {})", json_kind(event)),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";

    fn target(bucket: &str, key: &str, version: Option<&str>, via: Via) -> Item {
        Item::Target(Target {
            bucket: bucket.into(),
            key: key.into(),
            version_id: version.map(Into::into),
            via,
        })
    }

    fn s3_event(key: &str) -> Value {
        json!({"Records": [{
            "eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "awsRegion": "us-east-1",
            "s3": {"bucket": {"name": "logs"}, "object": {"key": key, "size": 10, "versionId": "v1"}}
        }]})
    }

    #[test]
    fn a_direct_s3_notification() {
        assert_eq!(
            items(&s3_event(KEY)),
            [target("logs", KEY, Some("v1"), Via::S3)]
        );
        // Notification keys are URL-encoded: a prefix with a space arrives as `+`.
        let spaced = format!("audit logs/{KEY}");
        assert_eq!(
            items(&s3_event(&format!("audit+logs/{KEY}"))),
            [target("logs", &spaced, Some("v1"), Via::S3)]
        );
    }

    #[test]
    fn sns_and_sqs_wrappings() {
        let s3 = s3_event(KEY).to_string();
        let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": s3}}]});
        assert_eq!(items(&sns), [target("logs", KEY, Some("v1"), Via::Sns)]);
        let raw = json!({"Records": [{"eventSource": "aws:sqs", "body": s3}]});
        assert_eq!(items(&raw), [target("logs", KEY, Some("v1"), Via::Sqs)]);
        let notification = json!({"Type": "Notification", "Message": s3}).to_string();
        let wrapped = json!({"Records": [{"eventSource": "aws:sqs", "body": notification}]});
        assert_eq!(items(&wrapped), [target("logs", KEY, Some("v1"), Via::Sqs)]);
    }

    #[test]
    fn eventbridge_object_created_keys_are_not_url_encoded() {
        let event = |key: &str| {
            json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3",
                   "detail": {"bucket": {"name": "logs"}, "object": {"key": key, "size": 10, "version-id": "v2"}}})
        };
        assert_eq!(
            items(&event(KEY)),
            [target("logs", KEY, Some("v2"), Via::EventBridge)]
        );
        let spaced = format!("audit logs+x/{KEY}");
        assert_eq!(
            items(&event(&spaced)),
            [target("logs", &spaced, Some("v2"), Via::EventBridge)],
            "a `+` stays a `+`"
        );
        let mut deleted = event(KEY);
        deleted["detail-type"] = json!("Object Deleted");
        assert_eq!(items(&deleted), [Item::Skip("not_object_created")]);
        let mut other = event(KEY);
        other["source"] = json!("aws.ec2");
        assert!(matches!(&items(&other)[..], [Item::Unrecognized(_)]));
        let mut forged = event(KEY);
        forged["source"] = json!("custom.s3");
        assert!(matches!(&items(&forged)[..], [Item::Refused(_)]));
    }

    #[test]
    fn cloudtrail_notification_lists_every_delivered_file() {
        let digest = KEY.replace("/CloudTrail/", "/CloudTrail-Digest/");
        let n = json!({"s3Bucket": "logs", "s3ObjectKey": [KEY, digest, 7]});
        assert_eq!(
            items(&n),
            [
                target("logs", KEY, None, Via::CloudTrailSns),
                Item::Skip("digest"),
                Item::Unrecognized("a CloudTrail notification key that is not a string".into())
            ]
        );
        let through_sns =
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": n.to_string()}}]});
        assert_eq!(items(&through_sns).len(), 3);
        assert_eq!(
            items(&through_sns)[0],
            target("logs", KEY, None, Via::CloudTrailSns)
        );
    }

    #[test]
    fn skips_and_unknown_shapes_are_named() {
        assert_eq!(
            items(&json!({"Event": "s3:TestEvent", "Bucket": "logs"})),
            [Item::Skip("test_event")]
        );
        let test_in_sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{\"Event\":\"s3:TestEvent\"}"}}]});
        assert_eq!(items(&test_in_sns), [Item::Skip("test_event")]);
        for bad in [
            json!({"hello": "world"}),
            json!([1, 2]),
            json!({"Records": [{"eventSource": "aws:kinesis"}]}),
            json!({"Records": [{"eventSource": "aws:sqs", "body": "not json"}]}),
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {}}]}),
            json!({"detail-type": "Object Created", "source": "aws.s3", "detail": {}}),
        ] {
            assert!(matches!(&items(&bad)[..], [Item::Unrecognized(_)]), "{bad}");
        }
        // A value of an unknown event never reaches the message, only its keys.
        let Item::Unrecognized(why) = &items(&json!({"secret": "hunter2"}))[0] else {
            panic!()
        };
        assert!(why.contains("secret") && !why.contains("hunter2"), "{why}");
    }

    fn cloudtrail_event() -> Value {
        json!({"version": "0", "id": "ev-1", "detail-type": "AWS Console Sign In via CloudTrail",
               "source": "aws.signin", "account": "111122223333", "time": "2024-01-15T12:01:00Z",
               "region": "us-east-1", "resources": [],
               "detail": {"eventVersion": "1.08", "eventID": "e-root", "eventName": "ConsoleLogin",
                          "userIdentity": {"type": "Root"}}})
    }

    #[test]
    fn a_cloudtrail_record_from_eventbridge_directly_in_sqs_and_in_sns() {
        let event = cloudtrail_event();
        let direct = items(&event);
        let [Item::Record(r)] = &direct[..] else {
            panic!("{direct:?}")
        };
        assert_eq!(
            (r.event_id.as_str(), r.detail_type.as_str()),
            ("ev-1", "AWS Console Sign In via CloudTrail")
        );
        let parsed: Value = serde_json::from_str(&r.json).unwrap();
        assert_eq!(parsed, event["detail"]);
        assert!(!invocation(&event).sqs_batch);
        assert_eq!(invocation(&event).entries[0].message_id, None);

        // In SQS: the record is kept exactly as written (key order, spacing), with its message id.
        let body = r#"{"version":"0","id":"ev-2","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","detail":{"eventName": "StopLogging","eventID":"e2"}}"#;
        let batch = json!({"Records": [
            {"messageId": "m-1", "eventSource": "aws:sqs", "body": body},
            {"messageId": "m-2", "eventSource": "aws:sqs", "body": "{"},
        ]});
        let inv = invocation(&batch);
        assert!(inv.sqs_batch);
        assert_eq!(inv.entries.len(), 2);
        assert_eq!(
            inv.entries[0],
            Entry {
                item: Item::Record(EventRecord {
                    json: r#"{"eventName": "StopLogging","eventID":"e2"}"#.into(),
                    event_id: "ev-2".into(),
                    detail_type: "AWS API Call via CloudTrail".into(),
                }),
                message_id: Some("m-1".into()),
            }
        );
        assert!(matches!(inv.entries[1].item, Item::Unrecognized(_)));
        assert_eq!(inv.entries[1].message_id.as_deref(), Some("m-2"));

        // EventBridge -> SNS (-> SQS without raw delivery).
        let sns = json!({"Type": "Notification", "Message": body}).to_string();
        let wrapped =
            json!({"Records": [{"messageId": "m-3", "eventSource": "aws:sqs", "body": sns}]});
        assert!(
            matches!(&invocation(&wrapped).entries[0].item, Item::Record(r) if r.event_id == "ev-2")
        );
        let in_sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": body}}]});
        assert!(!invocation(&in_sns).sqs_batch);
        assert!(matches!(&items(&in_sns)[..], [Item::Record(_)]));

        // Without a detail, or of another detail-type from a CloudTrail source: named, not evaluated.
        let mut no_detail = cloudtrail_event();
        no_detail.as_object_mut().unwrap().remove("detail");
        assert!(matches!(&items(&no_detail)[..], [Item::Unrecognized(_)]));
        let mut other = cloudtrail_event();
        other["detail-type"] = json!("AWS Health Event");
        assert!(matches!(&items(&other)[..], [Item::Unrecognized(_)]));
    }

    #[test]
    fn an_event_not_from_aws_is_refused_by_name_however_it_arrives() {
        // A root sign-in, as a customer's PutEvents (source custom.app) can forge it.
        let forged = r#"{"version":"0","id":"ev-f","detail-type":"AWS Console Sign In via CloudTrail","source":"custom.app","detail":{"eventName":"ConsoleLogin","eventID":"ef","userIdentity":{"type":"Root"}}}"#;
        let refused = Item::Refused(RefusedEvent::ForeignSource {
            event_source: "custom.app".into(),
            detail_type: "AWS Console Sign In via CloudTrail".into(),
            event_id: "ev-f".into(),
        });
        let direct: Value = serde_json::from_str(forged).unwrap();
        assert_eq!(items(&direct), std::slice::from_ref(&refused));
        let sqs = json!({"Records": [
            {"messageId": "m-f", "eventSource": "aws:sqs", "body": forged},
            {"messageId": "m-g", "eventSource": "aws:sqs", "body": forged.replace("custom.app", "aws.signin")},
        ]});
        let inv = invocation(&sqs);
        assert_eq!(
            inv.entries[0],
            Entry {
                item: refused.clone(),
                message_id: Some("m-f".into())
            }
        );
        assert!(matches!(&inv.entries[1].item, Item::Record(r) if r.event_id == "ev-f"));
        let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": forged}}]});
        assert_eq!(items(&sns), std::slice::from_ref(&refused));
        let sns_in_sqs = json!({"Records": [{"messageId": "m-h", "eventSource": "aws:sqs",
            "body": json!({"Type": "Notification", "Message": forged}).to_string()}]});
        assert_eq!(invocation(&sns_in_sqs).entries[0].item, refused);
        // Not an S3 Object Created from elsewhere either, nor a source that only looks like AWS's.
        for source in ["custom.s3", "AWS.signin", "aws", "", "xaws.signin"] {
            let mut e = direct.clone();
            e["source"] = json!(source);
            assert!(
                matches!(&items(&e)[..], [Item::Refused(RefusedEvent::ForeignSource { event_source, .. })] if event_source == source),
                "{source:?}"
            );
        }
        let mut no_string = direct.clone();
        no_string["source"] = json!(7);
        assert!(matches!(&items(&no_string)[..], [Item::Refused(_)]));
        // The error names source, detail-type and id, never the record.
        let Item::Refused(e) = &items(&direct)[0] else {
            unreachable!()
        };
        let text = e.to_string();
        assert!(
            text.contains("custom.app") && text.contains("ev-f") && !text.contains("ConsoleLogin"),
            "{text}"
        );
    }

    #[test]
    fn a_lone_surrogate_in_a_record_is_read_as_the_log_file_reader_reads_it() {
        // The attacker's user agent carries `\ud800` alone: strict JSON readers reject the whole message.
        let body = r#"{"version":"0","id":"ev-9","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","detail":{"eventName":"StopLogging","eventID":"e9","userAgent":"x\ud800y"}}"#;
        assert!(serde_json::from_str::<Value>(body).is_err());
        let batch =
            json!({"Records": [{"messageId": "m-9", "eventSource": "aws:sqs", "body": body}]});
        let inv = invocation(&batch);
        let Item::Record(r) = &inv.entries[0].item else {
            panic!("{:?}", inv.entries)
        };
        assert_eq!(r.event_id, "ev-9");
        // Kept as written, as the log file will hold it; the reader decodes the escape to U+FFFD.
        assert_eq!(
            r.json,
            r#"{"eventName":"StopLogging","eventID":"e9","userAgent":"x\ud800y"}"#
        );
        let record = cloudtrail::Parsed::new(r.json.as_bytes()).unwrap();
        let agent = record.root().get("userAgent").unwrap();
        assert_eq!(agent.as_str(), Some("x\u{fffd}y"));
        // Text that is not JSON at all is still named.
        let broken = json!({"Records": [{"eventSource": "aws:sqs", "body": "{\"a\": \"\\ud800"}]});
        assert!(matches!(&items(&broken)[..], [Item::Unrecognized(_)]));
    }

    #[test]
    fn log_files_through_sqs_carry_their_message_id() {
        let s3 = s3_event(KEY).to_string();
        let batch =
            json!({"Records": [{"messageId": "m-9", "eventSource": "aws:sqs", "body": s3}]});
        let inv = invocation(&batch);
        assert!(inv.sqs_batch);
        assert_eq!(
            inv.entries,
            [Entry {
                item: target("logs", KEY, Some("v1"), Via::Sqs),
                message_id: Some("m-9".into())
            }]
        );
        assert!(!invocation(&s3_event(KEY)).sqs_batch);
    }

    #[test]
    fn one_bad_record_does_not_hide_the_others() {
        let s3 = s3_event(KEY).to_string();
        let batch = json!({"Records": [
            {"eventSource": "aws:sqs", "body": "{"},
            {"eventSource": "aws:sqs", "body": s3},
        ]});
        let got = items(&batch);
        assert!(matches!(got[0], Item::Unrecognized(_)));
        assert_eq!(got[1], target("logs", KEY, Some("v1"), Via::Sqs));
    }
}
