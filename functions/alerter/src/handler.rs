//! The handler: one invocation in (an S3 event, another envelope announcing log files, or CloudTrail records
//! EventBridge delivered, directly or in an SQS batch), every log file and record in it evaluated, every new
//! finding handed to the channels (SNS publishes it unless the dedup table, when configured, says it already
//! was; the archive records it).

use crate::alert::{Alert, Path};
use crate::channels::archive::ArchiveChannel;
use crate::channels::sns::render::finding::RenderOptions;
use crate::channels::sns::SnsOutlet;
use crate::config::Config;
use crate::envelope::{self, Entry, EventRecord, Item, Target};
use crate::errors::{HandlerError, ObjectError};
use crate::metrics::emf_lines;
use crate::ports::{
    AlertSink, ArchiveSink, Channel, Dedup, Delivery, Fate, ObjectBody, ObjectSource, Outlet,
    RuleText, SinkError,
};
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
    /// The channels besides SNS, in the order they receive findings ([`crate::channels::from_config`]: the
    /// findings archive, `ARCHIVE_BUCKET`); none by default.
    pub channels: Vec<Arc<dyn Channel>>,
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
            channels: Vec::new(),
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

    /// The findings archive as a channel (`None`: findings are not archived).
    pub fn with_archive(self, archive: Option<Arc<dyn ArchiveSink>>) -> Self {
        match archive {
            Some(sink) => self.with_channel(Arc::new(ArchiveChannel::new(sink))),
            None => self,
        }
    }

    /// One more channel, after the others.
    pub fn with_channel(mut self, channel: Arc<dyn Channel>) -> Self {
        self.channels.push(channel);
        self
    }

    /// These channels besides SNS, in this order.
    pub fn with_channels(mut self, channels: Vec<Arc<dyn Channel>>) -> Self {
        self.channels = channels;
        self
    }

    /// The same dependencies reading log files from another source.
    pub fn with_source<S2>(self, source: S2) -> Deps<S2, K> {
        Deps::new(source, self.sink, self.engine, self.config)
            .with_alerts(self.alerts)
            .with_dedup(self.dedup)
            .with_channels(self.channels)
    }

    /// The same dependencies publishing to another sink.
    pub fn with_sink<K2>(self, sink: K2) -> Deps<S, K2> {
        Deps::new(self.source, sink, self.engine, self.config)
            .with_alerts(self.alerts)
            .with_dedup(self.dedup)
            .with_channels(self.channels)
    }
}

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
/// windows, the channels' parts of it (SNS's batches and dedup state, the archive's lines), the failures, and
/// the counters (the [`Report`], the one place they are added up). Reads every announced log file and evaluates every delivered record, even
/// when an earlier one failed; an announcement that could not be read at all fails after the others (its
/// invocation, or in an SQS batch its message).
struct Invocation<'a, S, K> {
    deps: &'a Deps<S, K>,
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
    /// The channels' parts of this invocation: SNS first (it settles each finding's fate), then the others
    /// ([`Deps::channels`]).
    outlets: Vec<Box<dyn Outlet + 'a>>,
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

