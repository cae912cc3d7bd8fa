//! The SNS adapter of the [`AlertSink`] port: each [`OutgoingAlert`] becomes one SNS message with
//! `MessageStructure=json` (the JSON body as `default`, for SQS, Lambda and HTTPS subscribers; `email`;
//! `sms`) and string message attributes. Publishing uses PublishBatch: packing messages into batches within
//! SNS limits, accounting for every entry of every result (delivered only when SNS says so and the result
//! adds up), retrying what can be retried with backoff within the invocation's deadline, re-sending an alert
//! SNS rejects as invalid once in a minimal safe rendering, and failing when anything stays unpublished.
//!
//! Delivery is at least once: an invocation that fails after publishing some alerts is retried by Lambda and
//! publishes them again. Every message carries a deterministic `finding_id` (message body and attribute) so
//! subscribers can de-duplicate.

use crate::ports::{AlertSink, OutgoingAlert, SinkError};
use serde::Serialize;
use std::future::Future;
use std::time::Duration;
use tracing::warn;

/// Entries per PublishBatch call (SNS limit).
pub const MAX_BATCH_ENTRIES: usize = 10;
/// SNS: message + subject + attribute names/types/values ≤ 256 KiB, for one message and for a whole
/// PublishBatch request.
pub const MAX_SNS_BYTES: usize = 256 * 1024;

/// One alert as an SNS message, ready for Publish/PublishBatch with `MessageStructure=json`.
#[derive(Debug, Clone)]
pub struct SnsEntry {
    /// The alert's finding id (for logs; the message body and attributes carry it too).
    pub finding_id: String,
    pub subject: String,
    /// JSON object `{"default": "<json text>", "email": "<text>", "sms": "<text>"}`.
    pub message: String,
    /// String message attributes.
    pub attributes: Vec<(&'static str, String)>,
}

#[derive(Serialize)]
struct MessageStructure<'a> {
    default: &'a str,
    email: &'a str,
    sms: &'a str,
}

impl<'a> MessageStructure<'a> {
    fn of(alert: &'a OutgoingAlert) -> Self {
        MessageStructure {
            default: &alert.json,
            email: &alert.email,
            sms: &alert.sms,
        }
    }
}

impl SnsEntry {
    /// The SNS message for an alert.
    pub fn from_alert(alert: &OutgoingAlert) -> SnsEntry {
        SnsEntry {
            finding_id: alert.finding_id.clone(),
            subject: alert.subject.clone(),
            // A structure of three strings always serializes.
            message: serde_json::to_string(&MessageStructure::of(alert))
                .unwrap_or_else(|_| String::from("{}")),
            attributes: alert.attributes.clone(),
        }
    }

    /// The bytes SNS counts against its size limit: the message, the subject, and every attribute's name,
    /// data type (`String`) and value.
    pub fn sns_size(&self) -> usize {
        size_of_parts(self.message.len(), &self.subject, &self.attributes)
    }
}

