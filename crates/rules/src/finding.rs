//! Findings: a rule that matched a record, with the fields a responder needs first.

use crate::{engine::CompiledRule, rule::Hit, severity::Severity, threshold::ThresholdDetails};
use cloudtrail::vocab::str_at;
use cloudtrail::Node;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt::Write as _;

/// A match of one rule on one record. Serialized as the body of alerts and of `trailwarden scan` output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// e.g. `["CIS v1.2 3.3", "CIS v1.4-v5.0 4.3", …]`.
    pub controls: Vec<String>,
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    pub event_source: Option<String>,
    pub event_time: Option<String>,
    /// `recipientAccountId`, else `userIdentity.accountId`.
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// `userIdentity.arn`, else the best available: principal id, user name, invoking service, identity type.
    pub principal: Option<String>,
    /// The `userIdentity` field `principal` was taken from. Absent in findings serialized before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_field: Option<PrincipalField>,
    pub principal_type: Option<String>,
    /// The caller's own account (`userIdentity.accountId`): differs from `account_id` for cross-account calls.
    pub principal_account_id: Option<String>,
    pub access_key_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub error_code: Option<String>,
    /// Extra context from the rule (e.g. "centralized root access session (sts:AssumeRoot)").
    pub note: Option<String>,
    /// The record exactly as in the log file, with insignificant whitespace removed. For a threshold alert: the
    /// event that brought the count to the threshold.
    pub record: Box<RawValue>,
    /// For a threshold rule's alert: the count, window, key and distinct values. Absent otherwise (and in
    /// findings serialized before threshold rules existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<ThresholdDetails>,
}

pub use cloudtrail::vocab::PrincipalField;

fn owned(v: Option<&str>) -> Option<String> {
    v.map(str::to_owned)
}

impl Finding {
    /// Builds the finding for `rule` on a record: `record` is the record's root, whose document text is the
    /// record's JSON as read (kept, compacted, in the finding).
    pub fn new(rule: &CompiledRule, hit: Hit, record: Node<'_>) -> Finding {
        let id = |k: &str| str_at(record, &["userIdentity", k]);
        let (principal_field, principal) = cloudtrail::vocab::principal(record).unzip();
        let text = record.document_text();
        let compact = if record.document_is_compact() {
            text.to_owned()
        } else {
            compact_json(text)
        };
        // The reader accepts lone surrogate escapes (as JavaScript and Python do) but strict JSON readers
        // (serde_json, Go) reject them: the attached record carries U+FFFD instead, as the parsed value does.
        let compact = match replace_lone_surrogates(&compact) {
            Cow::Borrowed(_) => compact,
            Cow::Owned(fixed) => fixed,
        };
        // `compact_json` keeps the text valid JSON and the text parsed into `record`, so this does not fail;
        // should it, the value is re-serialized.
        let record_raw = RawValue::from_string(compact)
            .or_else(|_| RawValue::from_string(record.to_value().to_string()))
            .unwrap_or_default();
        Finding {
            rule_id: rule.id().to_owned(),
            title: rule.title().to_owned(),
            severity: rule.severity(),
            controls: rule.controls().iter().map(ToString::to_string).collect(),
            event_id: owned(str_at(record, &["eventID"])),
            event_name: owned(str_at(record, &["eventName"])),
            event_source: owned(str_at(record, &["eventSource"])),
            event_time: owned(str_at(record, &["eventTime"])),
            account_id: owned(str_at(record, &["recipientAccountId"]).or_else(|| id("accountId"))),
            region: owned(str_at(record, &["awsRegion"])),
            principal: owned(principal),
            principal_field,
            principal_type: owned(id("type")),
            principal_account_id: owned(id("accountId")),
            access_key_id: owned(id("accessKeyId")),
            source_ip: owned(str_at(record, &["sourceIPAddress"])),
            user_agent: owned(str_at(record, &["userAgent"])),
            error_code: owned(str_at(record, &["errorCode"])),
            note: hit.note.map(str::to_owned),
            record: record_raw,
            threshold: None,
        }
    }
}

impl Finding {
    /// The finding's deterministic id: the first 32 hex characters of sha256(`"{event_id}\n{rule_id}"`), with
    /// the record's text in place of the event id when the record has none (or an empty one). The same finding
    /// gets the same id on every delivery attempt and in every tool.
    pub fn id(&self) -> String {
        finding_id(self.event_id.as_deref(), &self.rule_id, self.record.get())
    }

