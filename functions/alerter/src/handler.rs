//! The handler: one invocation in (an S3 event, another envelope announcing log files, or CloudTrail records
//! EventBridge delivered, directly or in an SQS batch), every log file and record in it evaluated, every new
//! finding published (the dedup table, when configured, holds back the ones already published).

use crate::adapters::archive::{self, ArchiveLine, ArchiveStatus};
use crate::alert::{Alert, Path};
use crate::config::Config;
use crate::envelope::{self, Entry, EventRecord, Item, Target};
use crate::errors::{HandlerError, ObjectError};
use crate::metrics::emf_lines;
use crate::ports::{
    AlertSink, ArchiveSink, Dedup, DedupError, DedupFuture, ObjectBody, ObjectSource,
    OutgoingAlert, SinkError,
};
use crate::render::finding::{render_finding_with, RenderOptions, RuleText};
use crate::render::storm_digest::render_storm_digest;
use crate::report::{Report, Response};
use crate::storm::{Admission, StormControl};
use cloudtrail::{LogReader, ReaderOptions};
use lambda_runtime::LambdaEvent;
use rules::scan_record::scan_record;
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

/// How long one dedup table call may take before the findings are published without its answer (and
/// `DedupUnavailable` counted): the fast path must not wait for the SDK's own timeouts.
pub const DEDUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Everything the handler needs, built once at cold start.
pub struct Deps<S, K> {
    pub source: S,
    pub sink: K,
    pub engine: Arc<Engine>,
    pub config: Config,
    /// Storm control settings from the rules file.
    pub alerts: AlertSettings,
    /// The table of published finding ids (`DEDUP_TABLE`, [`crate::adapters::dedup`]); `None`: every finding is
    /// published, also when an earlier attempt or the fast path already did.
    pub dedup: Option<Arc<dyn Dedup>>,
    /// The findings archive (`ARCHIVE_BUCKET`, [`crate::adapters::archive`]); `None`: findings are not archived.
    pub archive: Option<Arc<dyn ArchiveSink>>,
}

impl<S, K> Deps<S, K> {
    /// The one way to build [`Deps`]: the source, the sink, the compiled rules and the configuration, with
    /// the defaults for the rest (the default storm control settings, no dedup table, no archive); the
    /// `with_*` methods set those. Fields stay public so tests can read the fakes back and swap a port.
    pub fn new(source: S, sink: K, engine: impl Into<Arc<Engine>>, config: Config) -> Self {
        Deps {
            source,
            sink,
            engine: engine.into(),
            config,
            alerts: AlertSettings::default(),
            dedup: None,
            archive: None,
        }
    }

    /// Storm control settings (from the rules file).
    pub fn with_alerts(mut self, alerts: AlertSettings) -> Self {
        self.alerts = alerts;
        self
    }

    /// The table of published finding ids (`None`: no deduplication).
    pub fn with_dedup(mut self, dedup: Option<Arc<dyn Dedup>>) -> Self {
        self.dedup = dedup;
        self
    }

    /// The findings archive (`None`: findings are not archived).
    pub fn with_archive(mut self, archive: Option<Arc<dyn ArchiveSink>>) -> Self {
        self.archive = archive;
        self
    }

    /// The same dependencies reading log files from another source.
    pub fn with_source<S2>(self, source: S2) -> Deps<S2, K> {
        Deps::new(source, self.sink, self.engine, self.config)
            .with_alerts(self.alerts)
            .with_dedup(self.dedup)
            .with_archive(self.archive)
    }

    /// The same dependencies publishing to another sink.
    pub fn with_sink<K2>(self, sink: K2) -> Deps<S, K2> {
        Deps::new(self.source, sink, self.engine, self.config)
            .with_alerts(self.alerts)
            .with_dedup(self.dedup)
            .with_archive(self.archive)
    }
}

