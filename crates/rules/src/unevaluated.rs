//! The `unevaluated-record` finding: a record the rules could not be run on is itself a finding.
//!
//! trailwarden's promise is that no record goes unevaluated without an alert. A record that cannot be parsed
//! (broken structure, nesting over the parser's limit, over the per-record size cap) or that is not a JSON
//! object becomes this finding, with what a cheap top-level scan could recover of it. It is not a catalog rule:
//! it cannot be disabled, excluded or left out of a profile, because it is the pipeline's own guarantee rather
//! than a detection (an attacker who controls a field of their own record could otherwise hide the record).

use crate::finding::{Finding, PrincipalField};
use crate::severity::Severity;
use serde_json::value::RawValue;

/// The finding's rule id.
pub const UNEVALUATED_RECORD: &str = "unevaluated-record";

/// The finding's title.
pub const TITLE: &str = "CloudTrail record could not be evaluated";

/// The finding's severity.
pub const SEVERITY: Severity = Severity::High;

/// Why the finding exists (`trailwarden rules show unevaluated-record`).
pub const RATIONALE: &str = "\
A record of a log file could not be evaluated by the rules: its JSON structure is broken, it is nested deeper \
than the parser's limit, it is larger than the per-record size cap, it is not a JSON object, or the file ends \
inside it. CloudTrail writes the records, but some of their fields (user agent, role session name, request \
parameters) are chosen by the caller, so a record that cannot be read may be an attempt to hide an action \
from detection. This finding is built into the pipeline: it cannot be disabled, excluded or left out of a \
profile, and it is never folded into a storm summary. It carries what a cheap scan of the record's top level \
recovered (eventName, eventSource, eventID, userIdentity.arn), the record's index in the Records array, its \
decompressed byte offset and the reason (syntax, too_deep, oversized, not_an_object, truncated); never the \
raw record, which can be huge or not valid text.";

/// What to do about one (`trailwarden rules show unevaluated-record`).
pub const NEXT_STEPS: &str = "\
Fetch the log file and read the record at that byte offset. If eventName names a change to logging, \
identity or access (StopLogging, DeleteTrail, PutUserPolicy, ...), treat the finding as that event and check \
it in the service itself; then find out who wrote a record CloudTrail's own format does not produce.";

/// Strings recovered from the record are cut to this many bytes (at a character boundary), whoever filled
/// the [`Recovered`]: they come from a record that could not be parsed.
pub use cloudtrail::recover::MAX_FIELD_BYTES;

/// The error text is cut to this many bytes.
pub const MAX_ERROR_BYTES: usize = 512;

/// Why a record could not be evaluated, beyond the reader's parse errors: the element parsed but is not a
/// JSON object.
pub const REASON_NOT_AN_OBJECT: &str = "not_an_object";

/// Why a record could not be evaluated: the log file ends inside it.
pub const REASON_TRUNCATED: &str = "truncated";

/// The top-level fields of an unevaluated record, as far as they could be recovered.
pub use cloudtrail::Recovered;

/// Where an unevaluated record is and why it could not be evaluated.
#[derive(Debug, Clone, Copy)]
pub struct Unevaluated<'a> {
    /// 0-based position in the `Records` array.
    pub index: usize,
    /// Decompressed byte offset where the element starts.
    pub offset: u64,
    /// A short machine-readable reason: `syntax`, `too_deep`, `oversized`, `not_an_object`, `truncated`.
    pub reason: &'a str,
    /// The error, as text.
    pub error: &'a str,
}

