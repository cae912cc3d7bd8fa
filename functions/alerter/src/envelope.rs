//! Every way the arrival of a CloudTrail log file is announced to the function, reduced to the one thing the
//! handler needs: which object (bucket, key, version) to read, or why an announcement is skipped.
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
//! Each item of a batch is classified on its own, so one unreadable item never hides the others: it becomes
//! [`Item::Unrecognized`], which the handler reports as a failure of the invocation (so it is retried and,
//! in the end, kept in the on-failure queue) after reading every other log file of the batch.

use aws_lambda_events::s3::S3EventRecord;
use cloudtrail::{classify_key, decode_s3_key, KeyKind, SkipReason};
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

/// One announced object, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A CloudTrail log file: read it.
    Target(Target),
    /// Not a log file, or not an object creation: counted under this reason and skipped.
    Skip(&'static str),
    /// Not a shape the function knows: nothing could be read from it. Fails the invocation (after the rest).
    Unrecognized(String),
}

/// The items of an invocation's event, whatever its envelope.
pub fn items(event: &Value) -> Vec<Item> {
    if event.get("detail-type").is_some() && event.get("source").is_some() {
        return vec![eventbridge(event)];
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

/// The items of an S3 event's records (the direct notification, already deserialized).
pub fn from_s3_records(records: &[S3EventRecord]) -> Vec<Item> {
    records.iter().map(|r| s3_record(r, Via::S3)).collect()
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
        Err(e) => {
            return vec![Item::Unrecognized(format!(
                "a {} message that is not JSON: {e}",
                via.as_str()
            ))]
        }
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
    let mut items = self::items(&value);
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

/// An S3 notification record, deserialized.
fn s3_record(r: &S3EventRecord, via: Via) -> Item {
    s3_notification(
        r.event_name.as_deref(),
        r.s3.bucket.name.as_deref(),
        r.s3.object.key.as_deref(),
        r.s3.object.version_id.as_deref(),
        r.s3.object.size,
        via,
    )
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

/// S3's EventBridge event: `detail.bucket.name`, `detail.object.key` (not URL-encoded: EventBridge carries the
/// key as written, e.g. `a:b`, where a notification would say `a%3Ab`), `detail.object["version-id"]`.
fn eventbridge(e: &Value) -> Item {
    let source = e.get("source").and_then(Value::as_str).unwrap_or_default();
    let detail_type = e
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if source != "aws.s3" {
        return Item::Unrecognized(format!(
            "an EventBridge event from {source:?} ({detail_type:?}), not aws.s3"
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