/// How long the archive's one write per invocation may take; a write that takes longer is given up and counted
/// (`ArchiveFailed`), the invocation does not fail for it.
pub const ARCHIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Handles an invocation whatever its envelope: log files announced by S3 directly, through SNS or SQS, S3's
/// EventBridge event or CloudTrail's SNS notification, and CloudTrail records from EventBridge, directly or
/// in SQS ([`envelope`]). What `main` runs.
///
/// An SQS batch answers [`Response::Batch`] (`{"batchItemFailures": [...]}`): a message whose log file or
/// record failed, or whose body is not a known shape, is named there and the others are done. Any other
/// invocation fails as a whole when an item failed (Lambda retries it).
pub async fn handle_event<S: ObjectSource, K: AlertSink>(
    event: LambdaEvent<serde_json::Value>,
    deps: &Deps<S, K>,
) -> Result<Response, HandlerError> {
    let envelope::Classified { sqs_batch, entries } = envelope::invocation(&event.payload);
    let invocation = Invocation::new(deps, &event.context, sqs_batch);
    info!(
        request_id = %event.context.request_id,
        deadline_ms = event.context.deadline,
        items = entries.len(),
        sqs_batch,
        dedup = deps.dedup.is_some(),
        "invocation started"
    );
    invocation.run(entries).await
}

/// The report's `skipped` reason for a copy of an EventBridge event already evaluated in the same invocation.
pub const EVENTBRIDGE_COPY: &str =
    "a copy of an EventBridge event already evaluated in this invocation";

/// One invocation and everything it keeps until it answers: the deadline, storm control, the threshold
/// windows, the dedup table's state, the archive lines, the failures, and the counters (the [`Report`], the
/// one place they are added up). Reads every announced log file and evaluates every delivered record, even
/// when an earlier one failed; an announcement that could not be read at all fails after the others (its
/// invocation, or in an SQS batch its message).
struct Invocation<'a, S, K> {
    deps: &'a Deps<S, K>,
    request_id: String,
    function_name: String,
    /// An SQS batch: failures are reported per message (`batchItemFailures`).
    sqs_batch: bool,
    /// When to stop working ([`stop_at`]).
    stop_at: Option<tokio::time::Instant>,
    /// Storm control spans the batch.
    storm: StormControl,
    /// Threshold rules count within one invocation, across its files and records (shared with the scanning
    /// thread).
    windows: Arc<Windows>,
    /// A dedup table call failed or timed out: the table is not asked again in this invocation (each call
    /// would wait).
    dedup_down: bool,
    /// The findings archive's lines (only collected with an archive): one object at the end.
    archive_lines: Vec<ArchiveLine>,
    /// EventBridge delivers one copy of an event per matching rule, all with the event's id, and the generated
    /// fast-path patterns can overlap (a root sign-in matches three): the ids evaluated in this batch, so a
    /// copy is not evaluated, looked up and published again. A copy in a later batch is the dedup table's to
    /// hold back.
    evaluated_events: Vec<String>,
    report: Report,
    /// Items read or evaluated (the failed ones included).
    items: usize,
    errors: Vec<ObjectError>,
    /// SQS batches: the messages that failed, in order.
    failed_messages: Vec<String>,
    /// A failed item had no message id: the batch cannot be answered message by message.
    unreportable: bool,
    /// Messages that had findings folded into a storm digest: they fail too when the digests do.
    folded_from: Vec<Option<String>>,
    /// The SQS message of the item being handled (`None` outside an SQS batch).
    message_id: Option<String>,
}

/// One log file's (or record's) rendered alerts on their way out: the batch being filled and the archive
/// lines of its alerts (their status set once it is flushed), what was handed to the sink, what failed.
#[derive(Default)]
struct Outbox {
    batch: Vec<OutgoingAlert>,
    pending: Vec<ArchiveLine>,
    handed: usize,
    failures: Vec<SinkError>,
}

impl<'a, S: ObjectSource, K: AlertSink> Invocation<'a, S, K> {
    fn new(deps: &'a Deps<S, K>, context: &lambda_runtime::Context, sqs_batch: bool) -> Self {
        Invocation {
            deps,
            request_id: context.request_id.clone(),
            function_name: context.env_config.function_name.clone(),
            sqs_batch,
            stop_at: stop_at(context, deps.config.deadline_margin),
            storm: StormControl::new(deps.alerts.clone(), context.request_id.clone()),
            windows: Arc::new(Windows::new()),
            dedup_down: false,
            archive_lines: Vec::new(),
            evaluated_events: Vec::new(),
            report: Report::default(),
            items: 0,
            errors: Vec::new(),
            failed_messages: Vec::new(),
            unreportable: false,
            folded_from: Vec::new(),
            message_id: None,
        }
    }

