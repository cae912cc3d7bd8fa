//! The handler: one S3 event in, every log file in it scanned, every finding published.

use crate::alert::Alert;
use crate::config::Config;
use crate::errors::{HandlerError, ObjectError};
use crate::metrics::emf_line;
use crate::ports::{AlertSink, ObjectSource, OutgoingAlert};
use crate::render::finding::{render_finding, RuleText};
use crate::render::summary::render_summary;
use crate::storm::{Admission, StormControl};
use crate::summary::Summary;
use aws_lambda_events::s3::{S3Event, S3EventRecord};
use cloudtrail::{classify_key, decode_s3_key, KeyKind, LogReader, ReaderOptions, SkipReason};
use lambda_runtime::LambdaEvent;
use rules::{scan_log, AlertSettings, Engine, Finding, ScanError};
use std::sync::Arc;
use tokio_util::io::SyncIoBridge;
use tracing::{info, warn};

/// Findings waiting between the scanning thread and the publisher; bounds memory on files with many matches.
const CHANNEL_CAPACITY: usize = 64;

/// Alerts handed to the sink at a time (one SNS PublishBatch call holds 10; the sink packs as it needs).
const FLUSH_SIZE: usize = 10;

/// Everything the handler needs, built once at cold start.
pub struct Deps<S, K> {
    pub source: S,
    pub sink: K,
    pub engine: Arc<Engine>,
    pub config: Config,
    /// Storm control settings from the rules file.
    pub alerts: AlertSettings,
}

/// Handles one S3 event: every record in it, even when an earlier one failed.
pub async fn handle<S: ObjectSource, K: AlertSink>(
    event: LambdaEvent<S3Event>,
    deps: &Deps<S, K>,
) -> Result<Summary, HandlerError> {
    let mut summary = Summary::default();
    let mut errors = Vec::new();
    let mut objects = 0;
    let mut storm = StormControl::new(deps.alerts.clone(), event.context.request_id.clone());
    let stop_at = stop_at(&event.context, deps.config.deadline_margin);
    info!(
        request_id = %event.context.request_id,
        deadline_ms = event.context.deadline,
        records = event.payload.records.len(),
        "invocation started"
    );
    for record in &event.payload.records {
        let (bucket, key) = match target(record) {
            Ok(t) => t,
            Err(reason) => {
                *summary.skipped.entry(reason.to_owned()).or_default() += 1;
                continue;
            }
        };
        objects += 1;
        match process_object(&bucket, &key, deps, &mut storm, stop_at).await {
            Ok(done) => {
                summary.objects += 1;
                summary.records += done.records;
                summary.malformed += done.malformed;
                summary.findings += done.findings;
                summary.suppressed += done.suppressed;
                summary.bytes += done.bytes;
                if let Some(t) = done.earliest_event_time {
                    if summary.earliest_event_time.as_ref().is_none_or(|e| t < *e) {
                        summary.earliest_event_time = Some(t);
                    }
                }
                summary.published += done.published;
            }
            Err(e) => {
                warn!(bucket = %bucket, key = %key, error_kind = e.kind(), error = %e, "log file failed");
                errors.push(e);
            }
        }
    }
    // The rest of each storm, one summary per rule, after every object (an object that failed still
    // contributes what it found before failing).
    let storm_summaries = storm.summaries();
    summary.storm_folded = storm.folded();
    if !storm_summaries.is_empty() {
        let messages: Vec<OutgoingAlert> = storm_summaries.iter().map(render_summary).collect();
        for s in &storm_summaries {
            warn!(rule_id = %s.rule_id, folded = s.count, sent_individually = s.sent_individually, "storm: findings folded into a summary");
        }
        match deps.sink.publish(&messages).await {
            Ok(()) => {
                summary.storm_summaries = messages.len() as u64;
                summary.published += messages.len() as u64;
            }
            Err(source) => errors.push(ObjectError::PublishSummaries {
                rule_ids: storm_summaries.iter().map(|s| s.rule_id.clone()).collect(),
                source,
            }),
        }
    }
    summary.failed_objects = errors.len() as u64;
    // CloudWatch Embedded Metric Format: one line on stdout per invocation becomes metrics in CloudWatch.
    emit_metrics(&summary, &event.context.env_config.function_name);
    info!(
        objects = summary.objects,
        records = summary.records,
        malformed = summary.malformed,
        findings = summary.findings,
        suppressed = summary.suppressed,
        published = summary.published,
        storm_folded = summary.storm_folded,
        storm_summaries = summary.storm_summaries,
        skipped = summary.skipped.values().sum::<u64>(),
        failed = errors.len(),
        "invocation done"
    );
    if errors.is_empty() {
        Ok(summary)
    } else {
        Err(HandlerError { objects, errors })
    }
}

