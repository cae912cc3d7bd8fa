//! The handler's errors: one [`ObjectError`] per log file that failed, gathered in a [`HandlerError`] that
//! fails the invocation, and its Lambda [`Diagnostic`] (error type = the first failure's kind).

use crate::ports::{SinkError, SourceError};
use cloudtrail::ReadError;
use lambda_runtime::Diagnostic;

/// One object failed. Each variant names the bucket and key, but [`ObjectError::Envelope`]: an announcement
/// from which no object could be read.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The invocation's event, or one item of its batch, is none of the envelopes the function knows
    /// (`crate::envelope`): no log file could be named from it. `reason` names the shape, never its values.
    #[error("announcement not recognized: {reason}")]
    Envelope { reason: String },
    #[error("s3://{bucket}/{key}: GetObject failed: {source}")]
    GetObject {
        bucket: String,
        key: String,
        #[source]
        source: SourceError,
    },
    #[error("s3://{bucket}/{key}: {source}")]
    Read {
        bucket: String,
        key: String,
        #[source]
        source: ReadError,
    },
    #[error("s3://{bucket}/{key}: {source}")]
    Publish {
        bucket: String,
        key: String,
        #[source]
        source: SinkError,
    },
    /// The end-of-invocation storm digests could not be published.
    #[error("storm summaries for {rule_ids:?}: {source}")]
    PublishStormDigests {
        rule_ids: Vec<String>,
        #[source]
        source: SinkError,
    },
    /// The invocation's deadline is near: the scan was cancelled (it stops within a record) so that the
    /// invocation fails in time for Lambda to retry the event, rather than being killed.
    #[error(
        "s3://{bucket}/{key}: stopped before the invocation deadline after evaluating {records} records; the event will be retried"
    )]
    DeadlineNear {
        bucket: String,
        key: String,
        /// Records the rules evaluated before the scan stopped.
        records: u64,
    },
    #[error("s3://{bucket}/{key}: the scanning task failed: {message}")]
    Task {
        bucket: String,
        key: String,
        message: String,
    },
    /// A CloudTrail record EventBridge delivered (the fast path) could not be fully processed. `kind` is the
    /// failure's kind as a log file's would be (`Publish`, `Publish.Deadline`, `DeadlineNear`, …).
    #[error("EventBridge event {event_id}: {message}")]
    Record {
        event_id: String,
        kind: &'static str,
        message: String,
    },
}

impl ObjectError {
    /// A stable name for logs and the Lambda error type.
    pub fn kind(&self) -> &'static str {
        match self {
            ObjectError::Envelope { .. } => "Envelope",
            ObjectError::GetObject { .. } => "GetObject",
            ObjectError::Read { source, .. } => match source {
                ReadError::Empty => "Read.Empty",
                ReadError::UnrecognizedFormat { .. } => "Read.UnrecognizedFormat",
                ReadError::Decompress { .. } => "Read.Decompress",
                ReadError::Json { .. } => "Read.Json",
                ReadError::Truncated { .. } => "Read.Truncated",
                ReadError::MissingRecords => "Read.MissingRecords",
                ReadError::TooLarge { .. } => "Read.TooLarge",
                ReadError::Io(_) => "Read.Io",
            },
            ObjectError::Publish { source, .. }
            | ObjectError::PublishStormDigests { source, .. } => match source {
                SinkError::Unpublished { .. } => "Publish",
                SinkError::Rejected { .. } => "Publish.Rejected",
                SinkError::Deadline { .. } => "Publish.Deadline",
            },
            ObjectError::Task { .. } => "Task",
            ObjectError::DeadlineNear { .. } => "DeadlineNear",
            ObjectError::Record { kind, .. } => kind,
        }
    }
}