    /// Handles every entry, then publishes the storm digests, writes the archive and answers.
    async fn run(mut self, entries: Vec<Entry>) -> Result<Response, HandlerError> {
        for Entry { item, message_id } in entries {
            self.message_id = message_id;
            self.item(item).await;
        }
        self.publish_storm_digests().await;
        self.write_archive().await;
        self.answer()
    }

    fn message(&self) -> &str {
        self.message_id.as_deref().unwrap_or("")
    }

    /// Names the current item's message as failed (SQS batches).
    fn fail_message(&mut self, message_id: Option<String>) {
        match message_id {
            Some(m) if !self.failed_messages.contains(&m) => self.failed_messages.push(m),
            Some(_) => {}
            None => self.unreportable = true,
        }
    }

    /// The current item failed: the invocation (or its message) fails after the others.
    fn failed(&mut self, e: ObjectError) {
        self.errors.push(e);
        self.fail_message(self.message_id.clone());
    }

    async fn item(&mut self, item: Item) {
        match item {
            Item::Skip(reason) => {
                info!(
                    reason,
                    message_id = self.message(),
                    "skipped: not a CloudTrail log file being created"
                );
                *self.report.skipped.entry(reason.to_owned()).or_default() += 1;
            }
            Item::Refused(refused) => {
                // Not a failure: a forged event never becomes valid, so it is not retried nor kept in the
                // dead-letter queue; counted (`ForeignEventsRefused`) and logged without its content.
                let envelope::RefusedEvent::ForeignSource {
                    event_source,
                    detail_type,
                    event_id,
                } = &refused;
                warn!(source = %event_source, detail_type = %detail_type, eventbridge_id = %event_id, message_id = self.message(), error = %refused, "EventBridge event refused: not from an AWS service");
                self.report.foreign_events_refused += 1;
            }
            Item::Unrecognized(reason) => {
                // Counted as a log file that failed: it stood for one the function could not even name.
                self.items += 1;
                warn!(reason = %reason, message_id = self.message(), "announcement not recognized");
                self.failed(ObjectError::Envelope { reason });
            }
            Item::Target(target) => self.log_file(target).await,
            Item::Record(record) => self.record(record).await,
        }
    }

    /// Reads one log file and publishes its findings.
    async fn log_file(&mut self, target: Target) {
        self.items += 1;
        let Target {
            bucket,
            key,
            version_id,
            via,
        } = &target;
        let at = Location {
            bucket,
            key,
            path: Path::S3,
        };
        match self.read_log_file(at, version_id.as_deref()).await {
            Ok(()) => self.report.objects += 1,
            Err(e) => {
                warn!(bucket = %bucket, key = %key, version_id = version_id.as_deref().unwrap_or(""), via = via.as_str(), message_id = self.message(), error_kind = e.kind(), error = %e, "log file failed");
                self.failed(e);
            }
        }
    }

    /// Opens a log file (within the deadline) and scans it.
    async fn read_log_file(
        &mut self,
        at: Location<'_>,
        version_id: Option<&str>,
    ) -> Result<(), ObjectError> {
        let Location { bucket, key, .. } = at;
        let deadline_err = || ObjectError::DeadlineNear {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            records: 0,
        };
        if self.past_deadline() {
            return Err(deadline_err());
        }
        let open = self.deps.source.open(bucket, key, version_id);
        let opened = match self.stop_at {
            Some(t) => tokio::time::timeout_at(t, open)
                .await
                .map_err(|_| deadline_err())?,
            None => open.await,
        };
        let body = opened.map_err(|source| ObjectError::GetObject {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source,
        })?;
        self.scan_and_publish(at, version_id, body).await
    }

    fn past_deadline(&self) -> bool {
        self.stop_at
            .is_some_and(|t| tokio::time::Instant::now() >= t)
    }

    /// Evaluates one CloudTrail record EventBridge delivered, unless a copy of its event was already
    /// evaluated in this invocation.
    async fn record(&mut self, record: EventRecord) {
        if !record.event_id.is_empty() && self.evaluated_events.contains(&record.event_id) {
            info!(eventbridge_id = %record.event_id, message_id = self.message(), "skipped: a copy of an EventBridge event already evaluated in this invocation (one copy per matching rule)");
            *self
                .report
                .skipped
                .entry(EVENTBRIDGE_COPY.to_owned())
                .or_default() += 1;
            return;
        }
        self.items += 1;
        match self.evaluate_record(&record).await {
            // Only a copy of an event that was evaluated and published in full is skipped.
            Ok(()) => self.evaluated_events.push(record.event_id),
            Err(e) => {
                let e = record_error(&record, e);
                warn!(eventbridge_id = %record.event_id, detail_type = %record.detail_type, message_id = self.message(), error_kind = e.kind(), error = %e, "EventBridge record failed");
                self.failed(e);
            }
        }
    }