impl<'a, S: ObjectSource, K: AlertSink> Invocation<'a, S, K> {
    fn new(deps: &'a Deps<S, K>, context: &lambda_runtime::Context, sqs_batch: bool) -> Self {
        let stop_at = stop_at(context, deps.config.deadline_margin);
        let options = RenderOptions {
            email_include_record: deps.config.email_include_record,
        };
        let sns = SnsOutlet::new(&deps.sink, deps.dedup.as_deref(), options, stop_at);
        let mut outlets: Vec<Box<dyn Outlet + 'a>> = vec![Box::new(sns)];
        outlets.extend(deps.channels.iter().map(|c| c.open(&context.request_id)));
        Invocation {
            deps,
            function_name: context.env_config.function_name.clone(),
            sqs_batch,
            stop_at,
            storm: StormControl::new(deps.alerts.clone(), context.request_id.clone()),
            windows: Arc::new(Windows::new()),
            outlets,
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
        // The end of the invocation for every channel (the archive writes its object here).
        for outlet in std::mem::take(&mut self.outlets) {
            outlet.close(&mut self.report).await;
        }
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
        let mut deadline = false;
        for finding in found {
            // As between the findings of a log file: stop at the deadline rather than be killed half-done.
            if self.past_deadline() || !self.take(at, finding).await {
                deadline = true;
                break;
            }
        }
        let publish_error = self
            .end_item(deadline)
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

        let mut deadline = false;
        loop {
            // Stop before Lambda kills the invocation half-done: fail it instead, so it is retried (alerts
            // already published are published again: at-least-once).
            let next = match self.stop_at {
                // Biased to the deadline: once it has passed, stop even while findings are waiting.
                Some(t) => tokio::select! {
                    biased;
                    () = tokio::time::sleep_until(t) => { deadline = true; break }
                    f = rx.recv() => f,
                },
                None => rx.recv().await,
            };
            let Some(finding) = next else { break };
            if !self.take(at, finding).await {
                deadline = true;
                break;
            }
        }
        let publish_error = self
            .end_item(deadline)
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
            Ok(stats) if !deadline => stats,
            // The scan finished, but the loop stopped at the deadline: findings it had not taken yet (still in
            // the channel) or not yet handed to SNS (a channel's batch, dropped at the deadline) were never
            // published. The log file is not done: it fails and is retried (at-least-once), never reported
            // as read.
            Ok(stats) => {
                warn!(
                    bucket,
                    key,
                    records_evaluated = stats.records,
                    "the deadline came before every finding of a finished scan was delivered"
                );
                self.count_records(at, stats.records);
                return Err(publish_error.unwrap_or(ObjectError::DeadlineNear {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    records: stats.records,
                }));
            }
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

    /// Takes one finding: storm control admits it (or folds it into its rule's digest), and every channel
    /// receives it with its context. `false`: delivering reached the deadline, stop.
    async fn take(&mut self, at: Location<'_>, finding: Finding) -> bool {
        let Location { bucket, key, path } = at;
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
        if admission == Admission::Fold && !self.folded_from.contains(&self.message_id) {
            self.folded_from.push(self.message_id.clone());
        }
        let rule = self.deps.engine.rule(&alert.finding.rule_id);
        let finding_id = alert.finding.id();
        let delivery = Delivery {
            alert: &alert,
            finding_id: &finding_id,
            rule: RuleText {
                rationale: rule.map_or("", |r| r.rationale()),
                next_steps: rule.map_or("", |r| r.next_steps()),
            },
            admission,
        };
        // Every channel takes the finding first, then every channel hears the fates that settled (SNS settles
        // a batch when its last finding arrives, so the others must have seen that finding already).
        let mut settled: Vec<(String, Fate)> = Vec::new();
        let mut stop = false;
        for outlet in &mut self.outlets {
            let taken = outlet.finding(delivery).await;
            settled.extend(taken.settled);
            stop |= taken.stop;
        }
        self.tell(&settled);
        !stop
    }

    /// Passes settled fates on to every channel.
    fn tell(&mut self, settled: &[(String, Fate)]) {
        if settled.is_empty() {
            return;
        }
        for outlet in &mut self.outlets {
            outlet.settled(settled);
        }
    }

    /// The end of one log file or record for every channel, in order (each hears the fates the ones before
    /// it settled); the item's delivery failure, if any.
    async fn end_item(&mut self, deadline: bool) -> Option<SinkError> {
        let mut error = None;
        for i in 0..self.outlets.len() {
            let ended = self.outlets[i].end_item(deadline).await;
            self.tell(&ended.settled);
            error = error.or(ended.error);
        }
        error
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

    /// The rest of each storm, one digest per rule, after every item (an item that failed still contributes
    /// what it found before failing), to every channel. A channel that cannot deliver them fails the messages
    /// whose findings were folded.
    async fn publish_storm_digests(&mut self) {
        let digests = self.storm.digests();
        self.report.storm_folded = self.storm.folded();
        let mut failures = Vec::new();
        for outlet in &mut self.outlets {
            if let Err(source) = outlet.storm_digests(&digests).await {
                failures.push(source);
            }
        }
        for source in failures {
            self.errors.push(ObjectError::PublishStormDigests {
                rule_ids: digests.iter().map(|s| s.rule_id.clone()).collect(),
                source,
            });
            for m in std::mem::take(&mut self.folded_from) {
                self.fail_message(m);
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
}
