//! S3 object keys: decoding them from event notifications and telling CloudTrail log files from everything
//! else that lands in a trail bucket.
//!
//! CloudTrail writes log files under
//! `[prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<id>.json.gz`,
//! and for organization trails under `[prefix/]AWSLogs/<o-id>/<account>/CloudTrail/…`. The same bucket also
//! receives digest files (`CloudTrail-Digest/`), Insights events (`CloudTrail-Insight/`), 0-byte "folder"
//! placeholders and other services' files (AWS Config's `ConfigWritabilityCheckFile`, ELB logs, …).

use percent_encoding::percent_decode_str;
use std::borrow::Cow;

/// An S3 key from an event notification could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The percent-decoded bytes are not UTF-8.
    #[error("S3 key {raw:?} is not valid UTF-8 after percent-decoding")]
    NotUtf8 { raw: String },
}

/// Decodes a key as S3 event notifications send it: form-encoded, so `+` is a space and everything else is
/// percent-encoded (`%2B` is a literal `+`, `%3A` a `:`). Same order as vector's S3 source: `+` first, then
/// percent-decoding, so an encoded `%2B` survives as `+`.
pub fn decode_s3_key(raw: &str) -> Result<String, KeyError> {
    let spaced: Cow<'_, str> = if raw.contains('+') {
        Cow::Owned(raw.replace('+', " "))
    } else {
        Cow::Borrowed(raw)
    };
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| KeyError::NotUtf8 {
            raw: raw.to_owned(),
        })
}

/// The parts of a CloudTrail log-file key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    /// The organization id (`o-…`) for organization trails.
    pub org_id: Option<String>,
    pub account_id: String,
    pub region: String,
    /// `YYYY/MM/DD` from the key (the delivery date, UTC).
    pub date: String,
}

/// Why an object is not a CloudTrail log file. Skips are counted and logged, never errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// `…/CloudTrail-Digest/…`: log-file integrity digests, not events.
    Digest,
    /// `…/CloudTrail-Insight/…`: Insights events, a different record schema.
    Insight,
    /// A key ending in `/` (a console "folder") or a 0-byte object.
    EmptyObject,
    /// Anything else in the bucket: other services' files, other prefixes, unexpected shapes.
    NotCloudTrail,
}

impl SkipReason {
    /// Stable snake_case name, used in logs and summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Digest => "digest",
            SkipReason::Insight => "insight",
            SkipReason::EmptyObject => "empty_object",
            SkipReason::NotCloudTrail => "not_cloudtrail",
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a (decoded) key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    /// A CloudTrail log file (`.json.gz`, or `.json` for uncompressed copies).
    Log(LogKey),
    /// Not a log file, with the reason.
    Skip(SkipReason),
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Classifies a decoded S3 key (or a local path written with `/`).
pub fn classify_key(key: &str) -> KeyKind {
    if key.is_empty() || key.ends_with('/') {
        return KeyKind::Skip(SkipReason::EmptyObject);
    }
    let parts: Vec<&str> = key.split('/').collect();
    // The last `AWSLogs` segment: a custom trail prefix may come before it.
    let Some(start) = parts.iter().rposition(|p| *p == "AWSLogs") else {
        return KeyKind::Skip(SkipReason::NotCloudTrail);
    };
    let mut rest = &parts[start + 1..];
    let mut org_id = None;
    if let Some(first) = rest.first() {
        if first.starts_with("o-") {
            org_id = Some((*first).to_owned());
            rest = &rest[1..];
        }
    }
    // <account>/<product>/<region>/YYYY/MM/DD/<file>
    let [account, product, region, year, month, day, file] = rest else {
        return match rest.get(1) {
            Some(&"CloudTrail-Digest") => KeyKind::Skip(SkipReason::Digest),
            Some(&"CloudTrail-Insight") => KeyKind::Skip(SkipReason::Insight),
            _ => KeyKind::Skip(SkipReason::NotCloudTrail),
        };
    };
    match *product {
        "CloudTrail" => {}
        "CloudTrail-Digest" => return KeyKind::Skip(SkipReason::Digest),
        "CloudTrail-Insight" => return KeyKind::Skip(SkipReason::Insight),
        _ => return KeyKind::Skip(SkipReason::NotCloudTrail),
    }
    let shaped = is_account_id(account)
        && !region.is_empty()
        && is_digits(year, 4)
        && is_digits(month, 2)
        && is_digits(day, 2)
        && (file.ends_with(".json.gz") || file.ends_with(".json"));
    if !shaped {
        return KeyKind::Skip(SkipReason::NotCloudTrail);
    }
    KeyKind::Log(LogKey {
        org_id,
        account_id: (*account).to_owned(),
        region: (*region).to_owned(),
        date: format!("{year}/{month}/{day}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01/111122223333_CloudTrail_us-east-1_20240101T0000Z_abc.json.gz";

    #[test]
    fn plus_is_a_space_then_percent_decoding() {
        // vector's tests for its SQS/S3 source: "a+b" -> "a b", "a%2Bb" -> "a+b".
        assert_eq!(decode_s3_key("a+b").unwrap(), "a b");
        assert_eq!(decode_s3_key("a%2Bb").unwrap(), "a+b");
        assert_eq!(decode_s3_key("a%3Ab").unwrap(), "a:b");
        assert_eq!(
            decode_s3_key("my+logs%2Bx/AWSLogs%3A").unwrap(),
            "my logs+x/AWSLogs:"
        );
        assert_eq!(decode_s3_key(LOG).unwrap(), LOG);
        assert_eq!(decode_s3_key("caf%C3%A9").unwrap(), "café");
    }

    #[test]
    fn invalid_utf8_is_a_named_error() {
        assert_eq!(
            decode_s3_key("bad%FF"),
            Err(KeyError::NotUtf8 {
                raw: "bad%FF".into()
            })
        );
    }

    #[test]
    fn classifies_account_and_org_logs() {
        assert_eq!(
            classify_key(LOG),
            KeyKind::Log(LogKey {
                org_id: None,
                account_id: "111122223333".into(),
                region: "us-east-1".into(),
                date: "2024/01/01".into(),
            })
        );
        let org = "prefix/with space/AWSLogs/o-1234abcde/222222222222/CloudTrail/us-east-1/2025/03/06/222222222222_CloudTrail_us-east-1_20250306T0230Z_QF6qcgyiaVnSueXa.json.gz";
        match classify_key(org) {
            KeyKind::Log(k) => {
                assert_eq!(k.org_id.as_deref(), Some("o-1234abcde"));
                assert_eq!(k.account_id, "222222222222");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn skips_everything_else() {
        let cases = [
            ("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240101T000000Z.json.gz", SkipReason::Digest),
            ("AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/01/01/x.json.gz", SkipReason::Insight),
            ("AWSLogs/111122223333/CloudTrail/", SkipReason::EmptyObject),
            ("AWSLogs/111122223333/Config/ConfigWritabilityCheckFile", SkipReason::NotCloudTrail),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01/notes.txt", SkipReason::NotCloudTrail),
            ("AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/01/01/x.log.gz", SkipReason::NotCloudTrail),
            ("other/prefix/file.json.gz", SkipReason::NotCloudTrail),
            ("AWSLogs/12345/CloudTrail/us-east-1/2024/01/01/x.json.gz", SkipReason::NotCloudTrail),
            ("", SkipReason::EmptyObject),
        ];
        for (key, reason) in cases {
            assert_eq!(classify_key(key), KeyKind::Skip(reason), "{key}");
        }
    }
}
