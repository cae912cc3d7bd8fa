//! The handler's ports, in the alerter's own terms: where log files come from ([`ObjectSource`], S3 in
//! production), where alerts go (the channels: [`Outlet`], [`Channel`]; SNS's transport is [`AlertSink`]),
//! the dedup table ([`Dedup`]) and the archive's store ([`ArchiveSink`]). The adapters
//! ([`crate::adapters`]) and the test fakes implement them; this module depends only on the types a channel
//! is handed (the alert, storm control's verdict, the report).

use std::future::Future;
use tokio::io::AsyncRead;

/// A streamed object body.
pub type ObjectBody = Box<dyn AsyncRead + Send + Unpin>;

/// Why an object could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("the object (or the version the event named) does not exist (404)")]
    NotFound,
    #[error("access denied (403): check the function's s3:GetObject, s3:GetObjectVersion and kms:Decrypt permissions")]
    AccessDenied,
    #[error("{0}")]
    Other(String),
}

/// Where log files come from (S3 in production).
pub trait ObjectSource: Send + Sync {
    /// Opens an object for streaming; the body is read as it arrives, never buffered whole. `version_id` is the
    /// version the S3 event announced (versioned buckets): that version is read, not whatever was written to the
    /// key since, so a forged overwrite right after delivery cannot replace what CloudTrail delivered.
    fn open(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> impl Future<Output = Result<ObjectBody, SourceError>> + Send;
}

/// One alert, rendered and ready to deliver: a finding or a storm digest, with one body per kind of
/// recipient. The sink decides how to put it on the wire.
#[derive(Debug, Clone)]
pub struct OutgoingAlert {
    /// Deterministic: the same finding gets the same id on every delivery attempt.
    pub finding_id: String,
    /// ≤ 100 printable ASCII characters, no newlines.
    pub subject: String,
    /// The machine-readable body: versioned JSON text (`schema_version`, `kind`), for queues, functions and
    /// webhooks.
    pub json: String,
    /// The plain-text body for people reading email.
    pub email: String,
    /// The short body for text messages.
    pub sms: String,
    /// String attributes recipients can filter on: severity, rule_id, account_id, region, event_name,
    /// finding_id, kind; absent or empty values are left out.
    pub attributes: Vec<(&'static str, String)>,
}

/// Why alerts could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Some alerts are still undelivered after the retries (or could not be retried).
    #[error("{unpublished} of {total} alerts could not be published; last error: {last_error}")]
    Unpublished {
        unpublished: usize,
        total: usize,
        last_error: String,
    },
    /// The destination rejected alerts as invalid, in their full and in their minimal rendering.
    #[error("{unpublished} of {total} alerts could not be published; rejected as invalid even in their minimal rendering: finding ids {}; last error: {last_error}", finding_ids.join(", "))]
    Rejected {
        /// The rejected alerts' finding ids.
        finding_ids: Vec<String>,
        /// All alerts left undelivered, the rejected ones included.
        unpublished: usize,
        total: usize,
        last_error: String,
    },
    /// The time left for publishing (the invocation's deadline minus its safety margin) ran out, during a
    /// call or before a retry.
    #[error("publishing stopped at the invocation deadline: {unpublished} of {total} alerts unpublished")]
    Deadline { unpublished: usize, total: usize },
}

impl SinkError {
    /// Alerts left undelivered.
    pub fn unpublished(&self) -> usize {
        match self {
            SinkError::Unpublished { unpublished, .. }
            | SinkError::Rejected { unpublished, .. }
            | SinkError::Deadline { unpublished, .. } => *unpublished,
        }
    }
}

/// Where alerts go (SNS in production).
pub trait AlertSink: Send + Sync {
    /// Delivers every alert or fails; a failure fails the invocation (so nothing is lost silently).
    fn publish(
        &self,
        alerts: &[OutgoingAlert],
    ) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// [`AlertSink::publish`] within a deadline (`None`: no deadline): when it passes, publishing stops with
    /// [`SinkError::Deadline`]. This default cuts `publish` off at the deadline; a sink with retries
    /// overrides it to stop retrying when the time is spent.
    fn publish_until(
        &self,
        alerts: &[OutgoingAlert],
        deadline: Option<tokio::time::Instant>,
    ) -> impl Future<Output = Result<(), SinkError>> + Send {
        async move {
            match deadline {
                None => self.publish(alerts).await,
                Some(t) => tokio::time::timeout_at(t, self.publish(alerts))
                    .await
                    .unwrap_or(Err(SinkError::Deadline {
                        unpublished: alerts.len(),
                        total: alerts.len(),
                    })),
            }
        }
    }
}

/// Why the dedup table could not answer (any error: the handler then publishes anyway and counts
/// `DedupUnavailable`).
#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    #[error("dedup table unavailable: {0}")]
    Unavailable(String),
}

