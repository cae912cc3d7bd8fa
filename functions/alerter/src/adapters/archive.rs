//! The findings archive: every finding of an invocation as one JSON line, all of them in ONE object per
//! invocation (never one per finding), under `<ARCHIVE_PREFIX>day=YYYY-MM-DD/<request-id>.jsonl` in
//! `ARCHIVE_BUCKET`, SSE-KMS (`ARCHIVE_KMS_KEY_ID`, else the bucket's default key). The Glue table `findings`
//! (infra/archive.tf) reads it with partition projection on `day`, so findings can be explored with Athena or
//! anything that reads S3.
//!
//! Which findings: every one the rules produced after the exclusions (a finding an exclusion suppressed is not
//! a finding; it is counted in `Suppressed`), whatever became of it, in `status` ([`ArchiveStatus`]). The day is
//! the invocation's (UTC), not the event's: a finding is archived when it was evaluated.
//!
//! An archive that cannot be written is logged and counted (`ArchiveFailed`, in findings) and does not fail the
//! invocation: the alerts were already published, and failing would publish them again on the retry to save a
//! copy that is only for exploration. A retried invocation (another request id) archives its findings again:
//! `finding_id` tells the copies apart.
//!
//! The adapters of the [`ArchiveSink`] port: S3 in production ([`S3Archive`]) and in memory for tests
//! ([`MemArchive`]).

use crate::alert::Alert;
use crate::config::Config;
use crate::ports::{ArchiveError, ArchiveFuture, ArchiveSink};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Default `ARCHIVE_PREFIX`.
pub use crate::config::DEFAULT_ARCHIVE_PREFIX as DEFAULT_PREFIX;

/// What became of an archived finding (its fate in the alerting channel).
pub use crate::ports::Fate as ArchiveStatus;

/// One line of the archive. The Glue table `findings` has these columns, in this order, and the partition
/// `day`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ArchiveLine {
    pub finding_id: String,
    pub rule_id: String,
    pub title: String,
    pub severity: &'static str,
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    pub event_source: Option<String>,
    pub event_time: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub principal: Option<String>,
    pub principal_type: Option<String>,
    pub source_ip: Option<String>,
    pub error_code: Option<String>,
    /// `s3` (a log file) or `eventbridge` (the fast path).
    pub path: &'static str,
    /// The log file's bucket and key; empty on the fast path.
    pub log_bucket: String,
    pub log_key: String,
    pub status: ArchiveStatus,
    /// The invocation that archived it (also the object's name).
    pub request_id: String,
}

impl ArchiveLine {
    /// The line of an alert's finding; `request_id` is filled by [`object`].
    pub fn new(alert: &Alert, finding_id: String, status: ArchiveStatus) -> ArchiveLine {
        let f = &alert.finding;
        ArchiveLine {
            finding_id,
            rule_id: f.rule_id.clone(),
            title: f.title.clone(),
            severity: f.severity.as_str(),
            event_id: f.event_id.clone(),
            event_name: f.event_name.clone(),
            event_source: f.event_source.clone(),
            event_time: f.event_time.clone(),
            account_id: f.account_id.clone(),
            region: f.region.clone(),
            principal: f.principal.clone(),
            principal_type: f.principal_type.clone(),
            source_ip: f.source_ip.clone(),
            error_code: f.error_code.clone(),
            path: alert.path.as_str(),
            log_bucket: alert.bucket.clone(),
            log_key: alert.key.clone(),
            status,
            request_id: String::new(),
        }
    }
}

/// The object's key: `<prefix>day=<YYYY-MM-DD>/<request-id>.jsonl`.
pub fn object_key(prefix: &str, day: &str, request_id: &str) -> String {
    format!("{prefix}day={day}/{request_id}.jsonl")
}

/// The object's body: one JSON line per finding, each stamped with `request_id`.
pub fn object(lines: &mut [ArchiveLine], request_id: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for line in lines.iter_mut() {
        line.request_id = request_id.to_owned();
        // Serializing strings and options cannot fail; a line that did would be left out, never panic.
        if let Ok(json) = serde_json::to_vec(line) {
            body.extend_from_slice(&json);
            body.push(b'\n');
        }
    }
    body
}

/// The archive in S3: one PutObject per invocation, SSE-KMS. The function's IAM allows s3:PutObject on
/// `<bucket>/<prefix>*` only, and kms:GenerateDataKey on the key.
pub struct S3Archive {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    kms_key_id: Option<String>,
}