    /// Evaluates one record (its JSON text, as delivered) and publishes its findings. The record is evaluated
    /// directly ([`scan_record`]), with exactly a log file's record's semantics: the same lenient parser, the
    /// per-record cap (`MAX_RECORD_BYTES`), the `unevaluated-record` finding for a record that cannot be
    /// evaluated, exclusions and threshold windows (per invocation); storm control (per batch), rendering and
    /// publishing are the log files' own. A record yields at most one finding per rule, so they are collected
    /// before publishing: no thread and no channel.
    async fn evaluate_record(&mut self, record: &EventRecord) -> Result<(), ObjectError> {
        let at = Location {
            bucket: "",
            key: "",
            path: Path::EventBridge,
        };
        let deadline_err = |records: u64| ObjectError::DeadlineNear {
            bucket: String::new(),
            key: String::new(),
            records,
        };
        if self.past_deadline() {
            return Err(deadline_err(0));
        }
        let mut found = Vec::new();
        let scanned = scan_record(
            record.json.as_bytes(),
            &self.deps.engine,
            &self.windows,
            self.deps.config.max_record_bytes,
            |f| {
                found.push(f);
                Ok::<(), std::convert::Infallible>(())
            },
        );
        let stats = match scanned {
            Ok(stats) => stats,
            // A lone record has no file-level error; this only keeps the match total.
            Err(ScanError::Read(source)) => {
                return Err(ObjectError::Read {
                    bucket: String::new(),
                    key: String::new(),
                    source,
                })
            }
            Err(ScanError::Consumer(never)) => match never {},
        };
        let mut outbox = Outbox::default();
        let mut deadline = false;
        for finding in found {
            // As between the findings of a log file: stop at the deadline rather than be killed half-done.
            if self.past_deadline() || !self.take(&mut outbox, at, finding).await {
                deadline = true;
                break;
            }
        }
        let publish_error = self
            .close(outbox, deadline)
            .await
            .map(|source| ObjectError::Publish {
                bucket: String::new(),
                key: String::new(),
                source,
            });
        match publish_error {
            Some(e) => {
                self.count_scan(at, None, &stats);
                Err(e)
            }
            None if deadline => {
                // As a log file cut off at the deadline: only the records evaluated are counted.
                self.count_records(at, stats.records);
                Err(deadline_err(stats.records))
            }
            None => {
                self.count_scan(at, None, &stats);
                Ok(())
            }
        }
    }

