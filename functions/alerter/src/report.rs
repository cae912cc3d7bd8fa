//! The invocation report: what one invocation did (its counters, added up in one place, the handler's
//! `Invocation`). The handler fills it, `cargo lambda invoke` prints it,
//! and [`crate::metrics`] turns it into CloudWatch metrics.

use serde::Serialize;
use std::collections::BTreeMap;

/// What one invocation did; `cargo lambda invoke` prints it.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
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
    /// Messages published: individual alerts plus storm digests.
    pub published: u64,
    /// Findings folded into storm digests instead of being sent one by one.
    pub storm_folded: u64,
    /// Storm digests published.
    pub storm_summaries: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// The earliest `eventTime` among the records read from log files (for the detection-lag metric).
    pub earliest_event_time: Option<String>,
    /// CloudTrail records EventBridge delivered (the fast path), evaluated like records of a file (and counted
    /// in `records` too).
    pub eventbridge_records: u64,
    /// The earliest `eventTime` among the records EventBridge delivered (the fast path's lag).
    pub eventbridge_earliest_event_time: Option<String>,
    /// Findings not published because the dedup table says they already were (by the fast path, or by an
    /// earlier attempt of this event).
    pub deduplicated: u64,
    /// Findings published without the dedup table's answer (it failed or timed out) or left unmarked after
    /// publishing (a later duplicate is possible).
    pub dedup_unavailable: u64,
    /// Dedup marks found for findings about to be published that the function could not authenticate (no
    /// `mac`, or one its KMS key does not verify): someone else wrote them. Ignored: the findings were
    /// published.
    pub dedup_mark_unauthenticated: u64,
    /// EventBridge events refused because their `source` does not start with `aws.` (not from an AWS service):
    /// never evaluated, not failures.
    pub foreign_events_refused: u64,
    /// Findings written to the findings archive (`ARCHIVE_BUCKET`), all in one object.
    pub archived: u64,
    /// Findings the archive could not take (its write failed or timed out); the invocation does not fail.
    pub archive_failed: u64,
    /// Log files that failed (the invocation then fails).
    pub failed_objects: u64,
}

/// What an invocation returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Not an SQS batch: the report (what `cargo lambda invoke` prints).
    Report(Report),
    /// An SQS batch (event source mapping with `ReportBatchItemFailures`): serialized as
    /// `{"batchItemFailures": [{"itemIdentifier": "<messageId>"}, …]}`, an empty list when every message is
    /// done. Lambda deletes the other messages and makes the named ones visible again (retried, then moved to
    /// the queue's dead-letter queue).
    Batch {
        /// The `messageId`s of the messages that failed, in the batch's order.
        failed: Vec<String>,
        /// What the invocation did (logged and in the metrics; not part of the response).
        report: Report,
    },
}

impl Response {
    pub fn batch(failed: Vec<String>, report: Report) -> Response {
        Response::Batch { failed, report }
    }

    /// What the invocation did.
    pub fn report(&self) -> &Report {
        match self {
            Response::Report(s) | Response::Batch { report: s, .. } => s,
        }
    }

    pub fn into_report(self) -> Report {
        match self {
            Response::Report(s) | Response::Batch { report: s, .. } => s,
        }
    }

    /// The failed messages' ids of an SQS batch; `None` for any other invocation.
    pub fn batch_item_failures(&self) -> Option<&[String]> {
        match self {
            Response::Report(_) => None,
            Response::Batch { failed, .. } => Some(failed),
        }
    }
}

/// Lambda's partial batch response for SQS.
#[derive(Serialize)]
struct BatchResponse<'a> {
    #[serde(rename = "batchItemFailures")]
    batch_item_failures: Vec<BatchItemFailure<'a>>,
}

#[derive(Serialize)]
struct BatchItemFailure<'a> {
    #[serde(rename = "itemIdentifier")]
    item_identifier: &'a str,
}

impl Serialize for Response {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Response::Report(s) => s.serialize(serializer),
            Response::Batch { failed, .. } => BatchResponse {
                batch_item_failures: failed
                    .iter()
                    .map(|id| BatchItemFailure {
                        item_identifier: id,
                    })
                    .collect(),
            }
            .serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sqs_batch_answers_exactly_lambdas_partial_batch_response() {
        let done = Response::batch(vec![], Report::default());
        assert_eq!(
            serde_json::to_string(&done).unwrap(),
            r#"{"batchItemFailures":[]}"#
        );
        let failed = Response::batch(vec!["m-1".into(), "m-3".into()], Report::default());
        assert_eq!(
            serde_json::to_string(&failed).unwrap(),
            r#"{"batchItemFailures":[{"itemIdentifier":"m-1"},{"itemIdentifier":"m-3"}]}"#
        );
        assert_eq!(failed.batch_item_failures().unwrap().len(), 2);
        let summary = Response::Report(Report {
            objects: 1,
            ..Report::default()
        });
        let v = serde_json::to_value(&summary).unwrap();
        assert_eq!(v["objects"], 1);
        assert!(summary.batch_item_failures().is_none());
    }
}
