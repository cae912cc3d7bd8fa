//! Property test: any record, however odd or large, renders into an SNS message within every SNS limit,
//! without panicking.

use alerter::alert::Alert;
use alerter::publish::{sns_size, SnsEntry, MAX_SNS_BYTES};
use alerter::render::finding::{render_finding, RuleText};
use alerter::render::text::MAX_SMS_CHARS;
use proptest::prelude::*;
use rules::{Engine, Finding, Hit};
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