fn size_of_parts(message: usize, subject: &str, attributes: &[(&'static str, String)]) -> usize {
    message
        + subject.len()
        + attributes
            .iter()
            .map(|(name, value)| name.len() + "String".len() + value.len())
            .sum::<usize>()
}

/// [`SnsEntry::sns_size`] of an alert's SNS message, measured without building the message.
pub fn sns_size(alert: &OutgoingAlert) -> usize {
    let mut counter = ByteCounter(0);
    // Writing to a counter cannot fail; a failure would only make the count smaller than the real size,
    // and the message is then still checked by SNS.
    let _ = serde_json::to_writer(&mut counter, &MessageStructure::of(alert));
    size_of_parts(counter.0, &alert.subject, &alert.attributes)
}

struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One entry SNS rejected in an otherwise successful PublishBatch call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFailure {
    /// The entry's id as SNS returned it (entries are sent with their position in the batch as id: `"0"`,
    /// `"1"`, …).
    pub id: String,
    pub code: String,
    pub message: String,
    /// SNS's `SenderFault`: true means the request itself is wrong and retrying it as is cannot help.
    pub sender_fault: bool,
}

impl EntryFailure {
    /// Whether sending it again may succeed: server-side faults and throttling.
    pub fn retryable(&self) -> bool {
        !self.sender_fault || is_throttling(&self.code)
    }

    /// Whether SNS rejected the entry's content (the alert as rendered), so that a minimal rendering may
    /// pass: a sender fault other than throttling, a missing topic or missing permissions (those reject any
    /// message).
    pub fn rejects_content(&self) -> bool {
        self.sender_fault
            && !is_throttling(&self.code)
            && !matches!(
                self.code.as_str(),
                "AuthorizationError"
                    | "NotFound"
                    | "InvalidSecurity"
                    | "KMSAccessDenied"
                    | "KMSDisabled"
                    | "KMSInvalidState"
                    | "KMSNotFound"
                    | "KMSOptInRequired"
            )
    }
}

/// What one PublishBatch call reported: the ids of the entries it accepted and the entries it rejected, as
/// SNS returned them. [`account`] reconciles it with what was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub successful: Vec<String>,
    pub failed: Vec<EntryFailure>,
}

/// The code given to an entry whose fate the PublishBatch result does not establish.
pub const UNACCOUNTED: &str = "Unaccounted";

/// Reconciles a PublishBatch result with the `sent` entries (ids `"0"`…`"sent-1"`): one result per entry, in
/// order. An entry is delivered only when SNS listed it as successful and the result adds up: successful plus
/// failed entries equal what was sent, and every id is one that was sent, exactly once. Otherwise every entry
/// without a failure of its own counts as failed ([`UNACCOUNTED`], retryable): at least once, never "probably
/// delivered". An entry SNS rejected keeps its own failure.
pub fn account(sent: usize, outcome: &BatchOutcome) -> Vec<Result<(), EntryFailure>> {
    let index = |id: &str| {
        id.parse::<usize>()
            .ok()
            .filter(|&i| i < sent && i.to_string() == id)
    };
    let mut results: Vec<Option<Result<(), EntryFailure>>> = vec![None; sent];
    let mut adds_up = outcome.successful.len() + outcome.failed.len() == sent;
    for id in &outcome.successful {
        match index(id).and_then(|i| results.get_mut(i)) {
            Some(slot @ None) => *slot = Some(Ok(())),
            _ => adds_up = false,
        }
    }
    for f in &outcome.failed {
        match index(&f.id).and_then(|i| results.get_mut(i)) {
            Some(slot) => {
                // Listed twice (also as successful): the failure wins.
                adds_up &= slot.is_none();
                *slot = Some(Err(f.clone()));
            }
            None => adds_up = false,
        }
    }
    let reported = format!(
        "PublishBatch reported {} successful and {} failed entries for {sent} sent{}: the entry counts as failed",
        outcome.successful.len(),
        outcome.failed.len(),
        if adds_up { "" } else { " (or ids that were not sent)" },
    );
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| match r {
            Some(Err(f)) => Err(f),
            Some(Ok(())) if adds_up => Ok(()),
            _ => Err(EntryFailure {
                id: i.to_string(),
                code: UNACCOUNTED.to_owned(),
                message: reported.clone(),
                sender_fault: false,
            }),
        })
        .collect()
}

/// A whole PublishBatch call failed (after the SDK's own retries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    pub message: String,
    pub retryable: bool,
}

fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "Throttled"
            | "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "KMSThrottling"
            | "KMSThrottlingException"
    )
}

/// One PublishBatch call: at most [`MAX_BATCH_ENTRIES`] messages whose sizes add up to at most
/// [`MAX_SNS_BYTES`], each sent with its position in `batch` as entry id. Returns what SNS reported, unchecked
/// ([`account`] checks it).
pub trait BatchPublisher: Send + Sync {
    fn publish_batch(
        &self,
        batch: &[&SnsEntry],
    ) -> impl Future<Output = Result<BatchOutcome, CallFailure>> + Send;
}

