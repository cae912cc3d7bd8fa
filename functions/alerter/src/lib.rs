//! trailwarden's Lambda: an S3 `ObjectCreated` event for a CloudTrail log file comes in; the object is streamed
//! from S3, decompressed and read record by record; every record is checked against the compiled rules; every
//! finding is published to SNS.
//!
//! The handler depends on two small ports, [`ObjectSource`] and [`AlertSink`], so tests call it directly with
//! in-memory fakes or with real SDK clients pointed at a local emulator. `main.rs` only wires things together.

pub mod alert;
pub mod aws;
pub mod config;
pub mod format;
pub mod handler;
pub mod metrics;
pub mod publish;
pub mod storm;

pub use alert::Alert;
pub use aws::{read_rules_file, s3_client, sns_client, S3Source};
pub use config::{today_utc, Config, ConfigError, RulesLocation};
pub use handler::{
    handle, AlertSink, Deps, HandlerError, ObjectBody, ObjectError, ObjectSource, SinkError,
    SourceError, Summary,
};
pub use publish::{RetryPolicy, RetryingSink, SnsBatchPublisher};

/// The production alert sink: SNS PublishBatch with retries.
pub type SnsSink = RetryingSink<SnsBatchPublisher>;

/// Builds the production alert sink for a topic.
pub fn sns_sink(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> SnsSink {
    RetryingSink::new(
        SnsBatchPublisher::new(client, topic_arn),
        RetryPolicy::default(),
    )
}