/// `s` cut to at most `max` bytes at a character boundary, with `…` when cut.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl Finding {
    /// The `unevaluated-record` finding for the record at `index` (decompressed byte `offset`) that could not
    /// be evaluated for `reason` (`error` says how), with the fields `recovered` from its top level.
    ///
    /// `record` is a small JSON object in CloudTrail's shape, never the raw bytes:
    /// `{"eventID":…,"eventName":…,"eventSource":…,"userIdentity":{"arn":…},"unevaluated":{"index":…,
    /// "offset":…,"reason":…,"error":…}}` (absent fields left out). The finding's id is therefore
    /// deterministic: from the event id when recovered, else from this object.
    pub fn unevaluated(
        index: usize,
        offset: u64,
        reason: &str,
        error: &str,
        recovered: &Recovered,
    ) -> Finding {
        let field = |v: &Option<String>| v.as_deref().map(|s| cut(s, MAX_FIELD_BYTES));
        let event_id = field(&recovered.event_id);
        let event_name = field(&recovered.event_name);
        let event_source = field(&recovered.event_source);
        let user_arn = field(&recovered.user_arn);
        let error = cut(error, MAX_ERROR_BYTES);
        let mut record = serde_json::Map::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                record.insert(k.to_owned(), v.clone().into());
            }
        };
        put("eventID", &event_id);
        put("eventName", &event_name);
        put("eventSource", &event_source);
        if let Some(arn) = &user_arn {
            record.insert("userIdentity".to_owned(), serde_json::json!({ "arn": arn }));
        }
        record.insert(
            "unevaluated".to_owned(),
            serde_json::json!({ "index": index, "offset": offset, "reason": reason, "error": error }),
        );
        // Serializing a map of strings and numbers does not fail; were it to, the record is `{}`.
        let record = serde_json::to_string(&record)
            .ok()
            .and_then(|s| RawValue::from_string(s).ok())
            .unwrap_or_default();
        Finding {
            rule_id: UNEVALUATED_RECORD.to_owned(),
            title: TITLE.to_owned(),
            severity: SEVERITY,
            controls: Vec::new(),
            event_id,
            event_name,
            event_source,
            event_time: None,
            account_id: None,
            region: None,
            principal_field: user_arn.as_ref().map(|_| PrincipalField::Arn),
            principal: user_arn,
            principal_type: None,
            principal_account_id: None,
            access_key_id: None,
            source_ip: None,
            user_agent: None,
            error_code: None,
            note: Some(format!(
                "record {index} at decompressed byte {offset} could not be evaluated ({reason}): {error}"
            )),
            record,
            threshold: None,
        }
    }

    /// Whether this is an [`UNEVALUATED_RECORD`] finding.
    pub fn is_unevaluated(&self) -> bool {
        self.rule_id == UNEVALUATED_RECORD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recovered() -> Recovered {
        Recovered {
            event_name: Some("StopLogging".to_owned()),
            event_source: Some("cloudtrail.amazonaws.com".to_owned()),
            event_id: Some("e-1".to_owned()),
            user_arn: Some("arn:aws:iam::111122223333:user/mallory".to_owned()),
        }
    }

    #[test]
    fn carries_the_recovered_fields_and_the_position() {
        let f = Finding::unevaluated(3, 1234, "too_deep", "nesting over 128", &recovered());
        assert_eq!(f.rule_id, UNEVALUATED_RECORD);
        assert!(f.is_unevaluated());
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.title, TITLE);
        assert_eq!(f.event_name.as_deref(), Some("StopLogging"));
        assert_eq!(f.event_source.as_deref(), Some("cloudtrail.amazonaws.com"));
        assert_eq!(f.event_id.as_deref(), Some("e-1"));
        assert_eq!(
            f.principal.as_deref(),
            Some("arn:aws:iam::111122223333:user/mallory")
        );
        assert_eq!(f.principal_field, Some(PrincipalField::Arn));
        assert_eq!(f.principal_source(), Some(PrincipalField::Arn));
        assert_eq!(
            f.note.as_deref(),
            Some("record 3 at decompressed byte 1234 could not be evaluated (too_deep): nesting over 128")
        );
        let record: serde_json::Value = serde_json::from_str(f.record.get()).unwrap();
        assert_eq!(
            record,
            serde_json::json!({
                "eventID": "e-1", "eventName": "StopLogging", "eventSource": "cloudtrail.amazonaws.com",
                "userIdentity": {"arn": "arn:aws:iam::111122223333:user/mallory"},
                "unevaluated": {"index": 3, "offset": 1234, "reason": "too_deep", "error": "nesting over 128"}
            })
        );
        // Serialized like any finding, and read back.
        let back: Finding = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(back.id(), f.id());
    }

    #[test]
    fn without_recovered_fields_the_position_decides_the_id() {
        let none = Recovered::default();
        let a = Finding::unevaluated(0, 12, "syntax", "bad", &none);
        assert_eq!(a.event_id, None);
        assert_eq!(a.principal, None);
        assert_eq!(a.principal_field, None);
        assert_eq!(
            a.record.get(),
            r#"{"unevaluated":{"error":"bad","index":0,"offset":12,"reason":"syntax"}}"#
        );
        assert_eq!(
            a.id(),
            Finding::unevaluated(0, 12, "syntax", "bad", &none).id()
        );
        assert_ne!(
            a.id(),
            Finding::unevaluated(1, 40, "syntax", "bad", &none).id()
        );
        // With an event id, the event decides (one alert per event, whatever the position).
        let b = Finding::unevaluated(0, 12, "syntax", "bad", &recovered());
        let c = Finding::unevaluated(5, 99, "oversized", "big", &recovered());
        assert_eq!(b.id(), c.id());
        assert_ne!(a.id(), b.id());
    }

    #[test]
    fn long_fields_are_cut_at_a_character_boundary() {
        let long = Recovered {
            event_name: Some("é".repeat(MAX_FIELD_BYTES)),
            ..Recovered::default()
        };
        let f = Finding::unevaluated(0, 0, "syntax", &"x".repeat(10_000), &long);
        let name = f.event_name.unwrap();
        assert!(
            name.len() <= MAX_FIELD_BYTES + '…'.len_utf8(),
            "{}",
            name.len()
        );
        assert!(name.ends_with('…'));
        assert!(f.note.unwrap().len() < MAX_ERROR_BYTES + 200);
        assert!(f.record.get().len() < 2 * MAX_FIELD_BYTES + MAX_ERROR_BYTES + 200);
    }
}