    /// The `userIdentity` field the principal came from: [`Finding::principal_field`] when set, else (a
    /// finding serialized before that field existed) the first field of the attached record, in the order
    /// [`Finding::new`] tries them, whose string value is the principal. `None` without a principal.
    pub fn principal_source(&self) -> Option<PrincipalField> {
        let principal = self.principal.as_deref()?;
        self.principal_field.or_else(|| {
            #[derive(Deserialize)]
            struct Probe {
                #[serde(rename = "userIdentity", default)]
                user_identity: Option<serde_json::Value>,
            }
            let probe: Probe = serde_json::from_str(self.record.get()).ok()?;
            let identity = probe.user_identity?;
            PrincipalField::ALL.into_iter().find(|f| {
                identity.get(f.key()).and_then(serde_json::Value::as_str) == Some(principal)
            })
        })
    }
}

/// [`Finding::id`] from its parts: `event_id` (ignored when empty), `rule_id` and the record's text.
pub fn finding_id(event_id: Option<&str>, rule_id: &str, raw_record: &str) -> String {
    let key = event_id.filter(|e| !e.is_empty()).unwrap_or(raw_record);
    short_hash(&[key, rule_id])
}

/// The first 16 bytes of sha256 over `parts` joined by `\n`, as lowercase hex: finding ids, and the alerter's
/// storm-summary ids.
pub fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b"\n");
        }
        h.update(p.as_bytes());
    }
    lower_hex(&h.finalize()[..16])
}

/// Bytes as lowercase hex (`[0xab, 0x01]` → `ab01`): finding ids, and the function's rules-file digest.
pub fn lower_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The last path segment of an ARN's resource (`arn:aws:iam::1:user/ops/alice` → `alice`,
/// `arn:aws:iam::1:root` → `root`); anything else unchanged.
pub fn short_principal(p: &str) -> &str {
    if !p.starts_with("arn:") {
        return p;
    }
    let resource = p.splitn(6, ':').nth(5).unwrap_or(p);
    resource
        .rsplit('/')
        .find(|seg| !seg.is_empty())
        .unwrap_or(resource)
}

/// JSON text with every `\uXXXX` escape of a lone surrogate (a high one not followed by a low one, or a low one
/// alone) replaced by `\ufffd`, so readers that reject them (serde_json, Go's encoding/json) can read it.
/// Well-formed pairs and every other byte are kept; text without such escapes is returned as is.
pub fn replace_lone_surrogates(json: &str) -> Cow<'_, str> {
    fn unit(b: &[u8], at: usize) -> Option<u16> {
        let esc = b.get(at..at + 6)?;
        if esc[0] != b'\\' || esc[1] != b'u' {
            return None;
        }
        let hex = std::str::from_utf8(&esc[2..]).ok()?;
        u16::from_str_radix(hex, 16).ok()
    }
    let b = json.as_bytes();
    let mut out: Option<String> = None;
    // Text copied to `out` so far ends at `copied`.
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match unit(b, i) {
            Some(0xD800..=0xDBFF) if matches!(unit(b, i + 6), Some(0xDC00..=0xDFFF)) => i += 12,
            Some(0xD800..=0xDFFF) => {
                let o = out.get_or_insert_with(|| String::with_capacity(json.len()));
                o.push_str(&json[copied..i]);
                o.push_str("\\ufffd");
                i += 6;
                copied = i;
            }
            // Any other escape: the backslash and the character after it (so `\\u…` is not read as `\u…`).
            _ => i += 2,
        }
    }
    match out {
        None => Cow::Borrowed(json),
        Some(mut o) => {
            o.push_str(&json[copied.min(json.len())..]);
            Cow::Owned(o)
        }
    }
}

