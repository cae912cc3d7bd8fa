//! Findings: a rule that matched a record, with the fields a responder needs first.

use crate::{CompiledRule, Hit, Severity};
use cloudtrail::Node;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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
    pub principal_type: Option<String>,
    /// The caller's own account (`userIdentity.accountId`): differs from `account_id` for cross-account calls.
    pub principal_account_id: Option<String>,
    pub access_key_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub error_code: Option<String>,
    /// Extra context from the rule (e.g. "centralized root access session (sts:AssumeRoot)").
    pub note: Option<String>,
    /// The record exactly as in the log file, with insignificant whitespace removed.
    pub record: Box<RawValue>,
}

fn str_at<'v>(v: Node<'v>, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn owned(v: Option<&str>) -> Option<String> {
    v.map(str::to_owned)
}

impl Finding {
    /// Builds the finding for `rule` on a record: `record` is the record's root, whose document text is the
    /// record's JSON as read (kept, compacted, in the finding).
    pub fn new(rule: &CompiledRule, hit: Hit, record: Node<'_>) -> Finding {
        let id = |k: &str| str_at(record, &["userIdentity", k]);
        let principal = id("arn")
            .or_else(|| id("principalId"))
            .or_else(|| id("userName"))
            .or_else(|| id("invokedBy"))
            .or_else(|| id("type"));
        let text = record.document_text();
        let compact = if record.document_is_compact() {
            text.to_owned()
        } else {
            compact_json(text)
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
            principal_type: owned(id("type")),
            principal_account_id: owned(id("accountId")),
            access_key_id: owned(id("accessKeyId")),
            source_ip: owned(str_at(record, &["sourceIPAddress"])),
            user_agent: owned(str_at(record, &["userAgent"])),
            error_code: owned(str_at(record, &["errorCode"])),
            note: hit.note.map(str::to_owned),
            record: record_raw,
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
    use crate::Engine;

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
        let bare = cloudtrail::Parsed::new(br#"{"eventName":"X"}"#).unwrap();
        let f = Finding::new(rule, Hit::PLAIN, bare.root());
        assert_eq!(f.principal, None);
        assert_eq!(
            f.record.get(),
            r#"{"eventName":"X"}"#,
            "compact text kept as is"
        );
    }
}
