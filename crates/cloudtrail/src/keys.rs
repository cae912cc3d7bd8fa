//! S3 object keys: decoding them from event notifications and telling CloudTrail log files from everything
//! else that lands in a trail bucket.
//!
//! CloudTrail writes log files under
//! `[prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<id>.json.gz`,
//! and for organization trails under `[prefix/]AWSLogs/<o-id>/<account>/CloudTrail/…`. The same bucket also
//! receives digest files (`CloudTrail-Digest/`), Insights events (`CloudTrail-Insight/`), 0-byte "folder"
//! placeholders and other services' files (AWS Config's `ConfigWritabilityCheckFile`, ELB logs, …).

use chrono::NaiveDate;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
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

/// What S3 leaves as is in notification keys: letters, digits, `-_.~*` and `/`; a space becomes `+` (see
/// [`encode_s3_key`]) and everything else is percent-encoded (UTF-8 bytes), as S3 form-encodes keys.
const KEY_RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'*')
    .remove(b'/');

/// Encodes a key as S3 event notifications carry it, the inverse of [`decode_s3_key`]:
/// `my logs+x/a:b` → `my+logs%2Bx/a%3Ab`.
pub fn encode_s3_key(key: &str) -> String {
    key.split(' ')
        .map(|part| utf8_percent_encode(part, KEY_RESERVED).to_string())
        .collect::<Vec<_>>()
        .join("+")
}

/// An `s3://bucket/key` location. The key may be empty (`s3://bucket`, `s3://bucket/`): callers that need an
/// object, not a prefix, check [`S3Uri::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub key: String,
}

/// Why a string is not an `s3://bucket/key` location.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum S3UriError {
    #[error("{0:?} does not start with s3://")]
    NotS3(String),
    #[error("{0:?} has no bucket: s3://BUCKET/KEY")]
    NoBucket(String),
}

impl S3Uri {
    /// Parses `s3://bucket[/key]`. The key is taken as written (not URL-decoded): S3 keys may hold any byte.
    pub fn parse(s: &str) -> Result<S3Uri, S3UriError> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| S3UriError::NotS3(s.to_owned()))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(S3UriError::NoBucket(s.to_owned()));
        }
        Ok(S3Uri {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }
}

impl std::fmt::Display for S3Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// The date segment of a key in CloudTrail's layout (log, digest or Insights file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDate<'k> {
    /// The key up to and including the `<region>/` segment before the date: listing under
    /// `prefix + "YYYY/MM/DD"` jumps to another day of the same account, product and region.
    pub prefix: &'k str,
    /// `YYYY/MM/DD` from the key (the delivery date, UTC).
    pub date: NaiveDate,
}