impl S3Archive {
    pub fn new(
        client: aws_sdk_s3::Client,
        bucket: impl Into<String>,
        prefix: impl Into<String>,
        kms_key_id: Option<String>,
    ) -> Self {
        S3Archive {
            client,
            bucket: bucket.into(),
            prefix: prefix.into(),
            kms_key_id,
        }
    }
}

impl ArchiveSink for S3Archive {
    fn write<'a>(&'a self, day: &'a str, request_id: &'a str, body: Vec<u8>) -> ArchiveFuture<'a> {
        Box::pin(async move {
            let key = object_key(&self.prefix, day, request_id);
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_type("application/x-ndjson")
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .set_ssekms_key_id(self.kms_key_id.clone())
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| ArchiveError::Write {
                    key: format!("s3://{}/{key}", self.bucket),
                    reason: DisplayErrorContext(&e).to_string(),
                })?;
            Ok(())
        })
    }
}

/// The archive the configuration asks for (`ARCHIVE_BUCKET`); `None` when it is not set.
pub fn from_config(config: &Config, s3: &aws_sdk_s3::Client) -> Option<Arc<dyn ArchiveSink>> {
    let Some(bucket) = config.archive_bucket.as_deref() else {
        tracing::info!("ARCHIVE_BUCKET is not set: findings are not archived");
        return None;
    };
    tracing::info!(
        archive_bucket = bucket,
        archive_prefix = %config.archive_prefix,
        archive_kms_key = config.archive_kms_key_id.as_deref().unwrap_or("bucket default"),
        "findings archive configured"
    );
    Some(Arc::new(S3Archive::new(
        s3.clone(),
        bucket,
        config.archive_prefix.clone(),
        config.archive_kms_key_id.clone(),
    )))
}

/// An in-memory archive (tests, local runs): the objects written by key, and a switch that makes every write
/// fail.
#[derive(Debug, Default)]
pub struct MemArchive {
    prefix: String,
    objects: Mutex<Vec<(String, Vec<u8>)>>,
    failing: AtomicBool,
}

impl MemArchive {
    pub fn new(prefix: impl Into<String>) -> Self {
        MemArchive {
            prefix: prefix.into(),
            ..MemArchive::default()
        }
    }

    /// Makes every later write fail (`true`) or succeed.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// The objects written, in order: key and body.
    pub fn objects(&self) -> Vec<(String, Vec<u8>)> {
        self.objects.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

impl ArchiveSink for MemArchive {
    fn write<'a>(&'a self, day: &'a str, request_id: &'a str, body: Vec<u8>) -> ArchiveFuture<'a> {
        Box::pin(async move {
            let key = object_key(&self.prefix, day, request_id);
            if self.failing.load(Ordering::SeqCst) {
                return Err(ArchiveError::Write {
                    key,
                    reason: "the in-memory archive is set to fail".to_owned(),
                });
            }
            if let Ok(mut o) = self.objects.lock() {
                o.push((key, body));
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_lines() {
        assert_eq!(
            object_key(DEFAULT_PREFIX, "2026-12-03", "req-1"),
            "trailwarden-findings/day=2026-12-03/req-1.jsonl"
        );
        let finding: rules::Finding = serde_json::from_value(serde_json::json!({
            "rule_id": "r", "title": "T", "severity": "high", "controls": [],
            "event_id": "e1", "event_name": "N", "event_source": null, "event_time": "2026-12-03T00:00:00Z",
            "account_id": "111122223333", "region": "us-east-1", "principal": "arn:p", "principal_type": null,
            "principal_account_id": null, "access_key_id": null, "source_ip": null, "user_agent": null,
            "error_code": null, "note": null, "record": {}
        }))
        .unwrap();
        let alert = Alert::new(finding, "b", "k");
        let mut lines = vec![
            ArchiveLine::new(&alert, "f1".into(), ArchiveStatus::Published),
            ArchiveLine::new(&alert, "f2".into(), ArchiveStatus::Folded),
        ];
        let body = String::from_utf8(object(&mut lines, "req-1")).unwrap();
        let parsed: Vec<serde_json::Value> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0]["finding_id"], "f1");
        assert_eq!(parsed[0]["severity"], "high");
        assert_eq!(parsed[0]["status"], "published");
        assert_eq!(parsed[0]["log_key"], "k");
        assert_eq!(parsed[1]["status"], "folded");
        assert_eq!(parsed[1]["request_id"], "req-1");
        assert!(body.ends_with('\n'));
    }
}
