//! The `[[exclusions]]` entry to paste into the rules file to silence a finding (alert emails show it).

use crate::finding::{short_principal, Finding, PrincipalField};
use chrono::{Days, NaiveDate};
use std::fmt::Write as _;

/// How long a suggested exclusion lasts: its `expires` is the event's date plus this many days.
pub const SUGGESTED_EXCLUSION_DAYS: u64 = 30;

/// A ready-to-paste `[[exclusions]]` entry (TOML, ending in a newline) that suppresses `finding` for its rule:
/// `match` on the field the principal came from ([`Finding::principal_source`]) and on the event name (or, with
/// neither, the event source), `expires` [`SUGGESTED_EXCLUSION_DAYS`] after the event's date, and a `reason`
/// the user must replace. Comment lines before the entry explain a broad match (no principal) or a missing
/// `expires` (no usable `eventTime`); with nothing to match on, it has a `pattern` placeholder instead.
///
/// `finding_id` ([`Finding::id`]) names the entry when neither the principal nor the event name gives a slug.
pub fn suggest_exclusion(finding: &Finding, finding_id: &str) -> String {
    let f = finding;
    let mut out = String::new();
    let selector = f
        .principal_source()
        .unwrap_or(PrincipalField::Arn)
        .selector();
    let principal_field = f
        .principal
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(|p| (selector, p));
    let slug_source = format!(
        "{}-{}",
        principal_field.map_or("", |(_, p)| short_principal(p)),
        f.event_name.as_deref().unwrap_or("")
    );
    let mut id = slug(&slug_source);
    if id.is_empty() {
        id = format!("silence-{}", finding_id.get(..8).unwrap_or(finding_id));
    }

    let mut matchers: Vec<(String, &str)> = Vec::new();
    if let Some((sel, p)) = principal_field {
        matchers.push((toml_key(sel), p));
    }
    if let Some(e) = f.event_name.as_deref().filter(|e| !e.is_empty()) {
        matchers.push(("eventName".to_owned(), e));
    }
    if matchers.is_empty() {
        if let Some(s) = f.event_source.as_deref().filter(|s| !s.is_empty()) {
            matchers.push(("eventSource".to_owned(), s));
        }
    }

    if principal_field.is_none() && !matchers.is_empty() {
        out.push_str(
            "# The record names no principal: this matches the event for every caller. Narrow it if you\n\
             # can (add a field to `match`, e.g. \"sourceIPAddress\").\n",
        );
    }
    if matchers.is_empty() {
        out.push_str(
            "# The record has no principal, event name or event source to match on: write a `pattern`\n\
             # (a filter pattern, as in the rules) that matches only the expected activity.\n",
        );
    }
    let _ = writeln!(out, "[[exclusions]]");
    let _ = writeln!(out, "id = {}", toml_str(&id));
    let _ = writeln!(
        out,
        "reason = {}",
        toml_str("TODO: write why this is expected, who owns it, and a ticket link")
    );
    let _ = writeln!(out, "rules = [{}]", toml_str(&f.rule_id));
    if matchers.is_empty() {
        let _ = writeln!(out, "pattern = '{{ $.eventName = \"TODO\" }}'");
    } else {
        let inner: Vec<String> = matchers
            .iter()
            .map(|(k, v)| format!("{k} = {}", toml_str(v)))
            .collect();
        let _ = writeln!(out, "match = {{ {} }}", inner.join(", "));
    }
    match f
        .event_time
        .as_deref()
        .and_then(|t| plus_days(t, SUGGESTED_EXCLUSION_DAYS))
    {
        Some(date) => {
            let _ = writeln!(
                out,
                "expires = {}  # last day it applies: event date + {SUGGESTED_EXCLUSION_DAYS} days",
                toml_str(&date)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "# No `expires`: the record has no usable eventTime to date it from. Add\n\
                 # expires = \"YYYY-MM-DD\" (the last day it applies) so the silence does not last forever."
            );
        }
    }
    out
}

/// A bare TOML key when the selector allows one, else a quoted key (`"userIdentity.arn"`).
fn toml_key(sel: &str) -> String {
    if sel
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        sel.to_owned()
    } else {
        toml_str(sel)
    }
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Kebab-case id (lowercase ASCII letters, digits, `-`), at most 48 characters.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(48);
    out.trim_end_matches('-').to_owned()
}