/// Removes whitespace outside strings, so a pretty-printed record fits on one line (JSON Lines, SNS).
pub fn compact_json(raw: &str) -> String {
    // Byte by byte: only ASCII whitespace outside strings is dropped, so the output stays valid UTF-8.
    let mut out = Vec::with_capacity(raw.len());
    let mut in_str = false;
    let mut escaped = false;
    for &b in raw.as_bytes() {
        if in_str {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
            out.push(b);
        } else if !b.is_ascii_whitespace() {
            out.push(b);
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;

    #[test]
    fn compact_keeps_strings_and_drops_layout() {
        let raw = "{\n  \"a\" : \"x y\\\" }\",\n  \"b\": [1, 2]\n}";
        assert_eq!(compact_json(raw), r#"{"a":"x y\" }","b":[1,2]}"#);
    }

    #[test]
    fn finding_fields_and_principal_fallbacks() {
        let engine = Engine::with_ids(&["cis-4.1-unauthorized-api-calls"]).unwrap();
        let rule = &engine.rules()[0];
        let raw = r#"{ "eventID": "e1", "eventName": "ListUsers", "errorCode": "AccessDenied",
            "userIdentity": { "type": "AWSService", "invokedBy": "config.amazonaws.com", "accountId": "111122223333" },
            "sourceIPAddress": "config.amazonaws.com", "awsRegion": "eu-west-1" }"#;
        let value = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
        let f = Finding::new(rule, Hit::PLAIN, value.root());
        assert_eq!(f.principal.as_deref(), Some("config.amazonaws.com"));
        assert_eq!(f.principal_type.as_deref(), Some("AWSService"));
        assert_eq!(
            f.account_id.as_deref(),
            Some("111122223333"),
            "falls back to userIdentity.accountId"
        );
        assert_eq!(f.region.as_deref(), Some("eu-west-1"));
        assert_eq!(f.error_code.as_deref(), Some("AccessDenied"));
        assert_eq!(f.source_ip.as_deref(), Some("config.amazonaws.com"));
        assert_eq!(f.event_time, None);
        assert!(!f.record.get().contains('\n'));
        assert_eq!(f.controls[0], "CIS v1.2 3.1");
        assert_eq!(f.principal_field, Some(PrincipalField::InvokedBy));
        let bare = cloudtrail::Parsed::new(br#"{"eventName":"X"}"#).unwrap();
        let f = Finding::new(rule, Hit::PLAIN, bare.root());
        assert_eq!(f.principal, None);
        assert_eq!(f.principal_field, None);
        assert_eq!(
            f.record.get(),
            r#"{"eventName":"X"}"#,
            "compact text kept as is"
        );
    }

    #[test]
    fn principal_field_is_the_first_string_field_and_old_json_still_reads() {
        let engine = Engine::with_ids(&["cis-4.1-unauthorized-api-calls"]).unwrap();
        let rule = &engine.rules()[0];
        let cases = [
            (
                r#"{"arn":"a","principalId":"p","userName":"u"}"#,
                PrincipalField::Arn,
                "a",
            ),
            (
                r#"{"arn":7,"principalId":"p","userName":"u"}"#,
                PrincipalField::PrincipalId,
                "p",
            ),
            (
                r#"{"userName":"u","type":"IAMUser"}"#,
                PrincipalField::UserName,
                "u",
            ),
            (
                r#"{"invokedBy":"s.amazonaws.com","type":"AWSService"}"#,
                PrincipalField::InvokedBy,
                "s.amazonaws.com",
            ),
            (r#"{"type":"Root"}"#, PrincipalField::Type, "Root"),
            (r#"{"arn":"","principalId":"p"}"#, PrincipalField::Arn, ""),
        ];
        for (identity, field, principal) in cases {
            let raw = format!(r#"{{"eventName":"X","userIdentity":{identity}}}"#);
            let parsed = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
            let f = Finding::new(rule, Hit::PLAIN, parsed.root());
            assert_eq!(f.principal.as_deref(), Some(principal), "{identity}");
            assert_eq!(f.principal_field, Some(field), "{identity}");
            assert_eq!(f.principal_source(), Some(field), "{identity}");
            let json = serde_json::to_value(&f).unwrap();
            assert_eq!(
                json["principal_field"],
                serde_json::to_value(field).unwrap()
            );
            // A finding serialized before the field existed still reads, and the source is re-derived.
            let mut old = json.clone();
            old.as_object_mut().unwrap().remove("principal_field");
            let old: Finding = serde_json::from_value(old).unwrap();
            assert_eq!(old.principal_field, None);
            assert_eq!(old.principal_source(), Some(field), "{identity}");
        }
        assert_eq!(
            serde_json::to_string(&PrincipalField::ALL).unwrap(),
            r#"["arn","principal_id","user_name","invoked_by","type"]"#
        );
        let bare = cloudtrail::Parsed::new(br#"{"eventName":"X"}"#).unwrap();
        let f = Finding::new(rule, Hit::PLAIN, bare.root());
        assert!(serde_json::to_value(&f)
            .unwrap()
            .get("principal_field")
            .is_none());
        assert_eq!(f.principal_source(), None);
    }

    #[test]
    fn finding_ids_are_deterministic_and_differ_by_rule_and_event() {
        let a = finding_id(Some("e1"), "rule-a", "{}");
        assert_eq!(a, finding_id(Some("e1"), "rule-a", "{\"other\":1}"));
        assert_ne!(a, finding_id(Some("e1"), "rule-b", "{}"));
        assert_ne!(a, finding_id(Some("e2"), "rule-a", "{}"));
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        // sha256("e1\nrule-a"), first 16 bytes.
        assert_eq!(a, "f31df6ab8bc9c43621660f9febfc6467");
        // Without an event id the record decides.
        assert_ne!(
            finding_id(None, "rule-a", "{\"a\":1}"),
            finding_id(None, "rule-a", "{\"a\":2}")
        );
        assert_eq!(
            finding_id(Some(""), "rule-a", "{}"),
            finding_id(None, "rule-a", "{}")
        );
    }

    #[test]
    fn finding_id_method_uses_the_event_id_else_the_record() {
        let engine = Engine::with_ids(&["cis-4.1-unauthorized-api-calls"]).unwrap();
        let rule = &engine.rules()[0];
        let raw = r#"{"eventID":"e1","eventName":"X"}"#;
        let parsed = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
        let f = Finding::new(rule, Hit::PLAIN, parsed.root());
        assert_eq!(f.id(), finding_id(Some("e1"), rule.id(), "{}"));
        let raw = r#"{ "eventName": "X" }"#;
        let parsed = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
        let f = Finding::new(rule, Hit::PLAIN, parsed.root());
        assert_eq!(
            f.id(),
            finding_id(None, rule.id(), r#"{"eventName":"X"}"#),
            "the compacted record text, as the alert carries it"
        );
    }

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        let cases = [
            (r#"{"a":"x\ud800y"}"#, r#"{"a":"x\ufffdy"}"#),
            (r#"{"a":"\udfff"}"#, r#"{"a":"\ufffd"}"#),
            (r#"{"a":"\uDBFF\uD800"}"#, r#"{"a":"\ufffd\ufffd"}"#),
            (
                r#"{"a":"\ud83d\ude00\ud800"}"#,
                r#"{"a":"\ud83d\ude00\ufffd"}"#,
            ),
            (r#"{"\ud800k":"\\ud800"}"#, r#"{"\ufffdk":"\\ud800"}"#),
            (r#"{"a":"\ud800\n"}"#, r#"{"a":"\ufffd\n"}"#),
            (r#"{"a":"é\u00e9\ud800"}"#, r#"{"a":"é\u00e9\ufffd"}"#),
        ];
        for (raw, want) in cases {
            let got = replace_lone_surrogates(raw);
            assert_eq!(got, want, "{raw}");
            let value: serde_json::Value = serde_json::from_str(&got).unwrap();
            assert!(value.is_object());
        }
        for clean in [
            r#"{"a":"\ud83d\ude00","b":"\\ud800","c":"\u0041"}"#,
            "{}",
            r#""\\""#,
        ] {
            assert!(
                matches!(replace_lone_surrogates(clean), Cow::Borrowed(_)),
                "{clean}"
            );
        }
    }

    #[test]
    fn a_record_with_lone_surrogates_is_attached_as_json_strict_readers_accept() {
        let engine = Engine::with_ids(&["cis-4.1-unauthorized-api-calls"]).unwrap();
        let rule = &engine.rules()[0];
        for raw in [
            r#"{"eventID":"e1","userAgent":"a\ud800b"}"#,
            r#"{ "eventID": "e1", "userAgent": "a\ud800b" }"#,
        ] {
            let parsed = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
            let f = Finding::new(rule, Hit::PLAIN, parsed.root());
            assert_eq!(f.user_agent.as_deref(), Some("a\u{FFFD}b"));
            assert_eq!(f.record.get(), r#"{"eventID":"e1","userAgent":"a\ufffdb"}"#);
            let back: Finding = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
            assert_eq!(back.id(), f.id());
        }
    }

    #[test]
    fn short_principals() {
        assert_eq!(short_principal("arn:aws:iam::111122223333:root"), "root");
        assert_eq!(
            short_principal("arn:aws:iam::111122223333:user/ops/alice"),
            "alice"
        );
        assert_eq!(
            short_principal("arn:aws:sts::111122223333:assumed-role/deploy/ci-42"),
            "ci-42"
        );
        assert_eq!(short_principal("AIDAEXAMPLE"), "AIDAEXAMPLE");
        assert_eq!(short_principal("arn:aws:iam::1:user/"), "user");
    }
}