    /// Scans a log file's body and publishes its findings. A publishing failure does not stop the scan (the
    /// alerts after it are still published), the deadline does (the scan is cancelled and stops within a
    /// record).
    async fn scan_and_publish(
        &mut self,
        at: Location<'_>,
        version_id: Option<&str>,
        body: ObjectBody,
    ) -> Result<(), ObjectError> {
        let Location { bucket, key, .. } = at;
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
        let engine = Arc::clone(&self.deps.engine);
        let options = ReaderOptions {
            max_uncompressed_bytes: Some(self.deps.config.max_uncompressed_bytes),
            max_record_bytes: Some(self.deps.config.max_record_bytes),
        };
        let bridge = SyncIoBridge::new_with_handle(
            Box::new(body) as ObjectBody,
            tokio::runtime::Handle::current(),
        );
        let scan_cancel = cancel.clone();
        let windows = Arc::clone(&self.windows);
        let mut scan = tokio::task::spawn_blocking(move || {
            let mut reader = match LogReader::new(bridge, options) {
                Ok(r) => r,
                Err(e) => return (Err(ScanError::Read(e)), 0),
            };
            scan_until(&mut reader, &engine, &windows, &scan_cancel, |f| {
                tx.blocking_send(f).map_err(|_| Stop::PublisherGone)
            })
        });

        let mut outbox = Outbox::default();
        let mut deadline = false;
        loop {
            // Stop before Lambda kills the invocation half-done: fail it instead, so it is retried (alerts
            // already published are published again: at-least-once).
            let next = match self.stop_at {
                Some(t) => tokio::select! {
                    f = rx.recv() => f,
                    () = tokio::time::sleep_until(t) => { deadline = true; break }
                },
                None => rx.recv().await,
            };
            let Some(finding) = next else { break };
            if !self.take(&mut outbox, at, finding).await {
                deadline = true;
                break;
            }
        }
        let publish_error = self
            .close(outbox, deadline)
            .await
            .map(|source| ObjectError::Publish {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                source,
            });

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
        let stats = match result {
            Ok(stats) => stats,
            Err(e) => {
                let scan_error = match e {
                    _ if deadline && publish_error.is_none() => ObjectError::DeadlineNear {
                        bucket: bucket.to_owned(),
                        key: key.to_owned(),
                        records: evaluated,
                    },
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
                self.count_records(at, evaluated);
                // A publishing failure is the first cause (the deadline inside publishing included).
                return Err(publish_error.unwrap_or(scan_error));
            }
        };
        self.count_scan(at, version_id, &stats);
        publish_error.map_or(Ok(()), Err)
    }

    /// Takes one finding: admitted by storm control (or folded), rendered, and published once a batch is
    /// full. `false`: publishing reached the deadline, stop.
    async fn take(&mut self, outbox: &mut Outbox, at: Location<'_>, finding: Finding) -> bool {
        let Location { bucket, key, path } = at;
        let deps = self.deps;
        let archiving = deps.archive.is_some();
        let alert = match path {
            Path::S3 => Alert::new(finding, bucket, key),
            Path::EventBridge => Alert::eventbridge(finding),
        };
        if alert.finding.is_unevaluated() {
            // Counted here, as it goes by, so that a scan that fails later still counts it.
            self.report.unevaluated += 1;
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
        let admission = self.storm.admit(&alert);
        info!(
            bucket,
            key,
            path = path.as_str(),
            rule_id = %alert.finding.rule_id,
            event_id = alert.finding.event_id.as_deref().unwrap_or(""),
            event_name = alert.finding.event_name.as_deref().unwrap_or(""),
            storm_folded = admission == Admission::Fold,
            "finding"
        );
        if admission == Admission::Fold {
            if !self.folded_from.contains(&self.message_id) {
                self.folded_from.push(self.message_id.clone());
            }
            if archiving {
                self.archive_lines.push(ArchiveLine::new(
                    &alert,
                    alert.finding.id(),
                    ArchiveStatus::Folded,
                ));
            }
            return true;
        }
        let rule = deps.engine.rule(&alert.finding.rule_id);
        let text = RuleText {
            rationale: rule.map_or("", |r| r.rationale()),
            next_steps: rule.map_or("", |r| r.next_steps()),
        };
        let rendered = render_finding_with(
            &alert,
            text,
            RenderOptions {
                email_include_record: deps.config.email_include_record,
            },
        );
        if archiving {
            outbox.pending.push(ArchiveLine::new(
                &alert,
                rendered.finding_id.clone(),
                ArchiveStatus::PublishFailed,
            ));
        }
        outbox.batch.push(rendered);
        if outbox.batch.len() == FLUSH_SIZE {
            if let Some(e) = self.flush(outbox).await {
                // One failed batch does not stop the file: the alerts after it are still published, then the
                // file fails. Only the deadline stops it.
                warn!(bucket, key, error = %e, "alerts not published; publishing the rest of the file");
                let deadline = matches!(e, SinkError::Deadline { .. });
                outbox.failures.push(e);
                if deadline {
                    return false;
                }
            }
        }
        true
    }

    /// Publishes the outbox's batch; its error, if any.
    async fn flush(&mut self, outbox: &mut Outbox) -> Option<SinkError> {
        let batch = std::mem::take(&mut outbox.batch);
        let flushed = self.publish_findings(batch).await;
        flushed.settle(&mut outbox.pending, &mut self.archive_lines);
        outbox.handed += flushed.handed;
        self.report.published += flushed.published;
        flushed.error
    }

    /// Publishes what is left in the outbox unless the deadline was reached (`deadline`); its publishing
    /// failures as one error.
    async fn close(&mut self, mut outbox: Outbox, deadline: bool) -> Option<SinkError> {
        if !deadline && !outbox.batch.is_empty() {
            if let Some(e) = self.flush(&mut outbox).await {
                outbox.failures.push(e);
            }
        }
        // Rendered but never handed to the sink (the deadline): archived as not published.
        self.archive_lines.append(&mut outbox.pending);
        combine(outbox.failures, outbox.handed)
    }

    /// Adds a finished scan's counts, and logs what it found: suppressed findings, exclusions, uncounted
    /// threshold events, and one line with its counts. (Each unevaluated record was logged, and counted, as
    /// its finding went by.)
    fn count_scan(&mut self, at: Location<'_>, version_id: Option<&str>, stats: &ScanStats) {
        let Location { bucket, key, path } = at;
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
            path = path.as_str(),
            version_id = version_id.unwrap_or(""),
            records = stats.records,
            malformed = stats.malformed,
            unevaluated = stats.unevaluated,
            findings = stats.findings,
            suppressed = stats.suppressed,
            bytes = stats.bytes,
            "log file processed"
        );
        self.count_records(at, stats.records);
        let s = &mut self.report;
        s.malformed += stats.malformed;
        s.findings += stats.findings;
        s.suppressed += stats.suppressed;
        s.bytes += stats.bytes;
        let earliest_slot = match path {
            Path::S3 => &mut s.earliest_event_time,
            Path::EventBridge => &mut s.eventbridge_earliest_event_time,
        };
        earliest(earliest_slot, &stats.earliest_event_time);
    }

    /// Counts records evaluated (also by a scan that stopped early).
    fn count_records(&mut self, at: Location<'_>, records: u64) {
        self.report.records += records;
        if matches!(at.path, Path::EventBridge) {
            self.report.eventbridge_records += records;
        }
    }

    /// Publishes rendered findings. With a dedup table: the ones it has seen are held back (`Deduplicated`),
    /// the others are handed to the sink one per call, all at once, so that exactly the ones it accepted are
    /// then marked; a table that fails or does not answer within [`DEDUP_TIMEOUT`] is not waited for (the
    /// findings are published, `DedupUnavailable` counted, and it is not asked again in this invocation).
    async fn publish_findings(&mut self, batch: Vec<OutgoingAlert>) -> Flushed {
        let deps = self.deps;
        let stop_at = self.stop_at;
        let Some(table) = deps.dedup.as_deref() else {
            let n = batch.len();
            let result = deps.sink.publish_until(&batch, stop_at).await;
            let unpublished = result.as_ref().err().map_or(0, |e| e.unpublished().min(n));
            return Flushed {
                handed: n,
                published: (n - unpublished) as u64,
                error: result.err(),
                accepted: None,
                held_back: std::collections::HashSet::new(),
            };
        };
        let ids: Vec<String> = batch.iter().map(|a| a.finding_id.clone()).collect();
        let seen = if self.dedup_down {
            None
        } else {
            match bounded(table.seen(&ids), stop_at).await {
                Ok(seen) => Some(seen),
                Err(e) => {
                    warn!(error = %e, findings = ids.len(), "dedup table unavailable: publishing without it");
                    self.dedup_down = true;
                    None
                }
            }
        };
        let mut held_back = std::collections::HashSet::new();
        if let Some(seen) = &seen {
            for id in &seen.unauthenticated {
                self.report.dedup_mark_unauthenticated += 1;
                warn!(finding_id = %id, "dedup mark not written by this function (no valid mac): ignored, the finding is published");
            }
        }
        let fresh: Vec<OutgoingAlert> = match &seen {
            Some(seen) => batch
                .into_iter()
                .filter(|a| {
                    let published = seen.published.contains(&a.finding_id);
                    if published {
                        held_back.insert(a.finding_id.clone());
                        self.report.deduplicated += 1;
                        info!(finding_id = %a.finding_id, "finding already published (dedup table): not published again");
                    }
                    !published
                })
                .collect(),
            None => {
                self.report.dedup_unavailable += batch.len() as u64;
                batch
            }
        };
        let results = futures_util::future::join_all(
            fresh
                .iter()
                .map(|a| deps.sink.publish_until(std::slice::from_ref(a), stop_at)),
        )
        .await;
        let mut accepted = Vec::with_capacity(fresh.len());
        let mut failures = Vec::new();
        for (alert, result) in fresh.iter().zip(results) {
            match result {
                Ok(()) => accepted.push(alert.finding_id.clone()),
                Err(e) => failures.push(e),
            }
        }
        // Marked only after the sink accepted them: a crash before this line can cause a duplicate, never a
        // loss. Not bounded by the invocation's stop time: its margin is there to finish what was published.
        if !accepted.is_empty() && !self.dedup_down {
            if let Err(e) = bounded(table.mark(&accepted), None).await {
                warn!(error = %e, findings = accepted.len(), "published findings could not be marked: a later copy may be published again");
                self.dedup_down = true;
                self.report.dedup_unavailable += accepted.len() as u64;
            }
        }
        let handed = fresh.len();
        Flushed {
            handed,
            published: accepted.len() as u64,
            error: combine(failures, handed),
            accepted: Some(accepted.into_iter().collect()),
            held_back,
        }
    }

    /// The rest of each storm, one digest per rule, after every item (an item that failed still contributes
    /// what it found before failing). Digests are not deduplicated: their id names this invocation.
    async fn publish_storm_digests(&mut self) {
        let digests = self.storm.digests();
        self.report.storm_folded = self.storm.folded();
        if digests.is_empty() {
            return;
        }
        let messages: Vec<OutgoingAlert> = digests.iter().map(render_storm_digest).collect();
        for s in &digests {
            warn!(rule_id = %s.rule_id, folded = s.count, sent_individually = s.sent_individually, "storm: findings folded into a summary");
        }
        match self.deps.sink.publish_until(&messages, self.stop_at).await {
            Ok(()) => {
                self.report.storm_summaries = messages.len() as u64;
                self.report.published += messages.len() as u64;
            }
            Err(source) => {
                self.errors.push(ObjectError::PublishStormDigests {
                    rule_ids: digests.iter().map(|s| s.rule_id.clone()).collect(),
                    source,
                });
                for m in std::mem::take(&mut self.folded_from) {
                    self.fail_message(m);
                }
            }
        }
    }

    /// Writes the invocation's findings to the archive as one object (nothing without findings). A failure or
    /// a write slower than [`ARCHIVE_TIMEOUT`] is logged and counted in `archive_failed` (findings), never an
    /// error of the invocation: the alerts are out, and a retry would publish them again for the sake of a
    /// copy.
    async fn write_archive(&mut self) {
        let Some(sink) = self.deps.archive.as_deref() else {
            return;
        };
        if self.archive_lines.is_empty() {
            return;
        }
        let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let body = archive::object(&mut self.archive_lines, &self.request_id);
        let n = self.archive_lines.len() as u64;
        let result =
            tokio::time::timeout(ARCHIVE_TIMEOUT, sink.write(&day, &self.request_id, body)).await;
        match result {
            Ok(Ok(())) => {
                info!(findings = n, day = %day, "findings archived");
                self.report.archived = n;
            }
            Ok(Err(e)) => {
                warn!(findings = n, error = %e, "findings archive not written: alerting is unaffected");
                self.report.archive_failed = n;
            }
            Err(_) => {
                warn!(
                    findings = n,
                    timeout_ms = ARCHIVE_TIMEOUT.as_millis() as u64,
                    "findings archive not written in time: alerting is unaffected"
                );
                self.report.archive_failed = n;
            }
        }
    }

    /// Emits the metrics, logs the counts and answers: an SQS batch names its failed messages, any other
    /// invocation fails as a whole when an item failed.
    fn answer(mut self) -> Result<Response, HandlerError> {
        let report = &mut self.report;
        report.failed_objects = self.errors.len() as u64;
        // CloudWatch Embedded Metric Format: lines on stdout become metrics in CloudWatch.
        emit_metrics(report, &self.function_name);
        info!(
            objects = report.objects,
            eventbridge_records = report.eventbridge_records,
            records = report.records,
            malformed = report.malformed,
            unevaluated = report.unevaluated,
            findings = report.findings,
            suppressed = report.suppressed,
            published = report.published,
            deduplicated = report.deduplicated,
            dedup_unavailable = report.dedup_unavailable,
            dedup_mark_unauthenticated = report.dedup_mark_unauthenticated,
            storm_folded = report.storm_folded,
            storm_summaries = report.storm_summaries,
            archived = report.archived,
            archive_failed = report.archive_failed,
            skipped = report.skipped.values().sum::<u64>(),
            failed = self.errors.len(),
            failed_messages = self.failed_messages.len(),
            "invocation done"
        );
        if self.sqs_batch && !self.unreportable {
            if !self.failed_messages.is_empty() {
                warn!(
                    failed_messages = ?self.failed_messages,
                    "SQS batch: the failed messages are reported in batchItemFailures (retried), the others are done"
                );
            }
            return Ok(Response::batch(self.failed_messages, self.report));
        }
        if self.errors.is_empty() {
            Ok(Response::Report(self.report))
        } else {
            Err(HandlerError {
                objects: self.items,
                errors: self.errors,
            })
        }
    }
}

/// A record's failure named as a log file's would be (its kind: `Publish`, `Publish.Deadline`,
/// `DeadlineNear`, …), under the EventBridge event's id.
fn record_error(record: &EventRecord, e: ObjectError) -> ObjectError {
    ObjectError::Record {
        event_id: record.event_id.clone(),
        kind: e.kind(),
        message: match e {
            ObjectError::Publish { source, .. } => source.to_string(),
            ObjectError::Read { source, .. } => source.to_string(),
            ObjectError::GetObject { source, .. } => source.to_string(),
            ObjectError::DeadlineNear { records, .. } => format!(
                "stopped before the invocation deadline after evaluating {records} records; it will be retried"
            ),
            ObjectError::Task { message, .. } => message,
            other => other.to_string(),
        },
    }
}

/// Keeps the earlier of two `eventTime`s (ISO 8601 UTC orders as text).
fn earliest(slot: &mut Option<String>, t: &Option<String>) {
    if let Some(t) = t {
        if slot.as_ref().is_none_or(|e| t < e) {
            *slot = Some(t.clone());
        }
    }
}

/// Prints the invocation's EMF lines on stdout, where CloudWatch Logs picks them up.
#[allow(
    clippy::print_stdout,
    reason = "CloudWatch Embedded Metric Format is read from the function's stdout"
)]
fn emit_metrics(report: &Report, function_name: &str) {
    for line in emf_lines(report, function_name, chrono::Utc::now()) {
        println!("{line}");
    }
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

/// Where the records being scanned came from: a log file (bucket, key), or an EventBridge event (the fast
/// path: bucket and key empty).
#[derive(Debug, Clone, Copy)]
struct Location<'a> {
    bucket: &'a str,
    key: &'a str,
    path: Path,
}

