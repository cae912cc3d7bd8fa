//! The published alert: a finding plus the log file it came from.

use rules::Finding;
use serde::Serialize;

/// SNS limits a Subject to 100 characters of printable ASCII, without newlines.
pub const MAX_SUBJECT_LEN: usize = 100;

/// One alert = one finding in one log file. Its JSON is the SNS message body.
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

    /// The message body: the alert as one JSON object.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// `[SEVERITY] title - account/region`, reduced to printable ASCII and cut to 100 characters.
    pub fn subject(&self) -> String {
        let f = &self.finding;
        let raw = format!(
            "[{}] {} - {}/{}",
            f.severity.as_str().to_ascii_uppercase(),
            f.title,
            f.account_id.as_deref().unwrap_or("unknown-account"),
            f.region.as_deref().unwrap_or("unknown-region"),
        );
        sanitize_subject(&raw)
    }
}

/// Keeps printable ASCII (space to `~`), replaces anything else with `?`, and cuts to [`MAX_SUBJECT_LEN`].
pub fn sanitize_subject(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .take(MAX_SUBJECT_LEN)
        .collect();
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    if out.is_empty() {
        out.push_str("trailwarden alert");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_is_short_printable_ascii() {
        let s = sanitize_subject(&format!("[HIGH] Root — {}\nnext", "é".repeat(200)));
        assert!(s.len() <= MAX_SUBJECT_LEN);
        assert!(s.chars().all(|c| (' '..='~').contains(&c)), "{s}");
        assert!(s.starts_with("[HIGH] Root ? ??"), "{s}");
        assert_eq!(sanitize_subject("  "), "trailwarden alert");
    }
}