/// `YYYY-MM-DD` of an ISO timestamp plus `days`.
fn plus_days(time: &str, days: u64) -> Option<String> {
    let date = NaiveDate::parse_from_str(time.get(..10)?, "%Y-%m-%d").ok()?;
    Some(
        date.checked_add_days(Days::new(days))?
            .format("%Y-%m-%d")
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::RulesConfig, engine::Engine, engine::Outcome, rule::Hit};

    fn finding(rule_id: &str, raw: &str) -> Finding {
        let engine = Engine::with_ids(&[rule_id]).unwrap();
        let value = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
        let rule = &engine.rules()[0];
        let hit = rule
            .evaluate(value.root(), engine.context())
            .unwrap_or_else(|| panic!("{rule_id} does not match {raw}"));
        Finding::new(rule, hit, value.root())
    }

    fn suggest(f: &Finding) -> String {
        suggest_exclusion(f, &f.id())
    }

    /// Asserts that pasting the suggested exclusion suppresses the finding on `today`.
    fn assert_silences(f: &Finding, raw: &str, today: &str) {
        let toml = suggest(f);
        let cfg = RulesConfig::parse(&format!("profile = \"all\"\n{toml}"), "rules.toml")
            .unwrap_or_else(|e| panic!("{e}\n{toml}"));
        let engine = Engine::from_config(&cfg, today).unwrap();
        let value = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
        let outcome = engine
            .evaluate(value.root())
            .find(|o| match o {
                Outcome::Finding { rule, .. } | Outcome::Suppressed { rule, .. } => {
                    rule.id() == f.rule_id
                }
            })
            .unwrap();
        assert!(
            matches!(outcome, Outcome::Suppressed { .. }),
            "not silenced by\n{toml}"
        );
    }

    const ROOT_LOGIN: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"eventTime":"2024-01-15T12:01:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"eventID":"00000000-0000-4000-8000-000000000001","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}"#;

    const NON_ASCII: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSER00009","arn":"arn:aws:iam::111122223333:user/équipe/josé","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEY000009","userName":"josé"},"eventTime":"2024-03-01T08:30:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"ap-northeast-1","sourceIPAddress":"203.0.113.7","requestParameters":{"bucketName":"données-日本","key":"rapport_été.pdf"},"errorCode":"AccessDenied","errorMessage":"Accès refusé","eventID":"11111111-2222-4333-8444-555555555555","recipientAccountId":"111122223333"}"#;

    const BARE: &str = r#"{"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","errorCode":"Client.UnauthorizedOperation"}"#;

    #[test]
    fn root_console_login() {
        let f = finding("cis-4.3-root-account-usage", ROOT_LOGIN);
        assert_eq!(
            suggest(&f),
            r#"[[exclusions]]
id = "root-consolelogin"
reason = "TODO: write why this is expected, who owns it, and a ticket link"
rules = ["cis-4.3-root-account-usage"]
match = { "userIdentity.arn" = "arn:aws:iam::111122223333:root", eventName = "ConsoleLogin" }
expires = "2024-02-14"  # last day it applies: event date + 30 days
"#
        );
        assert_silences(&f, ROOT_LOGIN, "2024-01-15");
    }

    #[test]
    fn non_ascii_principal() {
        let f = finding("cis-4.1-unauthorized-api-calls", NON_ASCII);
        assert_eq!(
            suggest(&f),
            r#"[[exclusions]]
id = "jos-getobject"
reason = "TODO: write why this is expected, who owns it, and a ticket link"
rules = ["cis-4.1-unauthorized-api-calls"]
match = { "userIdentity.arn" = "arn:aws:iam::111122223333:user/équipe/josé", eventName = "GetObject" }
expires = "2024-03-31"  # last day it applies: event date + 30 days
"#
        );
        assert_silences(&f, NON_ASCII, "2024-03-01");
    }

    #[test]
    fn missing_principal_and_time() {
        let f = finding("cis-4.1-unauthorized-api-calls", BARE);
        assert_eq!(
            suggest(&f),
            r#"# The record names no principal: this matches the event for every caller. Narrow it if you
# can (add a field to `match`, e.g. "sourceIPAddress").
[[exclusions]]
id = "runinstances"
reason = "TODO: write why this is expected, who owns it, and a ticket link"
rules = ["cis-4.1-unauthorized-api-calls"]
match = { eventName = "RunInstances" }
# No `expires`: the record has no usable eventTime to date it from. Add
# expires = "YYYY-MM-DD" (the last day it applies) so the silence does not last forever.
"#
        );
        assert_silences(&f, BARE, "2024-01-15");
    }

    #[test]
    fn matches_the_field_the_principal_came_from() {
        let raw = r#"{"eventVersion":"1.09","userIdentity":{"type":"AWSService","invokedBy":"config.amazonaws.com"},"eventTime":"2024-05-31T23:59:59Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"eu-west-1","errorCode":"AccessDenied","sourceIPAddress":"config.amazonaws.com","eventID":"e-1","recipientAccountId":"111122223333"}"#;
        let f = finding("cis-4.1-unauthorized-api-calls", raw);
        let text = suggest(&f);
        assert!(
            text.contains(
                r#"match = { "userIdentity.invokedBy" = "config.amazonaws.com", eventName = "ListUsers" }"#
            ),
            "{text}"
        );
        assert!(text.contains("expires = \"2024-06-30\""));
        assert_silences(&f, raw, "2024-06-01");
        // A finding serialized before `principal_field` existed gets the same text.
        let mut old = serde_json::to_value(&f).unwrap();
        old.as_object_mut().unwrap().remove("principal_field");
        let old: Finding = serde_json::from_value(old).unwrap();
        assert_eq!(suggest(&old), text);
    }

    #[test]
    fn nothing_to_match_on_gives_a_pattern_placeholder() {
        let engine = Engine::with_ids(&["cis-4.1-unauthorized-api-calls"]).unwrap();
        let value = cloudtrail::Parsed::new(br#"{"errorCode":"AccessDenied"}"#).unwrap();
        let f = Finding::new(&engine.rules()[0], Hit::PLAIN, value.root());
        let id = f.id();
        assert_eq!(
            suggest(&f),
            format!(
                r#"# The record has no principal, event name or event source to match on: write a `pattern`
# (a filter pattern, as in the rules) that matches only the expected activity.
[[exclusions]]
id = "silence-{}"
reason = "TODO: write why this is expected, who owns it, and a ticket link"
rules = ["cis-4.1-unauthorized-api-calls"]
pattern = '{{ $.eventName = "TODO" }}'
# No `expires`: the record has no usable eventTime to date it from. Add
# expires = "YYYY-MM-DD" (the last day it applies) so the silence does not last forever.
"#,
                &id[..8]
            )
        );
    }

    #[test]
    fn record_text_cannot_break_out_of_the_toml() {
        let raw = r#"{"eventTime":"2024-01-15T00:00:00Z","eventName":"GetBucketPolicy\r\nX","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.7","userIdentity":{"arn":"arn:aws:iam::111122223333:user/eve\nOK\"]"}}"#;
        let f = finding("cis-4.1-unauthorized-api-calls", raw);
        let text = suggest(&f);
        assert!(
            text.contains(r#""userIdentity.arn" = "arn:aws:iam::111122223333:user/eve\nOK\"]""#),
            "{text}"
        );
        assert_silences(&f, raw, "2024-01-15");
    }

    #[test]
    fn slugs_dates_and_toml() {
        assert_eq!(slug("root-ConsoleLogin"), "root-consolelogin");
        assert_eq!(slug("--é--"), "");
        assert_eq!(
            plus_days("2024-01-15T12:01:00Z", 30).as_deref(),
            Some("2024-02-14")
        );
        assert_eq!(plus_days("2024-12-31", 1).as_deref(), Some("2025-01-01"));
        assert_eq!(plus_days("soon", 30), None);
        assert_eq!(toml_str("a\"b\\c\u{1}日"), "\"a\\\"b\\\\c\\u0001日\"");
        assert_eq!(toml_key("eventName"), "eventName");
        assert_eq!(toml_key("userIdentity.arn"), "\"userIdentity.arn\"");
    }
}