/// What one flush of rendered findings did.
struct Flushed {
    /// Alerts handed to the sink (the ones the dedup table held back are not).
    handed: usize,
    /// Alerts the sink accepted.
    published: u64,
    error: Option<SinkError>,
    /// Ids the sink accepted, and ids the dedup table held back (`None`: no table; then, without an error,
    /// every alert was accepted).
    accepted: Option<std::collections::HashSet<String>>,
    held_back: std::collections::HashSet<String>,
}

impl Flushed {
    /// Moves the archive lines of the flushed alerts from `pending` to `done` with their status.
    fn settle(&self, pending: &mut Vec<ArchiveLine>, done: &mut Vec<ArchiveLine>) {
        for mut line in pending.drain(..) {
            line.status = if self.held_back.contains(&line.finding_id) {
                ArchiveStatus::Deduplicated
            } else if match &self.accepted {
                Some(ids) => ids.contains(&line.finding_id),
                None => self.error.is_none(),
            } {
                ArchiveStatus::Published
            } else {
                ArchiveStatus::PublishFailed
            };
            done.push(line);
        }
    }
}

/// A dedup table call, cut off after [`DEDUP_TIMEOUT`] or at `stop_at`, whichever comes first.
async fn bounded<T>(
    call: DedupFuture<'_, T>,
    stop_at: Option<tokio::time::Instant>,
) -> Result<T, DedupError> {
    let limit = tokio::time::Instant::now() + DEDUP_TIMEOUT;
    let limit = stop_at.map_or(limit, |t| t.min(limit));
    tokio::time::timeout_at(limit, call)
        .await
        .unwrap_or_else(|_| {
            Err(DedupError::Unavailable(format!(
                "no answer within {} ms",
                DEDUP_TIMEOUT.as_millis()
            )))
        })
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