/// The date of a CloudTrail key (log, digest or Insights file) and the key up to it; `None` when the key is not
/// in CloudTrail's layout (`…AWSLogs/[o-…/]<account>/<product>/<region>/YYYY/MM/DD/<file>`, product
/// `CloudTrail*`) or the date is not a calendar day. Works on S3 keys and local paths written with `/`.
pub fn key_date(key: &str) -> Option<KeyDate<'_>> {
    let parts: Vec<&str> = key.split('/').collect();
    let start = parts.iter().rposition(|p| *p == "AWSLogs")?;
    let mut rest = &parts[start + 1..];
    if rest.first().is_some_and(|p| p.starts_with("o-")) {
        rest = &rest[1..];
    }
    let [_account, product, _region, year, month, day, _file] = rest else {
        return None;
    };
    if !product.starts_with("CloudTrail")
        || !is_digits(year, 4)
        || !is_digits(month, 2)
        || !is_digits(day, 2)
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)?;
    // The prefix ends where the year segment starts: the byte offset of `year` in `key`.
    let offset = year.as_ptr() as usize - key.as_ptr() as usize;
    Some(KeyDate {
        prefix: &key[..offset],
        date,
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
    pub date: NaiveDate,
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

/// Classifies an S3 object from its decoded key and, where known, its size: a 0-byte object is
/// [`SkipReason::EmptyObject`] whatever its key (S3 notifications and listings both carry the size).
pub fn classify_object(key: &str, size: Option<i64>) -> KeyKind {
    if size == Some(0) {
        KeyKind::Skip(SkipReason::EmptyObject)
    } else {
        classify_key(key)
    }
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
    let [account, product, region, _year, _month, _day, file] = rest else {
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
    // The date comes from `key_date`, the one reader of the layout's date; a key whose date is not a
    // calendar day (CloudTrail never writes one) is not a log file.
    let shaped = is_account_id(account)
        && !region.is_empty()
        && (file.ends_with(".json.gz") || file.ends_with(".json"));
    let Some(KeyDate { date, .. }) = key_date(key).filter(|_| shaped) else {
        return KeyKind::Skip(SkipReason::NotCloudTrail);
    };
    KeyKind::Log(LogKey {
        org_id,
        account_id: (*account).to_owned(),
        region: (*region).to_owned(),
        date,
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
                date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
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
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/30/x.json.gz", SkipReason::NotCloudTrail),
        ];
        for (key, reason) in cases {
            assert_eq!(classify_key(key), KeyKind::Skip(reason), "{key}");
        }
    }

    #[test]
    fn a_zero_byte_object_is_empty_whatever_its_key() {
        assert_eq!(
            classify_object(LOG, Some(0)),
            KeyKind::Skip(SkipReason::EmptyObject)
        );
        assert_eq!(classify_object(LOG, Some(1)), classify_key(LOG));
        assert_eq!(classify_object(LOG, None), classify_key(LOG));
        assert_eq!(
            classify_object("AWSLogs/1/CloudTrail-Digest/x", Some(7)),
            KeyKind::Skip(SkipReason::Digest)
        );
    }

    #[test]
    fn encoding_is_what_notifications_carry_and_decodes_back() {
        assert_eq!(encode_s3_key("my logs+x/a:b"), "my+logs%2Bx/a%3Ab");
        assert_eq!(encode_s3_key(LOG), LOG);
        assert_eq!(encode_s3_key("café"), "caf%C3%A9");
        for key in ["my logs+x/a:b", LOG, "café/ü +%", "a  b", "~*-_."] {
            assert_eq!(decode_s3_key(&encode_s3_key(key)).unwrap(), key);
        }
    }

    #[test]
    fn s3_uris() {
        let u = S3Uri::parse("s3://bucket/trailwarden/rules.toml").unwrap();
        assert_eq!(
            (u.bucket.as_str(), u.key.as_str()),
            ("bucket", "trailwarden/rules.toml")
        );
        assert_eq!(u.to_string(), "s3://bucket/trailwarden/rules.toml");
        assert_eq!(S3Uri::parse("s3://bucket").unwrap().key, "");
        assert_eq!(S3Uri::parse("s3://bucket/").unwrap().key, "");
        assert_eq!(
            S3Uri::parse("s3:///key"),
            Err(S3UriError::NoBucket("s3:///key".into()))
        );
        assert_eq!(
            S3Uri::parse("/tmp/rules.toml"),
            Err(S3UriError::NotS3("/tmp/rules.toml".into()))
        );
    }

    #[test]
    fn key_date_of_log_digest_and_org_keys() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let log = "p/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/f.json.gz";
        assert_eq!(
            key_date(log),
            Some(KeyDate {
                prefix: "p/AWSLogs/111122223333/CloudTrail/us-east-1/",
                date: day(2024, 1, 15)
            })
        );
        let digest = "AWSLogs/o-abc/111122223333/CloudTrail-Digest/eu-west-1/2024/02/29/d.json.gz";
        assert_eq!(
            key_date(digest),
            Some(KeyDate {
                prefix: "AWSLogs/o-abc/111122223333/CloudTrail-Digest/eu-west-1/",
                date: day(2024, 2, 29)
            })
        );
        assert_eq!(
            key_date("AWSLogs/1/CloudTrail/us-east-1/2024/02/30/f.json.gz"),
            None
        );
        assert_eq!(key_date("AWSLogs/1/Config/us-east-1/2024/01/01/f"), None);
        assert_eq!(key_date("stratus/x.json.gz"), None);
    }
}