/// A boxed future, so that [`Dedup`] can be used as `dyn Dedup` (the handler holds it optionally).
pub type DedupFuture<'a, T> =
    std::pin::Pin<Box<dyn Future<Output = Result<T, DedupError>> + Send + 'a>>;

/// What a dedup lookup found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Ids marked as published by this function (authenticated marks): held back.
    pub published: std::collections::HashSet<String>,
    /// Ids with a mark the function cannot authenticate (no `mac`, or one KMS does not verify): someone else
    /// wrote it. Ignored (the finding is published), logged and counted (`DedupMarkUnauthenticated`).
    pub unauthenticated: Vec<String>,
}

/// Which findings were already published (DynamoDB in production, keyed by finding id): a finding the fast
/// path published is not published again when its record arrives in a log file, nor when an event is retried
/// after it was half published. A finding is marked only after the sink accepted it, so a crash between
/// publishing and marking can cause a duplicate, never a loss.
pub trait Dedup: Send + Sync {
    /// The ids among `finding_ids` that are marked as published, and those whose mark is not authentic.
    fn seen<'a>(&'a self, finding_ids: &'a [String]) -> DedupFuture<'a, Seen>;

    /// Marks `finding_ids` as published (for the table's time to live).
    fn mark<'a>(&'a self, finding_ids: &'a [String]) -> DedupFuture<'a, ()>;
}

/// One item of the dedup table as stored: the finding id, when it expires (epoch seconds) and its MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMark {
    pub finding_id: String,
    pub expires_at: i64,
    /// The `mac` attribute (binary); `None` when the item has none (or not a binary one).
    pub mac: Option<Vec<u8>>,
}

/// The dedup table's raw items (DynamoDB in production): no meaning, no trust. [`crate::adapters::dedup::MacDedup`]
/// turns it into a [`Dedup`] that believes only the marks it can authenticate.
pub trait MarkStore: Send + Sync {
    /// The items stored for `finding_ids` (the ones that have none are absent).
    fn get<'a>(
        &'a self,
        finding_ids: &'a [String],
    ) -> DedupFuture<'a, std::collections::HashMap<String, StoredMark>>;

    /// Writes (or overwrites) these items.
    fn put<'a>(&'a self, marks: &'a [StoredMark]) -> DedupFuture<'a, ()>;
}

/// Why KMS could not compute or check a MAC (not "the MAC is wrong": that is `Ok(false)`).
#[derive(Debug, thiserror::Error)]
pub enum MacError {
    #[error("KMS unavailable: {0}")]
    Unavailable(String),
}

/// A boxed future, so that [`MarkMac`] can be used as `dyn MarkMac`.
pub type MacFuture<'a, T> =
    std::pin::Pin<Box<dyn Future<Output = Result<T, MacError>> + Send + 'a>>;

/// The key that authenticates dedup marks (a KMS HMAC key only the function's role may use in production:
/// GenerateMac and VerifyMac with HMAC_SHA_256).
pub trait MarkMac: Send + Sync {
    /// The MAC of `message`.
    fn generate<'a>(&'a self, message: &'a [u8]) -> MacFuture<'a, Vec<u8>>;

    /// Whether `mac` is the MAC of `message` under this key (`Ok(false)`: it is not).
    fn verify<'a>(&'a self, message: &'a [u8], mac: &'a [u8]) -> MacFuture<'a, bool>;
}

/// Why the findings archive could not be written (the handler logs it, counts `ArchiveFailed` and goes on).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive object {key} not written: {reason}")]
    Write { key: String, reason: String },
}