/// Prints the invocation's EMF line on stdout, where CloudWatch Logs picks it up.
#[allow(
    clippy::print_stdout,
    reason = "CloudWatch Embedded Metric Format is read from the function's stdout"
)]
fn emit_metrics(summary: &Summary, function_name: &str) {
    println!("{}", emf_line(summary, function_name, chrono::Utc::now()));
}

/// When to give up on the invocation: its deadline minus the safety margin; `None` without a usable
/// deadline. The margin is at most a tenth of the time the invocation has, so a short function timeout
/// (Lambda's default is 3 s) still leaves time to work.
fn stop_at(
    context: &lambda_runtime::Context,
    margin: std::time::Duration,
) -> Option<tokio::time::Instant> {
    let left = context
        .deadline()
        .duration_since(std::time::SystemTime::now())
        .ok()?;
    // A deadline already past when the invocation starts is not a real one (`cargo lambda watch` sends the
    // timeout, 600000, instead of an epoch time; tests send 0): nothing to enforce.
    if left.is_zero() {
        return None;
    }
    Some(tokio::time::Instant::now() + left.saturating_sub(margin.min(left / 10)))
}

/// The bucket and decoded key of an event record that names a CloudTrail log file, or why it is skipped.
fn target(record: &S3EventRecord) -> Result<(String, String), &'static str> {
    let name = record.event_name.as_deref().unwrap_or_default();
    let bucket = record.s3.bucket.name.as_deref().unwrap_or_default();
    let raw_key = record.s3.object.key.as_deref().unwrap_or_default();
    if !name.starts_with("ObjectCreated") {
        info!(
            event_name = name,
            bucket,
            key = raw_key,
            "skipped: not an ObjectCreated event"
        );
        return Err("not_object_created");
    }
    let key = match decode_s3_key(raw_key) {
        Ok(k) => k,
        Err(e) => {
            info!(bucket, key = raw_key, error = %e, "skipped: key cannot be decoded");
            return Err(SkipReason::NotCloudTrail.as_str());
        }
    };
    let reason = if record.s3.object.size == Some(0) {
        Some(SkipReason::EmptyObject)
    } else {
        match classify_key(&key) {
            KeyKind::Log(_) => None,
            KeyKind::Skip(r) => Some(r),
        }
    };
    if let Some(reason) = reason {
        info!(bucket, key = %key, reason = reason.as_str(), "skipped: not a CloudTrail log file");
        return Err(reason.as_str());
    }
    if bucket.is_empty() {
        info!(key = %key, "skipped: event record has no bucket name");
        return Err("no_bucket");
    }
    Ok((bucket.to_owned(), key))
}

struct ObjectDone {
    bytes: u64,
    earliest_event_time: Option<String>,
    records: u64,
    malformed: u64,
    findings: u64,
    suppressed: u64,
    published: u64,
}

/// The scanning thread stopped because the publisher went away (it failed; its error is reported instead).
#[derive(Debug)]
struct PublisherGone;

