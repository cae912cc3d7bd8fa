//! The alert: a finding plus where its record came from. The channels render it for themselves (SNS:
//! [`crate::channels::sns::render`]).

use rules::Finding;
use serde::Serialize;

/// How the record reached the function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Path {
    /// In a CloudTrail log file read from S3 (the complete, durable path).
    #[default]
    S3,
    /// On its own, through EventBridge (the fast path): the log file carrying it arrives minutes later.
    EventBridge,
}

impl Path {
    pub fn as_str(self) -> &'static str {
        match self {
            Path::S3 => "s3",
            Path::EventBridge => "eventbridge",
        }
    }
}

/// One alert = one finding in one log file, or in one EventBridge event.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    #[serde(flatten)]
    pub finding: Finding,
    /// The bucket and (decoded) key of the CloudTrail log file; empty on the fast path (the file is not
    /// known yet).
    pub bucket: String,
    pub key: String,
    /// How the record came: `s3` (a log file) or `eventbridge` (the fast path).
    pub path: Path,
}

impl Alert {
    /// A finding in a log file.
    pub fn new(finding: Finding, bucket: &str, key: &str) -> Alert {
        Alert {
            finding,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            path: Path::S3,
        }
    }

    /// A finding in a record EventBridge delivered (the fast path): no log file yet.
    pub fn eventbridge(finding: Finding) -> Alert {
        Alert {
            finding,
            bucket: String::new(),
            key: String::new(),
            path: Path::EventBridge,
        }
    }
}