/// Retry schedule for rejected entries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per message, the first included.
    pub attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Splits messages into PublishBatch-sized groups (≤ 10 entries, ≤ 256 KiB together), in order.
pub fn pack<'a>(messages: &[&'a SnsEntry]) -> Vec<Vec<&'a SnsEntry>> {
    let mut batches: Vec<Vec<&SnsEntry>> = Vec::new();
    let mut size = 0;
    for &m in messages {
        let s = m.sns_size();
        let fits = batches
            .last()
            .is_some_and(|b| b.len() < MAX_BATCH_ENTRIES && size + s <= MAX_SNS_BYTES);
        if !fits {
            batches.push(Vec::new());
            size = 0;
        }
        if let Some(b) = batches.last_mut() {
            b.push(m);
        }
        size += s;
    }
    batches
}

/// The `schema_version` of the minimal rendering's JSON body (the full rendering's, `render::text`).
const MINIMAL_SCHEMA_VERSION: u32 = 1;
/// Longest value, in bytes, the minimal rendering copies from the alert.
const MINIMAL_FIELD_BYTES: usize = 1024;
/// SNS: subjects are at most 100 characters.
const MAX_SUBJECT_CHARS: usize = 100;

/// `s` with every character outside printable ASCII replaced by `?`, at most `max` characters.
fn printable_ascii(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// `s` cut to at most `max` bytes at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// JSON text with every non-ASCII character written as `\uXXXX` escapes (valid JSON, the same value, only
/// ASCII on the wire). Non-ASCII characters only occur inside strings in serde_json's output.
fn ascii_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// An attribute value the minimal rendering keeps: short, and only characters of ids, names and ARNs.
fn plain_value(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 256
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/@+=,-".contains(&b))
}

impl SnsEntry {
    /// The minimal safe rendering of an alert, sent once when SNS rejects the full one as invalid: an ASCII
    /// subject, a short ASCII JSON body with the ids (`finding_id`, `rule_id`, `severity`, `event_id`) and the
    /// log file's location (`bucket`, `key`), short email and SMS bodies, and only the attributes whose
    /// values are plain ids (so filter policies on `severity` and `rule_id` still route it). Nothing taken
    /// from the record is copied but the event id and the log file's key, both escaped to ASCII.
    pub fn minimal(alert: &OutgoingAlert) -> SnsEntry {
        let body: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&alert.json).unwrap_or_default();
        let attribute = |name: &str| {
            alert
                .attributes
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        let field = |name: &str| {
            body.get(name)
                .and_then(|v| v.as_str())
                .or_else(|| attribute(name))
                .map(|v| cut(v, MINIMAL_FIELD_BYTES))
        };
        let kind = field("kind").unwrap_or("finding");
        let rule_id = field("rule_id").unwrap_or("unknown");
        let severity = field("severity").unwrap_or("unknown");
        let mut doc = serde_json::Map::new();
        doc.insert("schema_version".into(), MINIMAL_SCHEMA_VERSION.into());
        doc.insert("kind".into(), kind.into());
        doc.insert("rendering".into(), "minimal".into());
        doc.insert(
            "finding_id".into(),
            cut(&alert.finding_id, MINIMAL_FIELD_BYTES).into(),
        );
        doc.insert("rule_id".into(), rule_id.into());
        doc.insert("severity".into(), severity.into());
        for name in ["event_id", "bucket", "key"] {
            if let Some(v) = field(name) {
                doc.insert(name.into(), v.into());
            }
        }
        doc.insert(
            "note".into(),
            "SNS rejected the full alert as invalid; this minimal rendering carries its ids and log file"
                .into(),
        );
        let json = ascii_json(&serde_json::Value::Object(doc).to_string());
        let ascii = |v: Option<&str>| printable_ascii(v.unwrap_or("unknown"), 200);
        let location = format!(
            "s3://{}/{}",
            ascii(field("bucket")),
            printable_ascii(field("key").unwrap_or("unknown"), MINIMAL_FIELD_BYTES)
        );
        let email = format!(
            "trailwarden {kind} (minimal rendering: SNS rejected the full alert as invalid)\n\n\
             rule        {}\nseverity    {}\nfinding id  {}\nevent id    {}\nlog file    {location}\n\n\
             Read the record in the log file; the JSON body escapes the exact key.\n",
            ascii(Some(rule_id)),
            ascii(Some(severity)),
            ascii(Some(&alert.finding_id)),
            ascii(field("event_id")),
        );
        let sms = printable_ascii(
            &format!(
                "{} {rule_id} event {} (minimal alert)",
                severity.to_ascii_uppercase(),
                field("event_id").unwrap_or("unknown")
            ),
            140,
        );
        let subject = printable_ascii(
            &format!(
                "[{}] trailwarden {kind} {rule_id} (minimal)",
                severity.to_ascii_uppercase()
            ),
            MAX_SUBJECT_CHARS,
        );
        let structure = MessageStructure {
            default: &json,
            email: &email,
            sms: &sms,
        };
        SnsEntry {
            finding_id: alert.finding_id.clone(),
            subject,
            // A structure of three strings always serializes.
            message: serde_json::to_string(&structure).unwrap_or_else(|_| String::from("{}")),
            attributes: alert
                .attributes
                .iter()
                .filter(|(name, value)| {
                    matches!(*name, "kind" | "severity" | "rule_id" | "finding_id")
                        && plain_value(value)
                })
                .cloned()
                .collect(),
        }
    }
}

/// An [`AlertSink`] over a [`BatchPublisher`]: encodes each alert as an SNS message, packs, publishes,
/// accounts for every entry ([`account`]), retries what can be retried with backoff, re-sends an alert SNS
/// rejects as invalid once in its [minimal rendering](SnsEntry::minimal), and reports what is still
/// unpublished as an error (which fails the invocation). One bad alert never stops the others: every alert
/// is tried before the error is returned. With a deadline ([`AlertSink::publish_until`]), no call and no
/// retry runs past it ([`SinkError::Deadline`]).
pub struct RetryingSink<P> {
    publisher: P,
    policy: RetryPolicy,
}

impl<P: BatchPublisher> RetryingSink<P> {
    pub fn new(publisher: P, policy: RetryPolicy) -> Self {
        RetryingSink { publisher, policy }
    }

    /// The wrapped publisher.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }
}

/// One alert on its way out.
#[derive(Debug, Clone, Copy)]
struct Item {
    /// Position in the alerts handed to the sink.
    index: usize,
    /// Send the minimal rendering (the full one was rejected as invalid).
    minimal: bool,
    /// Send it in a batch of its own (a whole call with it failed for good: find the bad entry).
    alone: bool,
    /// Retryable failures so far.
    failures: u32,
}

/// What to do with an item after a failure.
enum Next {
    Retry(Item),
    /// Send again at once, in another form (minimal, or alone): not a retry.
    Resend(Item),
    GiveUp,
    Rejected,
}

impl<P: BatchPublisher> RetryingSink<P> {
    fn after_failure(&self, mut item: Item, failure: &EntryFailure) -> Next {
        if failure.retryable() {
            item.failures += 1;
            if item.failures < self.policy.attempts.max(1) {
                Next::Retry(item)
            } else {
                Next::GiveUp
            }
        } else if failure.rejects_content() && !item.minimal {
            item.minimal = true;
            Next::Resend(item)
        } else {
            Next::Rejected
        }
    }
}

impl<P: BatchPublisher> AlertSink for RetryingSink<P> {
    async fn publish(&self, alerts: &[OutgoingAlert]) -> Result<(), SinkError> {
        self.publish_until(alerts, None).await
    }

    async fn publish_until(
        &self,
        alerts: &[OutgoingAlert],
        deadline: Option<tokio::time::Instant>,
    ) -> Result<(), SinkError> {
        let total = alerts.len();
        let full: Vec<SnsEntry> = alerts.iter().map(SnsEntry::from_alert).collect();
        let mut minimal: Vec<Option<SnsEntry>> = vec![None; total];
        let mut pending: Vec<Item> = (0..total)
            .map(|index| Item {
                index,
                minimal: false,
                alone: false,
                failures: 0,
            })
            .collect();
        let mut delivered = 0usize;
        let mut gave_up = 0usize;
        let mut rejected: Vec<String> = Vec::new();
        let mut last_error = String::new();
        let mut backoff = self.policy.initial_backoff;
        let past = |t: tokio::time::Instant| tokio::time::Instant::now() >= t;
        let stopped = |delivered: usize| SinkError::Deadline {
            unpublished: total - delivered,
            total,
        };
        let mut round = 0u32;
        while !pending.is_empty() {
            round += 1;
            for item in &pending {
                if item.minimal && minimal[item.index].is_none() {
                    minimal[item.index] = alerts.get(item.index).map(SnsEntry::minimal);
                }
            }
            let entry = |item: &Item| -> &SnsEntry {
                match (&minimal[item.index], item.minimal) {
                    (Some(m), true) => m,
                    _ => &full[item.index],
                }
            };
            // Batches of items: the ones to send alone first, then the rest packed in order.
            let (alone, together): (Vec<Item>, Vec<Item>) =
                pending.iter().partition(|item| item.alone);
            let mut batches: Vec<Vec<Item>> = alone.into_iter().map(|i| vec![i]).collect();
            let refs: Vec<&SnsEntry> = together.iter().map(entry).collect();
            let mut rest = together.as_slice();
            for b in pack(&refs) {
                let (head, tail) = rest.split_at(b.len().min(rest.len()));
                batches.push(head.to_vec());
                rest = tail;
            }
            let mut next: Vec<Item> = Vec::new();
            let mut retry_later = false;
            for batch in batches {
                if deadline.is_some_and(past) {
                    return Err(stopped(delivered));
                }
                let refs: Vec<&SnsEntry> = batch.iter().map(entry).collect();
                let call = self.publisher.publish_batch(&refs);
                let result = match deadline {
                    Some(t) => match tokio::time::timeout_at(t, call).await {
                        Ok(r) => r,
                        Err(_) => {
                            warn!(
                                entries = batch.len(),
                                round, "PublishBatch call cut off at the deadline"
                            );
                            return Err(stopped(delivered));
                        }
                    },
                    None => call.await,
                };
                let outcomes: Vec<(Item, Result<(), EntryFailure>)> = match result {
                    Ok(outcome) => batch
                        .iter()
                        .copied()
                        .zip(account(batch.len(), &outcome))
                        .collect(),
                    Err(e) => {
                        warn!(error = %e.message, retryable = e.retryable, entries = batch.len(), round, "PublishBatch call failed");
                        last_error = e.message.clone();
                        if !e.retryable && batch.len() > 1 {
                            // Rejected for good as a whole: send each entry alone to find the bad one,
                            // so it does not take the others down with it.
                            next.extend(batch.iter().map(|item| Item {
                                alone: true,
                                ..*item
                            }));
                            continue;
                        }
                        let failure = EntryFailure {
                            id: "0".to_owned(),
                            code: if e.retryable {
                                "CallFailed"
                            } else {
                                "CallRejected"
                            }
                            .to_owned(),
                            message: e.message,
                            sender_fault: !e.retryable,
                        };
                        batch.iter().map(|i| (*i, Err(failure.clone()))).collect()
                    }
                };
                for (item, result) in outcomes {
                    let failure = match result {
                        Ok(()) => {
                            delivered += 1;
                            if item.minimal {
                                warn!(finding_id = %full[item.index].finding_id, "alert delivered in its minimal rendering");
                            }
                            continue;
                        }
                        Err(f) => f,
                    };
                    let finding_id = &full[item.index].finding_id;
                    warn!(finding_id = %finding_id, code = %failure.code, message = %failure.message, sender_fault = failure.sender_fault, minimal = item.minimal, round, "SNS did not accept an alert");
                    last_error = format!("{}: {}", failure.code, failure.message);
                    match self.after_failure(item, &failure) {
                        Next::Retry(item) => {
                            retry_later = true;
                            next.push(item);
                        }
                        Next::Resend(item) => next.push(item),
                        Next::GiveUp => gave_up += 1,
                        Next::Rejected => rejected.push(finding_id.clone()),
                    }
                }
            }
            pending = next;
            if retry_later && !pending.is_empty() {
                if deadline.is_some_and(|t| tokio::time::Instant::now() + backoff >= t) {
                    return Err(stopped(delivered));
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(self.policy.max_backoff);
            }
        }
        if !rejected.is_empty() {
            return Err(SinkError::Rejected {
                finding_ids: rejected,
                unpublished: total - delivered,
                total,
                last_error,
            });
        }
        if gave_up > 0 {
            return Err(SinkError::Unpublished {
                unpublished: total - delivered,
                total,
                last_error,
            });
        }
        Ok(())
    }
}

/// The SNS PublishBatch call itself.
pub struct SnsBatchPublisher {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsBatchPublisher {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        SnsBatchPublisher {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

impl BatchPublisher for SnsBatchPublisher {
    async fn publish_batch(&self, batch: &[&SnsEntry]) -> Result<BatchOutcome, CallFailure> {
        use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata};
        use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
        let mut entries = Vec::with_capacity(batch.len());
        for (i, m) in batch.iter().enumerate() {
            let mut entry = PublishBatchRequestEntry::builder()
                .id(i.to_string())
                .message(&m.message)
                .message_structure("json")
                .subject(&m.subject);
            for (name, value) in &m.attributes {
                let attr = MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(value)
                    .build()
                    .map_err(|e| CallFailure {
                        message: e.to_string(),
                        retryable: false,
                    })?;
                entry = entry.message_attributes(*name, attr);
            }
            entries.push(entry.build().map_err(|e| CallFailure {
                message: e.to_string(),
                retryable: false,
            })?);
        }
        let out = self
            .client
            .publish_batch()
            .topic_arn(&self.topic_arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                // Throttling, 5xx and transport errors may pass; a rejected request (4xx) will not.
                let code = e.code().unwrap_or_default().to_owned();
                let client_error = e
                    .raw_response()
                    .is_some_and(|r| r.status().is_client_error());
                CallFailure {
                    message: DisplayErrorContext(&e).to_string(),
                    retryable: is_throttling(&code) || !client_error,
                }
            })?;
        Ok(BatchOutcome {
            successful: out
                .successful()
                .iter()
                .map(|s| s.id().unwrap_or_default().to_owned())
                .collect(),
            failed: out
                .failed()
                .iter()
                .map(|f| EntryFailure {
                    id: f.id().to_owned(),
                    code: f.code().to_owned(),
                    message: f.message().unwrap_or_default().to_owned(),
                    sender_fault: f.sender_fault(),
                })
                .collect(),
        })
    }
}

/// An SNS client, with the operation timeouts every client of the function has
/// ([`trailwarden_aws::timeouts`]).
pub fn sns_client(sdk: &aws_config::SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::from(sdk)
            .timeout_config(trailwarden_aws::timeouts(sdk))
            .build(),
    )
}

/// The production alert sink: SNS PublishBatch with retries.
pub type SnsSink = RetryingSink<SnsBatchPublisher>;

/// Builds the production alert sink for a topic.
pub fn sns_sink(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> SnsSink {
    RetryingSink::new(
        SnsBatchPublisher::new(client, topic_arn),
        RetryPolicy::default(),
    )
}
