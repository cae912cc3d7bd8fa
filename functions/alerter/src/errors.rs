//! The handler's errors: one [`ObjectError`] per log file that failed, gathered in a [`HandlerError`] that
//! fails the invocation, and its Lambda [`Diagnostic`] (error type = the first failure's kind).

use crate::ports::{SinkError, SourceError};
use cloudtrail::ReadError;
use lambda_runtime::Diagnostic;

/// One object failed. Each variant names the bucket and key.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
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
    /// The end-of-invocation storm summaries could not be published.
    #[error("storm summaries for {rule_ids:?}: {source}")]
    PublishSummaries {
        rule_ids: Vec<String>,
        #[source]
        source: SinkError,
    },
    /// The invocation's deadline is near: stopped early so Lambda retries the event.
    #[error(
        "s3://{bucket}/{key}: stopped before the invocation deadline; the event will be retried"
    )]
    DeadlineNear { bucket: String, key: String },
    #[error("s3://{bucket}/{key}: the scanning task failed: {message}")]
    Task {
        bucket: String,
        key: String,
        message: String,
    },
}

impl ObjectError {
    /// A stable name for logs and the Lambda error type.
    pub fn kind(&self) -> &'static str {
        match self {
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
            ObjectError::Publish { .. } | ObjectError::PublishSummaries { .. } => "Publish",
            ObjectError::Task { .. } => "Task",
            ObjectError::DeadlineNear { .. } => "DeadlineNear",
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
