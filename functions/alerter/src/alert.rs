//! The alert: a finding plus the log file it came from. [`crate::render`] turns it into an outgoing alert.

use rules::Finding;
use serde::Serialize;

/// One alert = one finding in one log file.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    #[serde(flatten)]
    pub finding: Finding,
    /// The bucket and (decoded) key of the CloudTrail log file.
    pub bucket: String,
    pub key: String,
}

impl Alert {
    pub fn new(finding: Finding, bucket: &str, key: &str) -> Alert {
        Alert {
            finding,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        }
    }
}
