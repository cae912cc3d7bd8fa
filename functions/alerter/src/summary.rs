//! The invocation summary: what one invocation did. The handler fills it, `cargo lambda invoke` prints it,
//! and [`crate::metrics`] turns it into CloudWatch metrics.

use serde::Serialize;
use std::collections::BTreeMap;

/// What one invocation did; `cargo lambda invoke` prints it.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Log files read.
    pub objects: u64,
    /// Event records that were not log files, by reason (`digest`, `insight`, `empty_object`, …).
    pub skipped: BTreeMap<String, u64>,
    pub records: u64,
    /// Records that were not valid JSON objects (counted and logged, the rest of the file still evaluated).
    pub malformed: u64,
    /// Records that could not be evaluated (broken structure, nesting over the limit, over the size cap, not
    /// an object): each is an `unevaluated-record` finding, published like any finding (and counted in
    /// `findings` too).
    pub unevaluated: u64,
    pub findings: u64,
    /// Findings suppressed by exclusions (counted and logged with the exclusion id).
    pub suppressed: u64,
    /// Messages published: individual alerts plus storm summaries.
    pub published: u64,
    /// Findings folded into storm summaries instead of being sent one by one.
    pub storm_folded: u64,
    /// Storm summaries published.
    pub storm_summaries: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// The earliest `eventTime` among the records read (for the detection-lag metric).
    pub earliest_event_time: Option<String>,
    /// Log files that failed (the invocation then fails).
    pub failed_objects: u64,
}
