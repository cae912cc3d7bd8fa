//! The SNS adapter of the [`AlertSink`] port: each [`OutgoingAlert`] becomes one SNS message with
//! `MessageStructure=json` (the JSON body as `default`, for SQS, Lambda and HTTPS subscribers; `email`;
//! `sms`) and string message attributes. Publishing uses PublishBatch: packing messages into batches within
//! SNS limits, checking every entry's result, retrying what can be retried with backoff, and failing when
//! anything stays unpublished.
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
    /// Position of the entry in the batch that was sent.
    pub index: usize,
    pub code: String,
    pub message: String,
    /// SNS's `SenderFault`: true means the request itself is wrong and retrying cannot help.
    pub sender_fault: bool,
}

impl EntryFailure {
    /// Whether sending it again may succeed: server-side faults and throttling.
    pub fn retryable(&self) -> bool {
        !self.sender_fault || is_throttling(&self.code)
    }
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
/// [`MAX_SNS_BYTES`]. Returns the entries SNS rejected.
pub trait BatchPublisher: Send + Sync {
    fn publish_batch(
        &self,
        batch: &[&SnsEntry],
    ) -> impl Future<Output = Result<Vec<EntryFailure>, CallFailure>> + Send;
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

/// An [`AlertSink`] over a [`BatchPublisher`]: encodes each alert as an SNS message, packs, publishes, retries rejected entries that can be
/// retried, and reports what is still unpublished as an error (which fails the invocation).
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

impl<P: BatchPublisher> AlertSink for RetryingSink<P> {
    async fn publish(&self, alerts: &[OutgoingAlert]) -> Result<(), SinkError> {
        let messages: Vec<SnsEntry> = alerts.iter().map(SnsEntry::from_alert).collect();
        let mut pending: Vec<&SnsEntry> = messages.iter().collect();
        let mut backoff = self.policy.initial_backoff;
        let mut last_error = String::new();
        for attempt in 1..=self.policy.attempts.max(1) {
            let mut again: Vec<&SnsEntry> = Vec::new();
            let mut permanent: Vec<(String, String)> = Vec::new();
            for batch in pack(&pending) {
                match self.publisher.publish_batch(&batch).await {
                    Ok(failures) => {
                        for f in failures {
                            let Some(&m) = batch.get(f.index) else {
                                continue;
                            };
                            warn!(finding_id = %m.finding_id, code = %f.code, message = %f.message, sender_fault = f.sender_fault, attempt, "SNS rejected an alert");
                            last_error = format!("{}: {}", f.code, f.message);
                            if f.retryable() {
                                again.push(m);
                            } else {
                                permanent.push((m.finding_id.clone(), last_error.clone()));
                            }
                        }
                    }
                    Err(e) => {
                        warn!(error = %e.message, retryable = e.retryable, entries = batch.len(), attempt, "PublishBatch call failed");
                        last_error = e.message.clone();
                        if e.retryable {
                            again.extend(batch.iter().copied());
                        } else {
                            permanent.extend(
                                batch
                                    .iter()
                                    .map(|m| (m.finding_id.clone(), e.message.clone())),
                            );
                        }
                    }
                }
            }
            if !permanent.is_empty() {
                return Err(SinkError::Unpublished {
                    unpublished: permanent.len() + again.len(),
                    total: messages.len(),
                    last_error: permanent[0].1.clone(),
                });
            }
            if again.is_empty() {
                return Ok(());
            }
            pending = again;
            if attempt < self.policy.attempts {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(self.policy.max_backoff);
            }
        }
        Err(SinkError::Unpublished {
            unpublished: pending.len(),
            total: messages.len(),
            last_error,
        })
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
    async fn publish_batch(&self, batch: &[&SnsEntry]) -> Result<Vec<EntryFailure>, CallFailure> {
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
        Ok(out
            .failed()
            .iter()
            .map(|f| EntryFailure {
                index: f.id().parse().unwrap_or(usize::MAX),
                code: f.code().to_owned(),
                message: f.message().unwrap_or_default().to_owned(),
                sender_fault: f.sender_fault(),
            })
            .collect())
    }
}

/// An SNS client.
pub fn sns_client(sdk: &aws_config::SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(sdk)
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
