//! The real adapters: S3 GetObject as an [`ObjectSource`], SNS PublishBatch as an [`AlertSink`].

use crate::config::{ConfigError, RulesLocation};
use crate::handler::{AlertSink, ObjectBody, ObjectSource, SinkError, SourceError, MAX_BATCH};
use crate::Alert;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};

/// An S3 client; path-style addressing when an endpoint override is set (local emulators such as moto).
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let path_style = std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
        || sdk.endpoint_url().is_some();
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// An SNS client.
pub fn sns_client(sdk: &aws_config::SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(sdk)
}

/// Reads the rules file from disk or S3 (at cold start).
pub async fn read_rules_file(
    location: &RulesLocation,
    s3: &aws_sdk_s3::Client,
) -> Result<String, ConfigError> {
    let unreadable = |reason: String| ConfigError::RulesFileUnreadable {
        location: location.to_string(),
        reason,
    };
    match location {
        RulesLocation::File(path) => {
            std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))
        }
        RulesLocation::S3 { bucket, key } => {
            let out = s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| unreadable(DisplayErrorContext(&e).to_string()))?;
            let bytes = out
                .body
                .collect()
                .await
                .map_err(|e| unreadable(e.to_string()))?
                .into_bytes();
            String::from_utf8(bytes.to_vec()).map_err(|_| unreadable("not UTF-8".to_owned()))
        }
    }
}

/// Reads objects from S3, streaming the body.
pub struct S3Source {
    client: aws_sdk_s3::Client,
}

impl S3Source {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        S3Source { client }
    }
}

impl ObjectSource for S3Source {
    async fn open(&self, bucket: &str, key: &str) -> Result<ObjectBody, SourceError> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                let service = e.as_service_error();
                if service.is_some_and(|s| s.is_no_such_key())
                    || service.and_then(|s| s.code()) == Some("NoSuchKey")
                {
                    SourceError::NotFound
                } else if service.and_then(|s| s.code()) == Some("AccessDenied")
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 403)
                {
                    SourceError::AccessDenied
                } else {
                    SourceError::Other(DisplayErrorContext(&e).to_string())
                }
            })?;
        Ok(Box::new(out.body.into_async_read()))
    }
}

/// Publishes alerts to one SNS topic with PublishBatch.
pub struct SnsSink {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsSink {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        SnsSink {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

/// SNS rejects empty attribute values, so absent fields get no attribute.
fn string_attr(value: Option<&str>) -> Option<MessageAttributeValue> {
    let v = value.filter(|v| !v.is_empty())?;
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .ok()
}

/// The message attributes subscribers can filter on.
pub fn attributes(alert: &Alert) -> Vec<(&'static str, MessageAttributeValue)> {
    let f = &alert.finding;
    [
        ("severity", Some(f.severity.as_str())),
        ("rule_id", Some(f.rule_id.as_str())),
        ("account_id", f.account_id.as_deref()),
        ("region", f.region.as_deref()),
        ("event_name", f.event_name.as_deref()),
    ]
    .into_iter()
    .filter_map(|(name, v)| Some((name, string_attr(v)?)))
    .collect()
}

impl AlertSink for SnsSink {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), SinkError> {
        for chunk in alerts.chunks(MAX_BATCH) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, alert) in chunk.iter().enumerate() {
                let mut entry = PublishBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message(
                        alert
                            .to_json()
                            .map_err(|e| SinkError::Encode(e.to_string()))?,
                    )
                    .subject(alert.subject());
                for (name, value) in attributes(alert) {
                    entry = entry.message_attributes(name, value);
                }
                entries.push(
                    entry
                        .build()
                        .map_err(|e| SinkError::Encode(e.to_string()))?,
                );
            }
            let out = self
                .client
                .publish_batch()
                .topic_arn(&self.topic_arn)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(|e| SinkError::Call(DisplayErrorContext(&e).to_string()))?;
            if let Some(first) = out.failed().first() {
                return Err(SinkError::Rejected {
                    failed: out.failed().len(),
                    total: chunk.len(),
                    code: first.code().to_owned(),
                    message: first.message().unwrap_or_default().to_owned(),
                });
            }
        }
        Ok(())
    }
}
