//! The handler: one invocation in (an S3 event, or another envelope announcing log files), every log file in it
//! scanned, every finding published.

use crate::alert::Alert;
use crate::config::Config;
use crate::envelope::{self, Item, Target};
use crate::errors::{HandlerError, ObjectError};
use crate::metrics::emf_line;
use crate::ports::{AlertSink, ObjectBody, ObjectSource, OutgoingAlert, SinkError};
use crate::render::finding::{render_finding_with, RenderOptions, RuleText};
use crate::render::summary::render_summary;
use crate::storm::{Admission, StormControl};
use crate::summary::Summary;
use aws_lambda_events::s3::S3Event;
use cloudtrail::{LogReader, ReaderOptions};
use lambda_runtime::LambdaEvent;
use rules::{scan_log_windowed, AlertSettings, Engine, Finding, ScanError, ScanStats, Windows};
use std::future::Future;
use std::sync::Arc;
use tokio_util::io::SyncIoBridge;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
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

/// Handles one S3 event notification (delivered to the function directly): every record in it, even when an
/// earlier one failed.
pub async fn handle<S: ObjectSource, K: AlertSink>(
    event: LambdaEvent<S3Event>,
    deps: &Deps<S, K>,
) -> Result<Summary, HandlerError> {
    let items = envelope::from_s3_records(&event.payload.records);
    handle_items(items, &event.context, deps).await
}

/// Handles an invocation whatever envelope announced the log files (S3 directly, through SNS or SQS, S3's
/// EventBridge event, CloudTrail's SNS notification: [`envelope`]). What `main` runs.
pub async fn handle_event<S: ObjectSource, K: AlertSink>(
    event: LambdaEvent<serde_json::Value>,
    deps: &Deps<S, K>,
) -> Result<Summary, HandlerError> {
    let items = envelope::items(&event.payload);
    handle_items(items, &event.context, deps).await
}