/// A boxed future, so that [`ArchiveSink`] can be used as `dyn ArchiveSink`.
pub type ArchiveFuture<'a> =
    std::pin::Pin<Box<dyn Future<Output = Result<(), ArchiveError>> + Send + 'a>>;

/// Where the findings archive goes (S3 in production, `crate::adapters::archive`): one object per invocation holding
/// every finding of it as JSON lines.
pub trait ArchiveSink: Send + Sync {
    /// Writes one invocation's object (`body`: JSON lines) for the UTC `day` (`YYYY-MM-DD`) under the
    /// invocation's `request_id`.
    fn write<'a>(&'a self, day: &'a str, request_id: &'a str, body: Vec<u8>) -> ArchiveFuture<'a>;
}

/// What became of a finding in the alerting channel (SNS); the recording channels (the archive) are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Accepted by SNS.
    Published,
    /// Held back: the dedup table says it was already published (by the fast path or an earlier attempt).
    Deduplicated,
    /// Folded into a storm digest instead of being sent on its own.
    Folded,
    /// In a publishing call that failed (some of that call's alerts may have been delivered), or never handed
    /// to SNS (the deadline); the invocation fails and is retried.
    PublishFailed,
}

/// The rule's text a channel may show with a finding (from the catalog; empty for a rule without it).
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleText<'a> {
    /// Why it matters.
    pub rationale: &'a str,
    /// What to check next.
    pub next_steps: &'a str,
}

/// A finding as every channel receives it: the finding with its context (where its record came from, its
/// rule's text, what storm control decided). Each channel renders it for itself.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The finding, with its log file (bucket, key) and path (`s3` or `eventbridge`).
    pub alert: &'a crate::alert::Alert,
    /// Its deterministic id ([`rules::Finding::id`]).
    pub finding_id: &'a str,
    pub rule: RuleText<'a>,
    /// Sent on its own, or folded into its rule's storm digest.
    pub admission: crate::storm::Admission,
}

/// Fates a channel settled (finding id, fate): the handler passes them on to every channel.
pub type Settled = Vec<(String, Fate)>;

/// What a channel did with one finding.
#[derive(Debug, Default)]
pub struct Taken {
    pub settled: Settled,
    /// Delivering reached the invocation's deadline: stop handling findings (the item fails and is retried).
    pub stop: bool,
}

/// What a channel did at the end of one log file or record.
#[derive(Debug, Default)]
pub struct ItemEnd {
    pub settled: Settled,
    /// The item's delivery failure (an alerting channel's; it fails the item).
    pub error: Option<SinkError>,
}

/// A boxed future, so that [`Outlet`] can be used as `dyn Outlet`.
pub type OutletFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One channel's part of one invocation: it is handed every finding with its context ([`Delivery`]), in
/// order, and renders and delivers it (at once, in batches, or at the end). An alerting channel (SNS) settles
/// each finding's [`Fate`] and its failures fail the item; a recording channel (the archive) is told the fates
/// and its failures are only counted.
pub trait Outlet: Send {
    /// One finding of the current log file or record.
    fn finding<'s>(&'s mut self, delivery: Delivery<'s>) -> OutletFuture<'s, Taken>;

    /// The end of the current log file or record (`deadline`: it was cut off there, deliver nothing more).
    fn end_item(&mut self, deadline: bool) -> OutletFuture<'_, ItemEnd>;

    /// Fates a channel settled (this one's included).
    fn settled(&mut self, _fates: &[(String, Fate)]) {}

    /// The storm digests, after every item (an item that failed still contributes what it found).
    fn storm_digests<'s>(
        &'s mut self,
        _digests: &'s [crate::storm::StormDigest],
    ) -> OutletFuture<'s, Result<(), SinkError>> {
        Box::pin(async { Ok(()) })
    }

    /// The end of the invocation: deliver what is left, and add this channel's counts to the report.
    fn close<'s>(self: Box<Self>, report: &'s mut crate::report::Report) -> OutletFuture<'s, ()>
    where
        Self: 's;
}

/// A channel besides SNS (SNS is opened from the handler's sink port): configured at cold start
/// ([`crate::channels::from_config`]), opened once per invocation.
pub trait Channel: Send + Sync {
    /// This channel's part of the invocation `request_id`.
    fn open(&self, request_id: &str) -> Box<dyn Outlet + '_>;
}