async fn process_object<S: ObjectSource, K: AlertSink>(
    bucket: &str,
    key: &str,
    deps: &Deps<S, K>,
    storm: &mut StormControl,
    stop_at: Option<tokio::time::Instant>,
) -> Result<ObjectDone, ObjectError> {
    let deadline_err = || ObjectError::DeadlineNear {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    };
    if stop_at.is_some_and(|t| tokio::time::Instant::now() >= t) {
        return Err(deadline_err());
    }
    let body = deps
        .source
        .open(bucket, key)
        .await
        .map_err(|source| ObjectError::GetObject {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source,
        })?;

    // The reader is synchronous (pure crate); run it on a blocking thread fed by the streaming body, and
    // hand findings to this task through a bounded channel, so neither the object nor the findings are
    // held whole in memory.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Finding>(CHANNEL_CAPACITY);
    let engine = Arc::clone(&deps.engine);
    let options = ReaderOptions {
        max_uncompressed_bytes: Some(deps.config.max_uncompressed_bytes),
    };
    let bridge = SyncIoBridge::new_with_handle(body, tokio::runtime::Handle::current());
    let scan = tokio::task::spawn_blocking(move || {
        let mut reader = LogReader::new(bridge, options).map_err(ScanError::Read)?;
        scan_log(&mut reader, &engine, |f| {
            tx.blocking_send(f).map_err(|_| PublisherGone)
        })
    });

    let mut batch: Vec<OutgoingAlert> = Vec::with_capacity(FLUSH_SIZE);
    let mut published = 0u64;
    let publish_err = |source| ObjectError::Publish {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        source,
    };
    loop {
        // Stop before Lambda kills the invocation half-done: fail it instead, so it is retried (alerts already
        // published are published again: at-least-once).
        let next = match stop_at {
            Some(t) => tokio::select! {
                f = rx.recv() => f,
                () = tokio::time::sleep_until(t) => return Err(deadline_err()),
            },
            None => rx.recv().await,
        };
        let Some(finding) = next else { break };
        let alert = Alert::new(finding, bucket, key);
        let admission = storm.admit(&alert);
        info!(
            bucket,
            key,
            rule_id = %alert.finding.rule_id,
            event_id = alert.finding.event_id.as_deref().unwrap_or(""),
            event_name = alert.finding.event_name.as_deref().unwrap_or(""),
            storm_folded = admission == Admission::Fold,
            "finding"
        );
        if admission == Admission::Fold {
            continue;
        }
        let rule = deps.engine.rule(&alert.finding.rule_id);
        let text = RuleText {
            rationale: rule.map_or("", |r| r.rationale()),
            next_steps: rule.map_or("", |r| r.next_steps()),
        };
        batch.push(render_finding(&alert, text));
        if batch.len() == FLUSH_SIZE {
            deps.sink.publish(&batch).await.map_err(publish_err)?;
            published += batch.len() as u64;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        deps.sink.publish(&batch).await.map_err(publish_err)?;
        published += batch.len() as u64;
    }

    let stats = match scan.await {
        Ok(Ok(stats)) => stats,
        Ok(Err(ScanError::Read(source))) => {
            return Err(ObjectError::Read {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                source,
            })
        }
        Ok(Err(ScanError::Consumer(PublisherGone))) | Err(_) => {
            return Err(ObjectError::Task {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                message: "the scanning thread stopped unexpectedly".to_owned(),
            })
        }
    };
    for m in &stats.malformed_samples {
        warn!(bucket, key, index = m.index, offset = m.offset, error = %m.error, "malformed record skipped");
    }
    for s in &stats.suppressed_samples {
        info!(bucket, key, rule_id = %s.rule_id, exclusion_id = %s.exclusion_id, event_id = s.event_id.as_deref().unwrap_or(""), "finding suppressed by exclusion");
    }
    for (exclusion_id, count) in &stats.suppressed_by {
        info!(bucket, key, exclusion_id = %exclusion_id, suppressed = count, "exclusion applied");
    }
    info!(
        bucket,
        key,
        records = stats.records,
        malformed = stats.malformed,
        findings = stats.findings,
        suppressed = stats.suppressed,
        published,
        bytes = stats.bytes,
        "log file processed"
    );
    Ok(ObjectDone {
        bytes: stats.bytes,
        earliest_event_time: stats.earliest_event_time,
        records: stats.records,
        malformed: stats.malformed,
        findings: stats.findings,
        suppressed: stats.suppressed,
        published,
    })
}