/// Reads every announced log file, even when an earlier one failed; an announcement that could not be read
/// at all fails the invocation after the others.
async fn handle_items<S: ObjectSource, K: AlertSink>(
    items: Vec<Item>,
    context: &lambda_runtime::Context,
    deps: &Deps<S, K>,
) -> Result<Summary, HandlerError> {
    let mut summary = Summary::default();
    let mut errors = Vec::new();
    let mut objects = 0;
    let mut storm = StormControl::new(deps.alerts.clone(), context.request_id.clone());
    // Threshold rules count within one invocation, across its log files.
    let windows = Arc::new(Windows::new());
    let stop_at = stop_at(context, deps.config.deadline_margin);
    info!(
        request_id = %context.request_id,
        deadline_ms = context.deadline,
        items = items.len(),
        "invocation started"
    );
    for item in items {
        let target = match item {
            Item::Target(t) => t,
            Item::Skip(reason) => {
                info!(reason, "skipped: not a CloudTrail log file being created");
                *summary.skipped.entry(reason.to_owned()).or_default() += 1;
                continue;
            }
            Item::Unrecognized(reason) => {
                // Counted as a log file that failed: it stood for one the function could not even name.
                objects += 1;
                warn!(reason = %reason, "announcement not recognized");
                errors.push(ObjectError::Envelope { reason });
                continue;
            }
        };
        let Target {
            bucket,
            key,
            version_id,
            via,
        } = target;
        objects += 1;
        let (done, error) = process_object(
            &bucket,
            &key,
            version_id.as_deref(),
            deps,
            &mut storm,
            &windows,
            stop_at,
        )
        .await;
        // What a file did counts also when it failed part-way (alerts it published, records it could not
        // evaluate).
        summary.records += done.records;
        summary.malformed += done.malformed;
        summary.unevaluated += done.unevaluated;
        summary.findings += done.findings;
        summary.suppressed += done.suppressed;
        summary.bytes += done.bytes;
        if let Some(t) = done.earliest_event_time {
            if summary.earliest_event_time.as_ref().is_none_or(|e| t < *e) {
                summary.earliest_event_time = Some(t);
            }
        }
        summary.published += done.published;
        match error {
            None => summary.objects += 1,
            Some(e) => {
                warn!(bucket = %bucket, key = %key, version_id = version_id.as_deref().unwrap_or(""), via = via.as_str(), error_kind = e.kind(), error = %e, "log file failed");
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
        match deps.sink.publish_until(&messages, stop_at).await {
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
    emit_metrics(&summary, &context.env_config.function_name);
    info!(
        objects = summary.objects,
        records = summary.records,
        malformed = summary.malformed,
        unevaluated = summary.unevaluated,
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

/// What one log file contributed to the invocation, also when it failed part-way.
#[derive(Debug, Default)]
struct ObjectDone {
    bytes: u64,
    earliest_event_time: Option<String>,
    records: u64,
    malformed: u64,
    findings: u64,
    unevaluated: u64,
    suppressed: u64,
    published: u64,
}

/// Why the scanning thread stopped before the end of the file.
#[derive(Debug)]
enum Stop {
    /// The handler cancelled the scan (deadline, or it stopped reading findings).
    Cancelled,
    /// The publisher went away (it failed; its error is reported instead).
    PublisherGone,
}

/// How long the handler waits for the scanning thread to stop once cancelled. It stops within one record
/// (the flag is checked per record and the body fails its next read), so this is only a bound.
const SCAN_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// The message of the I/O error a cancelled body returns.
const CANCELLED_READ: &str = "reading stopped: the scan was cancelled";

/// Scans a log file until its end or until `cancel` fires: the flag is checked before each record is
/// evaluated and before each finding is handed on, so a cancelled scan evaluates at most the record it is
/// on. Returns the scan's result and the number of records evaluated by the rules.
fn scan_until<F>(
    reader: &mut LogReader<'_>,
    engine: &Engine,
    windows: &Windows,
    cancel: &CancellationToken,
    mut on_finding: F,
) -> (Result<ScanStats, ScanError<Stop>>, u64)
where
    F: FnMut(Finding) -> Result<(), Stop>,
{
    let mut evaluated = 0u64;
    let result = scan_log_windowed(
        reader,
        engine,
        windows,
        |_| {
            // After a cancellation the reader may still hold records in its buffer: none is evaluated.
            let go = !cancel.is_cancelled();
            evaluated += u64::from(go);
            go
        },
        |f| {
            if cancel.is_cancelled() {
                return Err(Stop::Cancelled);
            }
            on_finding(f)
        },
    );
    (result, evaluated)
}

/// An object body that fails its next read once the scan is cancelled, also while it waits for data: a
/// stalled or endless body cannot keep the scanning thread alive.
struct CancellableBody {
    inner: ObjectBody,
    cancelled: std::pin::Pin<Box<WaitForCancellationFutureOwned>>,
}

impl tokio::io::AsyncRead for CancellableBody {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.cancelled.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(Err(std::io::Error::other(CANCELLED_READ)));
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

/// The publishing failures of one log file as one error: the deadline if it was reached, else the alerts
/// rejected as invalid (named), else the ones left unpublished.
fn combine(failures: Vec<SinkError>, total: usize) -> Option<SinkError> {
    let unpublished = failures.iter().map(SinkError::unpublished).sum();
    let last_error = failures.iter().rev().find_map(|e| match e {
        SinkError::Unpublished { last_error, .. } | SinkError::Rejected { last_error, .. } => {
            Some(last_error.clone())
        }
        SinkError::Deadline { .. } => None,
    });
    let rejected: Vec<String> = failures
        .iter()
        .flat_map(|e| match e {
            SinkError::Rejected { finding_ids, .. } => finding_ids.clone(),
            _ => Vec::new(),
        })
        .collect();
    if failures.is_empty() {
        None
    } else if failures
        .iter()
        .any(|e| matches!(e, SinkError::Deadline { .. }))
    {
        Some(SinkError::Deadline { unpublished, total })
    } else if !rejected.is_empty() {
        Some(SinkError::Rejected {
            finding_ids: rejected,
            unpublished,
            total,
            last_error: last_error.unwrap_or_default(),
        })
    } else {
        Some(SinkError::Unpublished {
            unpublished,
            total,
            last_error: last_error.unwrap_or_default(),
        })
    }
}

/// Where an `unevaluated-record` finding's record was, from the small record the finding carries
/// ([`Finding::unevaluated`]).
#[derive(serde::Deserialize)]
struct UnevaluatedAt {
    unevaluated: Position,
}

#[derive(serde::Deserialize)]
struct Position {
    index: u64,
    offset: u64,
    reason: String,
}

/// Scans one log file and publishes its findings. Returns what it did, and the error that fails it, if any:
/// a publishing failure does not stop the file (the alerts after it are still published), the deadline
/// does (the scan is cancelled and stops within a record).
async fn process_object<S: ObjectSource, K: AlertSink>(
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    deps: &Deps<S, K>,
    storm: &mut StormControl,
    windows: &Arc<Windows>,
    stop_at: Option<tokio::time::Instant>,
) -> (ObjectDone, Option<ObjectError>) {
    let mut done = ObjectDone::default();
    let deadline_err = |records: u64| ObjectError::DeadlineNear {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        records,
    };
    let past = |t: tokio::time::Instant| tokio::time::Instant::now() >= t;
    if stop_at.is_some_and(past) {
        return (done, Some(deadline_err(0)));
    }
    let open = deps.source.open(bucket, key, version_id);
    let opened = match stop_at {
        Some(t) => match tokio::time::timeout_at(t, open).await {
            Ok(r) => r,
            Err(_) => return (done, Some(deadline_err(0))),
        },
        None => open.await,
    };
    let body = match opened {
        Ok(b) => b,
        Err(source) => {
            return (
                done,
                Some(ObjectError::GetObject {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    source,
                }),
            )
        }
    };

    // The reader is synchronous (pure crate); run it on a blocking thread fed by the streaming body, and
    // hand findings to this task through a bounded channel, so neither the object nor the findings are
    // held whole in memory. Whatever way this function returns, the scan is cancelled (the guard) and so
    // stops within a record instead of running on into the next invocation.
    let cancel = CancellationToken::new();
    let _stop_scan = cancel.clone().drop_guard();
    let body = CancellableBody {
        inner: body,
        cancelled: Box::pin(cancel.clone().cancelled_owned()),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Finding>(CHANNEL_CAPACITY);
    let engine = Arc::clone(&deps.engine);
    let options = ReaderOptions {
        max_uncompressed_bytes: Some(deps.config.max_uncompressed_bytes),
        max_record_bytes: Some(deps.config.max_record_bytes),
    };
    let bridge = SyncIoBridge::new_with_handle(
        Box::new(body) as ObjectBody,
        tokio::runtime::Handle::current(),
    );
    let scan_cancel = cancel.clone();
    let windows = Arc::clone(windows);
    let mut scan = tokio::task::spawn_blocking(move || {
        let mut reader = match LogReader::new(bridge, options) {
            Ok(r) => r,
            Err(e) => return (Err(ScanError::Read(e)), 0),
        };
        scan_until(&mut reader, &engine, &windows, &scan_cancel, |f| {
            tx.blocking_send(f).map_err(|_| Stop::PublisherGone)
        })
    });

    let mut batch: Vec<OutgoingAlert> = Vec::with_capacity(FLUSH_SIZE);
    let mut handed = 0usize;
    let mut failures: Vec<SinkError> = Vec::new();
    let mut deadline = false;
    let publish = |batch: Vec<OutgoingAlert>| async move {
        let result = deps.sink.publish_until(&batch, stop_at).await;
        (batch.len(), result)
    };
    loop {
        // Stop before Lambda kills the invocation half-done: fail it instead, so it is retried (alerts already
        // published are published again: at-least-once).
        let next = match stop_at {
            Some(t) => tokio::select! {
                f = rx.recv() => f,
                () = tokio::time::sleep_until(t) => { deadline = true; break }
            },
            None => rx.recv().await,
        };
        let Some(finding) = next else { break };
        let alert = Alert::new(finding, bucket, key);
        if alert.finding.is_unevaluated() {
            done.unevaluated += 1;
            let at: Option<UnevaluatedAt> = serde_json::from_str(alert.finding.record.get()).ok();
            warn!(
                bucket,
                key,
                index = at.as_ref().map(|a| a.unevaluated.index),
                offset = at.as_ref().map(|a| a.unevaluated.offset),
                reason = at.as_ref().map_or("", |a| a.unevaluated.reason.as_str()),
                event_id = alert.finding.event_id.as_deref().unwrap_or(""),
                event_name = alert.finding.event_name.as_deref().unwrap_or(""),
                "unevaluated record: alerted as a finding"
            );
        }
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
        batch.push(render_finding_with(
            &alert,
            text,
            RenderOptions {
                email_include_record: deps.config.email_include_record,
            },
        ));
        if batch.len() == FLUSH_SIZE {
            let (n, result) = publish(std::mem::take(&mut batch)).await;
            handed += n;
            match result {
                Ok(()) => done.published += n as u64,
                Err(e) => {
                    // One failed batch does not stop the file: the alerts after it are still published,
                    // then the file fails. Only the deadline stops it.
                    done.published += (n - e.unpublished().min(n)) as u64;
                    warn!(bucket, key, error = %e, "alerts not published; publishing the rest of the file");
                    deadline = matches!(e, SinkError::Deadline { .. });
                    failures.push(e);
                    if deadline {
                        break;
                    }
                }
            }
        }
    }
    if !deadline && !batch.is_empty() {
        let (n, result) = publish(std::mem::take(&mut batch)).await;
        handed += n;
        match result {
            Ok(()) => done.published += n as u64,
            Err(e) => {
                done.published += (n - e.unpublished().min(n)) as u64;
                failures.push(e);
            }
        }
    }

    // On the deadline: cancel the scan, let a scanning thread blocked on a full channel go (drop the
    // receiver), and wait (boundedly) for it to stop.
    if deadline {
        cancel.cancel();
    }
    drop(rx);
    let joined = if deadline {
        match tokio::time::timeout(SCAN_STOP_GRACE, &mut scan).await {
            Ok(j) => Some(j),
            Err(_) => {
                warn!(
                    bucket,
                    key, "the scanning thread did not stop within its grace period"
                );
                None
            }
        }
    } else {
        Some((&mut scan).await)
    };
    let (result, evaluated) = match joined {
        Some(Ok(r)) => r,
        Some(Err(_)) | None => (Err(ScanError::Consumer(Stop::Cancelled)), 0),
    };
    let publish_error = combine(failures, handed).map(|source| ObjectError::Publish {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        source,
    });
    let stats = match result {
        Ok(stats) => stats,
        Err(e) => {
            let scan_error = match e {
                _ if deadline && publish_error.is_none() => deadline_err(evaluated),
                ScanError::Read(source) => ObjectError::Read {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    source,
                },
                ScanError::Consumer(_) => ObjectError::Task {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    message: "the scanning thread stopped unexpectedly".to_owned(),
                },
            };
            warn!(
                bucket,
                key,
                records_evaluated = evaluated,
                deadline,
                "log file scan stopped early"
            );
            done.records = evaluated;
            // A publishing failure is the first cause (the deadline inside publishing included).
            return (done, Some(publish_error.unwrap_or(scan_error)));
        }
    };
    // Each unevaluated record was logged with its position and reason as its finding went by.
    for s in &stats.suppressed_samples {
        info!(bucket, key, rule_id = %s.rule_id, exclusion_id = %s.exclusion_id, event_id = s.event_id.as_deref().unwrap_or(""), "finding suppressed by exclusion");
    }
    for (exclusion_id, count) in &stats.suppressed_by {
        info!(bucket, key, exclusion_id = %exclusion_id, suppressed = count, "exclusion applied");
    }
    if stats.threshold_uncounted > 0 {
        warn!(
            bucket,
            key,
            uncounted = stats.threshold_uncounted,
            "threshold rule events not counted (state cap full, or no eventTime)"
        );
    }
    info!(
        bucket,
        key,
        version_id = version_id.unwrap_or(""),
        records = stats.records,
        malformed = stats.malformed,
        unevaluated = done.unevaluated,
        findings = stats.findings,
        suppressed = stats.suppressed,
        published = done.published,
        bytes = stats.bytes,
        "log file processed"
    );
    done.bytes = stats.bytes;
    done.earliest_event_time = stats.earliest_event_time;
    done.records = stats.records;
    done.malformed = stats.malformed;
    done.unevaluated = stats.unevaluated;
    done.findings = stats.findings;
    done.suppressed = stats.suppressed;
    (done, publish_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` AccessDenied records (one CIS 4.1 finding each), the whole file in memory: the reader never has
    /// to read again, so only the per-record check can stop the scan.
    fn denials(n: usize) -> Vec<u8> {
        let records: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"eventID":"e{i}","eventName":"ListBuckets","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.1","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"}}}}"#))
            .collect();
        format!(r#"{{"Records":[{}]}}"#, records.join(",")).into_bytes()
    }

    #[test]
    fn a_cancelled_scan_evaluates_no_further_record() {
        let engine = Engine::with_ids(&["cis-4.1-unauthorized-api-calls"]).unwrap();
        let text = denials(1000);
        let mut reader = LogReader::new(&text[..], ReaderOptions::default()).unwrap();
        let cancel = CancellationToken::new();
        let mut seen = Vec::new();
        let (result, evaluated) = scan_until(&mut reader, &engine, &Windows::new(), &cancel, |f| {
            seen.push(f.event_id.unwrap_or_default());
            if seen.len() == 5 {
                cancel.cancel();
            }
            Ok(())
        });
        // Cancelled while on the 5th record: the 995 records after it (already in memory) are not evaluated.
        assert_eq!(evaluated, 5);
        assert_eq!(seen, ["e0", "e1", "e2", "e3", "e4"]);
        assert_eq!(result.unwrap().filtered_out, 995);
    }

    #[test]
    fn an_uncancelled_scan_evaluates_every_record() {
        let engine = Engine::with_ids(&["cis-4.1-unauthorized-api-calls"]).unwrap();
        let text = denials(50);
        let mut reader = LogReader::new(&text[..], ReaderOptions::default()).unwrap();
        let mut findings = 0;
        let (result, evaluated) = scan_until(
            &mut reader,
            &engine,
            &Windows::new(),
            &CancellationToken::new(),
            |_| {
                findings += 1;
                Ok(())
            },
        );
        assert_eq!((evaluated, findings), (50, 50));
        assert_eq!(result.unwrap().records, 50);
    }

    #[test]
    fn publishing_failures_combine_into_one_error_deadline_first() {
        let unpublished = |n| SinkError::Unpublished {
            unpublished: n,
            total: 10,
            last_error: "InternalError: x".into(),
        };
        let rejected = |id: &str| SinkError::Rejected {
            finding_ids: vec![id.to_owned()],
            unpublished: 1,
            total: 10,
            last_error: "InvalidParameter: y".into(),
        };
        assert!(combine(vec![], 30).is_none());
        let e = combine(vec![unpublished(2), rejected("a"), rejected("b")], 30).unwrap();
        assert!(
            matches!(&e, SinkError::Rejected { finding_ids, unpublished: 4, total: 30, last_error } if finding_ids == &["a", "b"] && last_error.starts_with("InvalidParameter")),
            "{e:?}"
        );
        let e = combine(
            vec![
                rejected("a"),
                SinkError::Deadline {
                    unpublished: 10,
                    total: 10,
                },
            ],
            30,
        )
        .unwrap();
        assert!(
            matches!(
                e,
                SinkError::Deadline {
                    unpublished: 11,
                    total: 30
                }
            ),
            "{e:?}"
        );
    }
}
