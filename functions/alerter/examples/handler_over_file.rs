//! The function's handler over a local log file, for `make bench-lambda`: what one invocation costs on a big
//! file, measured from outside (CPU and peak RSS of this process).
//!
//! Same code path as the deployed function: `alerter::handle_event` with the default rules (or `TRAILWARDEN_CONFIG`
//! as a local path), storm control, alert rendering and batching. Only the two edges are local: the object is
//! streamed from disk instead of S3, and the sink counts the messages instead of calling SNS.
//!
//! Usage: `handler_over_file FILE.json.gz` (prints a JSON summary on stdout).

use alerter::adapters::sns::sns_size;
use alerter::config::Config;
use alerter::handler::{handle_event, Deps};
use alerter::ports::{AlertSink, ObjectBody, ObjectSource, OutgoingAlert, SinkError, SourceError};
use anyhow::Context as _;
use lambda_runtime::{Context, LambdaEvent};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A key in CloudTrail's layout, so the handler treats the object as a log file.
const KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T0000Z_bench.json.gz";

struct FileSource(PathBuf);

impl ObjectSource for FileSource {
    async fn open(
        &self,
        _bucket: &str,
        _key: &str,
        _version_id: Option<&str>,
    ) -> Result<ObjectBody, SourceError> {
        let file = tokio::fs::File::open(&self.0)
            .await
            .map_err(|e| SourceError::Other(e.to_string()))?;
        Ok(Box::new(file))
    }
}

#[derive(Default)]
struct CountingSink {
    messages: AtomicU64,
    bytes: AtomicU64,
}

impl AlertSink for CountingSink {
    async fn publish(&self, messages: &[OutgoingAlert]) -> Result<(), SinkError> {
        self.messages
            .fetch_add(messages.len() as u64, Ordering::Relaxed);
        let bytes: usize = messages.iter().map(sns_size).sum();
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        Ok(())
    }
}

#[allow(
    clippy::print_stdout,
    reason = "the benchmark reads the JSON summary from stdout"
)]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .context("usage: handler_over_file FILE.json.gz")?,
    );
    let size = std::fs::metadata(&path)
        .with_context(|| path.display().to_string())?
        .len();
    let mut config = Config::new("arn:aws:sns:us-east-1:111122223333:trailwarden-alerts");
    let rules_text = match std::env::var("TRAILWARDEN_CONFIG") {
        Ok(p) => Some(std::fs::read_to_string(&p).with_context(|| p.clone())?),
        Err(_) => None,
    };
    if let Ok(v) = std::env::var("MAX_UNCOMPRESSED_BYTES") {
        config.max_uncompressed_bytes = v.parse().context("MAX_UNCOMPRESSED_BYTES")?;
    }
    let (engine, alerts) = config.rules(rules_text.as_deref(), &rules::today_utc())?;
    let deps = Deps::new(
        FileSource(path.clone()),
        CountingSink::default(),
        engine,
        config,
    )
    .with_alerts(alerts);
    // What `main` runs: the production entry, with the event as Lambda delivers it (JSON).
    let event = serde_json::json!({
        "Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2024-01-15T00:05:00.000Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:AROAEXAMPLECLOUDTRAIL:regionalDeliverySession"},
            "requestParameters": {"sourceIPAddress": "203.0.113.10"},
            "responseElements": {"x-amz-request-id": "BENCH", "x-amz-id-2": "BENCH"},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "trailwarden",
                "bucket": {
                    "name": "bench-bucket",
                    "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                    "arn": "arn:aws:s3:::bench-bucket"
                },
                "object": {"key": KEY, "size": size, "eTag": "0", "sequencer": "0"}
            }
        }]
    });
    let summary = handle_event(LambdaEvent::new(event, Context::default()), &deps)
        .await?
        .into_report();
    println!(
        "{}",
        serde_json::json!({
            "file": path.display().to_string(),
            "compressed_bytes": size,
            "summary": summary,
            "messages": deps.sink.messages.load(Ordering::Relaxed),
            "message_bytes": deps.sink.bytes.load(Ordering::Relaxed),
        })
    );
    Ok(())
}
