//! Property tests: any record, however odd or large, renders into an SNS message within every SNS limit,
//! without panicking; and whatever the strings of a finding or a storm summary, no email, SMS, subject or
//! message attribute holds a hidden character (bidi control, zero-width character, line or paragraph
//! separator, control character) raw.

use alerter::adapters::sns::{sns_size, SnsEntry, MAX_SNS_BYTES};
use alerter::alert::Alert;
use alerter::channels::sns::render::finding::{
    render_finding, render_finding_with, RenderOptions, RuleText,
};
use alerter::channels::sns::render::storm_digest::render_storm_digest;
use alerter::channels::sns::render::text::{is_hidden, MAX_SMS_CHARS};
use alerter::ports::OutgoingAlert;
use alerter::storm::StormDigest;
use proptest::prelude::*;
use rules::{Engine, Finding, Hit, Severity};
use serde_json::{json, Value};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "[\"\\\\\n\t\u{0}-\u{1f}é日🙂]{0,20}",
        Just("ü\"".repeat(60_000)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_record_fits_sns(
        name in text(), principal in prop::option::of(text()), ip in prop::option::of(text()),
        agent in text(), region in prop::option::of(text()), time in prop::option::of(text()), blob in text(),
    ) {
        let engine = Engine::builtin().unwrap();
        let rule = &engine.rules()[0];
        let record = json!({
            "eventName": name, "eventID": "e-1", "eventTime": time, "awsRegion": region,
            "sourceIPAddress": ip, "userAgent": agent, "recipientAccountId": "111122223333",
            "userIdentity": {"arn": principal, "type": "IAMUser"},
            "requestParameters": {"blob": blob},
        });
        let raw = record.to_string();
        let parsed = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
        let finding = Finding::new(rule, Hit::PLAIN, parsed.root());
        let alert = Alert::new(finding, "bucket", "AWSLogs/111122223333/CloudTrail/x.json.gz");
        let m = render_finding(&alert, RuleText { rationale: "why", next_steps: "next" });
        prop_assert!(sns_size(&m) <= MAX_SNS_BYTES, "{} bytes", sns_size(&m));
        prop_assert!(m.subject.len() <= 100 && m.subject.chars().all(|c| (' '..='~').contains(&c)), "{:?}", m.subject);
        let structure: Value = serde_json::from_str(&SnsEntry::from_alert(&m).message).unwrap();
        let sms = structure["sms"].as_str().unwrap();
        prop_assert!(sms.chars().count() <= MAX_SMS_CHARS, "{:?}", sms);
        let default: Value = serde_json::from_str(structure["default"].as_str().unwrap()).unwrap();
        prop_assert_eq!(&default["finding_id"], &Value::from(m.finding_id.clone()));
        prop_assert!(structure["email"].as_str().is_some());
    }
}

/// Text an attacker would write: every character the bodies must not carry raw (bidi embeddings, overrides
/// and isolates, marks, zero-width characters, U+2028/U+2029, controls, tag characters), mixed with ordinary
/// text, quotes and backslashes.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\u{202a}-\u{202e}\u{2066}-\u{2069}\u{200b}-\u{200f}\u{2060}-\u{2064}\u{2028}\u{2029}\u{feff}\u{061c}\u{00ad}\u{e0000}-\u{e007f}\u{0}-\u{1f}\u{7f}-\u{9f}a-z0-9 .:/\"\\\\é日]{0,40}",
        "\\PC{0,20}",
    ]
}

/// Fails unless no hidden character is in `text` (newlines allowed where `lines`: the email's own).
fn clean(what: &str, text: &str, lines: bool) -> Result<(), TestCaseError> {
    if let Some(c) = text
        .chars()
        .find(|&c| is_hidden(c) && !(lines && c == '\n'))
    {
        return Err(TestCaseError::fail(format!(
            "{what} holds U+{:04X} raw: {text:?}",
            c as u32
        )));
    }
    Ok(())
}

fn all_clean(m: &OutgoingAlert) -> Result<(), TestCaseError> {
    let structure: Value = serde_json::from_str(&SnsEntry::from_alert(m).message).unwrap();
    clean("email", structure["email"].as_str().unwrap(), true)?;
    clean("sms", structure["sms"].as_str().unwrap(), false)?;
    clean("subject", &m.subject, false)?;
    for (k, v) in &m.attributes {
        clean(k, v, false)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_body_carries_hidden_characters_from_a_finding(
        name in hostile(), principal in hostile(), ip in hostile(), agent in hostile(),
        region in hostile(), time in hostile(), blob in hostile(), error in hostile(), key in hostile(),
        bucket in hostile(), note in hostile(), with_record in any::<bool>(),
    ) {
        let engine = Engine::builtin().unwrap();
        let rule = &engine.rules()[0];
        let record = json!({
            "eventName": name, "eventID": "e-1", "eventTime": time, "awsRegion": region,
            "sourceIPAddress": ip, "userAgent": agent, "recipientAccountId": "111122223333",
            "errorCode": error, "userIdentity": {"arn": principal, "type": "IAMUser", "accessKeyId": blob},
            "requestParameters": {"blob": blob, "key": key},
        });
        let raw = record.to_string();
        let parsed = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
        let mut finding = Finding::new(rule, Hit::PLAIN, parsed.root());
        finding.note = Some(note);
        let alert = Alert::new(finding, &bucket, &key);
        let options = RenderOptions { email_include_record: with_record };
        let m = render_finding_with(&alert, RuleText { rationale: "why", next_steps: "next" }, options);
        all_clean(&m)?;
        // The email says each section once: no value adds a line of its own.
        let structure: Value = serde_json::from_str(&SnsEntry::from_alert(&m).message).unwrap();
        let email = structure["email"].as_str().unwrap();
        for section in ["\nWHO\n", "\nWHY IT MATTERS\n", "\nRECORD\n", "\nHOW TO SILENCE THIS\n"] {
            prop_assert_eq!(email.matches(section).count(), 1, "{}", section);
        }
    }

    #[test]
    fn no_body_carries_hidden_characters_from_a_storm_summary(
        title in hostile(), rule_id in hostile(), principals in prop::collection::vec(hostile(), 0..6),
        accounts in prop::collection::vec(hostile(), 0..3), regions in prop::collection::vec(hostile(), 0..3),
        files in prop::collection::vec((hostile(), hostile()), 0..3), controls in prop::collection::vec(hostile(), 0..3),
        first in prop::option::of(hostile()), invocation in hostile(),
    ) {
        let s = StormDigest {
            rule_id,
            title,
            severity: Severity::Medium,
            controls,
            sent_individually: 10,
            count: 5,
            first_time: first,
            last_time: None,
            top_principals: principals.into_iter().map(|p| (p, 1)).collect(),
            accounts,
            regions,
            files,
            invocation_id: invocation,
        };
        all_clean(&render_storm_digest(&s))?;
    }
}