/// The invocation failed: at least one object could not be fully processed. Lambda retries the event, then
/// sends it to the on-failure destination.
#[derive(Debug, thiserror::Error)]
#[error("{} of {objects} log files failed: {}", errors.len(), errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct HandlerError {
    pub objects: usize,
    pub errors: Vec<ObjectError>,
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        Diagnostic {
            error_type: e
                .errors
                .first()
                .map_or("Handler", ObjectError::kind)
                .to_owned(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// One value of every [`ReadError`] variant. The match below has no wildcard, so a new variant does not
    /// compile until it is added here, and so to the distinctness test.
    fn every_read_error() -> Vec<ReadError> {
        let io = || std::io::Error::other("x");
        let all = vec![
            ReadError::Empty,
            ReadError::UnrecognizedFormat { found: "3c".into() },
            ReadError::Decompress {
                offset: 1,
                source: io(),
            },
            ReadError::Json {
                offset: 1,
                reason: "x".into(),
            },
            ReadError::Truncated {
                offset: 1,
                inside: "Records",
            },
            ReadError::MissingRecords,
            ReadError::TooLarge { limit: 1 },
            ReadError::Io(io()),
        ];
        for e in &all {
            match e {
                ReadError::Empty
                | ReadError::UnrecognizedFormat { .. }
                | ReadError::Decompress { .. }
                | ReadError::Json { .. }
                | ReadError::Truncated { .. }
                | ReadError::MissingRecords
                | ReadError::TooLarge { .. }
                | ReadError::Io(_) => {}
            }
        }
        all
    }

    /// One value of every [`ObjectError`] variant but `Read` (see [`every_read_error`]), exhaustive likewise.
    fn every_other_object_error() -> Vec<ObjectError> {
        let bucket = || "b".to_owned();
        let key = || "k".to_owned();
        let sink = || SinkError::Unpublished {
            unpublished: 1,
            total: 1,
            last_error: "x".into(),
        };
        let all = vec![
            ObjectError::GetObject {
                bucket: bucket(),
                key: key(),
                source: SourceError::NotFound,
            },
            ObjectError::Publish {
                bucket: bucket(),
                key: key(),
                source: sink(),
            },
            ObjectError::PublishStormDigests {
                rule_ids: vec![],
                source: sink(),
            },
            ObjectError::DeadlineNear {
                bucket: bucket(),
                key: key(),
                records: 7,
            },
            ObjectError::Publish {
                bucket: bucket(),
                key: key(),
                source: SinkError::Rejected {
                    finding_ids: vec!["f1".into()],
                    unpublished: 1,
                    total: 10,
                    last_error: "InvalidParameter: x".into(),
                },
            },
            ObjectError::PublishStormDigests {
                rule_ids: vec![],
                source: SinkError::Deadline {
                    unpublished: 1,
                    total: 1,
                },
            },
            ObjectError::Task {
                bucket: bucket(),
                key: key(),
                message: "x".into(),
            },
            ObjectError::Envelope { reason: "x".into() },
            ObjectError::Record {
                event_id: "e".into(),
                kind: "Publish",
                message: "x".into(),
            },
        ];
        for e in &all {
            match e {
                ObjectError::GetObject { .. }
                | ObjectError::Read { .. }
                | ObjectError::Publish { .. }
                | ObjectError::PublishStormDigests { .. }
                | ObjectError::DeadlineNear { .. }
                | ObjectError::Task { .. }
                | ObjectError::Envelope { .. }
                | ObjectError::Record { .. } => {}
            }
        }
        all
    }

    /// The variant's name as `Debug` prints it: `TooLarge { limit: 1 }` -> `TooLarge`.
    fn variant(debug: String) -> String {
        debug
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn every_read_error_has_its_own_kind_named_after_it() {
        let reads = every_read_error();
        let mut kinds = BTreeSet::new();
        for source in reads {
            let name = variant(format!("{source:?}"));
            let e = ObjectError::Read {
                bucket: "b".into(),
                key: "k".into(),
                source,
            };
            assert_eq!(e.kind(), format!("Read.{name}"));
            kinds.insert(e.kind());
        }
        assert_eq!(kinds.len(), 8, "{kinds:?}");
    }

    #[test]
    fn every_object_error_kind_is_a_read_kind_or_its_own() {
        let reads: BTreeSet<&str> = every_read_error()
            .into_iter()
            .map(|source| {
                ObjectError::Read {
                    bucket: "b".into(),
                    key: "k".into(),
                    source,
                }
                .kind()
            })
            .collect();
        let others: Vec<&str> = every_other_object_error()
            .iter()
            .map(ObjectError::kind)
            .collect();
        // Publishing a file's findings and the storm digests fail the same way: one kind, "Publish".
        // A publishing failure's kind says why: retries exhausted, rejected as invalid, or the deadline.
        assert_eq!(
            others,
            [
                "GetObject",
                "Publish",
                "Publish",
                "DeadlineNear",
                "Publish.Rejected",
                "Publish.Deadline",
                "Task",
                "Envelope",
                "Publish"
            ]
        );
        assert!(others.iter().all(|k| !reads.contains(k)));
    }

    #[test]
    fn the_diagnostic_carries_the_first_failure_s_kind() {
        let d = Diagnostic::from(HandlerError {
            objects: 2,
            errors: every_other_object_error()
                .into_iter()
                .skip(3)
                .take(2)
                .collect(),
        });
        assert_eq!(d.error_type, "DeadlineNear");
        assert!(
            d.error_message.starts_with("2 of 2 log files failed: "),
            "{}",
            d.error_message
        );
        let none = Diagnostic::from(HandlerError {
            objects: 0,
            errors: vec![],
        });
        assert_eq!(none.error_type, "Handler");
    }
}
