//! Golden tests of the alert bodies (subject, `default` JSON, email, SMS) for representative findings, and the
//! SNS limits. Snapshots live in `tests/snapshots/`; `cargo insta review` (or `INSTA_UPDATE=always`) updates
//! them after an intended change.

mod common;

use alerter::adapters::sns::{sns_size, SnsEntry, MAX_SNS_BYTES};
use alerter::alert::Alert;
use alerter::channels::sns::render::finding::{
    render_finding, render_finding_with, RenderOptions, RuleText,
};
use alerter::channels::sns::render::storm_digest::render_storm_digest;
use alerter::channels::sns::render::text::{is_hidden, pretty_json, MAX_SMS_CHARS, SCHEMA_VERSION};
use alerter::ports::OutgoingAlert;
use alerter::storm::StormDigest;
use common::finding;
use flate2::read::GzDecoder;
use rules::{Engine, Outcome, RulesConfig, Severity};
use serde_json::value::RawValue;
use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;

const BUCKET: &str = "trailwarden-demo-logs";
const SAMPLE_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";

/// The records of the sample log file, as raw JSON text.
fn sample_records() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(SAMPLE_KEY);
    let mut text = String::new();
    GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    #[derive(serde::Deserialize)]
    struct Log {
        #[serde(rename = "Records")]
        records: Vec<Box<RawValue>>,
    }
    let log: Log = serde_json::from_str(&text).unwrap();
    log.records.iter().map(|r| r.get().to_owned()).collect()
}

fn sample_record(event_name: &str) -> String {
    sample_records()
        .into_iter()
        .find(|r| serde_json::from_str::<Value>(r).unwrap()["eventName"] == event_name)
        .unwrap()
}

/// The finding of one built-in rule on a record, rendered.
struct Rendered {
    alert: Alert,
    msg: OutgoingAlert,
    default: Value,
    default_text: String,
    email: String,
    sms: String,
}

fn render(rule_id: &str, raw: &str, key: &str) -> Rendered {
    let engine = Engine::with_ids(&[rule_id]).unwrap();
    let rule = &engine.rules()[0];
    let alert = Alert::new(finding(rule_id, raw), BUCKET, key);
    let msg = render_finding(
        &alert,
        RuleText {
            rationale: rule.rationale(),
            next_steps: rule.next_steps(),
        },
    );
    let (default_text, email, sms) = bodies(&msg);
    Rendered {
        alert,
        default: serde_json::from_str(&default_text).unwrap(),
        default_text,
        email,
        sms,
        msg,
    }
}

/// The three bodies of an alert; fails unless its SNS message is `{"default", "email", "sms"}` strings.
fn bodies(msg: &OutgoingAlert) -> (String, String, String) {
    let v: Value = serde_json::from_str(&SnsEntry::from_alert(msg).message).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(
        obj.keys().map(String::as_str).collect::<Vec<_>>(),
        ["default", "email", "sms"]
    );
    let s = |k: &str| obj[k].as_str().unwrap().to_owned();
    (s("default"), s("email"), s("sms"))
}

fn attributes(msg: &OutgoingAlert) -> String {
    msg.attributes
        .iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect()
}

/// Invariants of every message.
fn check(msg: &OutgoingAlert) {
    assert!(sns_size(msg) <= MAX_SNS_BYTES, "{} bytes", sns_size(msg));
    assert!(
        !msg.subject.is_empty() && msg.subject.len() <= 100,
        "{}",
        msg.subject
    );
    assert!(
        msg.subject.bytes().all(|b| (b' '..=b'~').contains(&b)),
        "{}",
        msg.subject
    );
    let (default, _, sms) = bodies(msg);
    assert!(sms.chars().count() <= MAX_SMS_CHARS, "{sms}");
    let default: Value = serde_json::from_str(&default).unwrap();
    assert_eq!(default["schema_version"], SCHEMA_VERSION);
    assert_eq!(default["finding_id"], msg.finding_id.as_str());
    assert_eq!(msg.finding_id.len(), 32);
    assert!(msg.attributes.iter().all(|(_, v)| !v.is_empty()));
    assert!(msg
        .attributes
        .iter()
        .any(|(k, v)| *k == "finding_id" && *v == msg.finding_id));
    let entry = SnsEntry::from_alert(msg);
    let size = entry.message.len()
        + msg.subject.len()
        + msg
            .attributes
            .iter()
            .map(|(k, v)| k.len() + 6 + v.len())
            .sum::<usize>();
    assert_eq!(sns_size(msg), size);
    assert_eq!(entry.sns_size(), size);
}

/// The exclusion the email suggests, as a rules file.
fn silence_toml(email: &str) -> String {
    let start = email.find("[[exclusions]]").unwrap();
    let end = email[start..].find("\n--\n").unwrap() + start;
    email[start..end].to_owned()
}

/// Asserts that pasting the suggested exclusion suppresses the finding on the event's date.
fn assert_silences(r: &Rendered, raw: &str, today: &str) {
    let toml = silence_toml(&r.email);
    let cfg = RulesConfig::parse(&format!("profile = \"all\"\n{toml}"), "rules.toml")
        .unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let engine = Engine::from_config(&cfg, today).unwrap();
    let value = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
    let outcome = engine
        .evaluate(value.root())
        .find(|o| match o {
            Outcome::Finding { rule, .. } | Outcome::Suppressed { rule, .. } => {
                rule.id() == r.alert.finding.rule_id
            }
        })
        .unwrap();
    assert!(
        matches!(outcome, Outcome::Suppressed { .. }),
        "not silenced by\n{toml}"
    );
}

#[test]
fn root_console_login() {
    let raw = sample_record("ConsoleLogin");
    let r = render("cis-4.3-root-account-usage", &raw, SAMPLE_KEY);
    check(&r.msg);
    insta::assert_snapshot!("root_login_subject", r.msg.subject);
    insta::assert_snapshot!("root_login_sms", r.sms);
    insta::assert_snapshot!("root_login_email", r.email);
    insta::assert_snapshot!("root_login_default", pretty_json(&r.default_text));
    insta::assert_snapshot!("root_login_attributes", attributes(&r.msg));
    assert_eq!(r.default["record_truncated"], false);
    assert_eq!(
        r.default["record"],
        serde_json::from_str::<Value>(&raw).unwrap()
    );
    assert!(r.email.contains("https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/00000000-0000-4000-8000-000000000001"));
    assert!(r.email.contains("expires = \"2024-02-14\""));
    assert_silences(&r, &raw, "2024-01-15");
}

#[test]
fn access_denied_by_iam_user() {
    let raw = sample_record("GetBucketPolicy");
    let r = render("cis-4.1-unauthorized-api-calls", &raw, SAMPLE_KEY);
    check(&r.msg);
    insta::assert_snapshot!("access_denied_subject", r.msg.subject);
    insta::assert_snapshot!("access_denied_sms", r.sms);
    insta::assert_snapshot!("access_denied_email", r.email);
    insta::assert_snapshot!("access_denied_default", pretty_json(&r.default_text));
    insta::assert_snapshot!("access_denied_attributes", attributes(&r.msg));
    assert_silences(&r, &raw, "2024-01-15");
}

const NON_ASCII: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSER00009","arn":"arn:aws:iam::111122223333:user/équipe/josé","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEY000009","userName":"josé"},"eventTime":"2024-03-01T08:30:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"ap-northeast-1","sourceIPAddress":"203.0.113.7","userAgent":"Mozilla/5.0 (Macintosh) 日本語ブラウザ — «test»","requestParameters":{"bucketName":"données-日本","key":"rapport_été.pdf"},"responseElements":null,"errorCode":"AccessDenied","errorMessage":"Accès refusé","managementEvent":false,"eventCategory":"Data","eventID":"11111111-2222-4333-8444-555555555555","recipientAccountId":"111122223333"}"#;

#[test]
fn non_ascii_text_survives_except_in_the_subject() {
    let r = render(
        "cis-4.1-unauthorized-api-calls",
        NON_ASCII,
        "AWSLogs/111122223333/CloudTrail/ap-northeast-1/2024/03/01/f.json.gz",
    );
    check(&r.msg);
    insta::assert_snapshot!("non_ascii_subject", r.msg.subject);
    insta::assert_snapshot!("non_ascii_sms", r.sms);
    insta::assert_snapshot!("non_ascii_email", r.email);
    insta::assert_snapshot!("non_ascii_default", pretty_json(&r.default_text));
    for text in [
        "日本語ブラウザ — «test»",
        "données-日本",
        "rapport_été.pdf",
        "Accès refusé",
    ] {
        assert!(r.email.contains(text), "email lost {text}");
        assert!(r.default_text.contains(text), "default lost {text}");
    }
    assert_eq!(
        r.default["user_agent"],
        "Mozilla/5.0 (Macintosh) 日本語ブラウザ — «test»"
    );
    assert!(r.sms.contains("josé"));
    assert_silences(&r, NON_ASCII, "2024-03-01");
}

const BARE: &str = r#"{"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","errorCode":"Client.UnauthorizedOperation"}"#;

#[test]
fn missing_principal_ip_time_and_region() {
    let r = render("cis-4.1-unauthorized-api-calls", BARE, "AWSLogs/x.json.gz");
    check(&r.msg);
    insta::assert_snapshot!("bare_subject", r.msg.subject);
    insta::assert_snapshot!("bare_sms", r.sms);
    insta::assert_snapshot!("bare_email", r.email);
    insta::assert_snapshot!("bare_default", pretty_json(&r.default_text));
    insta::assert_snapshot!("bare_attributes", attributes(&r.msg));
    for k in [
        "principal",
        "source_ip",
        "event_time",
        "region",
        "event_id",
        "account_id",
    ] {
        assert_eq!(r.default[k], Value::Null, "{k}");
    }
    assert!(!r.email.contains("\nexpires ="));
    assert_eq!(
        r.msg.finding_id,
        rules::finding_id(None, "cis-4.1-unauthorized-api-calls", BARE)
    );
    assert_silences(&r, BARE, "2024-01-15");
}

/// A ~300 KB PutUserPolicy record: a long, quote-heavy policy document with non-ASCII text.
fn big_record() -> String {
    let mut statements = Vec::new();
    let mut i = 0;
    let mut doc_len = 0;
    while doc_len < 300 * 1024 {
        let s = format!(
            r#"{{"Sid":"é日本{i}","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket-{i}/*"}}"#
        );
        doc_len += s.len() + 1;
        statements.push(s);
        i += 1;
    }
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    let record = serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEUSER00001",
            "arn": "arn:aws:iam::111122223333:user/alice",
            "accountId": "111122223333",
            "accessKeyId": "AKIAEXAMPLEKEY000001",
            "userName": "alice"
        },
        "eventTime": "2024-01-15T12:06:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "PutUserPolicy",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": { "userName": "alice", "policyName": "everything", "policyDocument": doc },
        "responseElements": null,
        "eventID": "00000000-0000-4000-8000-000000000099",
        "recipientAccountId": "111122223333"
    });
    record.to_string()
}

#[test]
fn a_300_kb_record_is_trimmed_to_fit() {
    let raw = big_record();
    assert!(raw.len() > 300 * 1024);
    let r = render("cis-4.4-iam-policy-changes", &raw, SAMPLE_KEY);
    check(&r.msg);
    assert!(sns_size(&r.msg) <= MAX_SNS_BYTES - 4096, "with a margin");
    // Most of the room is used for the record.
    assert!(sns_size(&r.msg) > MAX_SNS_BYTES / 2, "{}", sns_size(&r.msg));

    // default: the record is replaced by a marked prefix of the compact record.
    assert_eq!(r.default["record_truncated"], true);
    let rec = &r.default["record"];
    assert_eq!(rec["trailwarden_truncated"], true);
    assert_eq!(rec["original_bytes"], raw.len());
    let prefix = rec["prefix"].as_str().unwrap();
    assert!(prefix.len() > 50 * 1024, "{}", prefix.len());
    assert!(raw.starts_with(prefix));
    // The record object as sent (field order included), with the long prefix replaced by its length.
    let at = r
        .default_text
        .find(r#""record":{"trailwarden_truncated""#)
        .unwrap();
    let record_text = r.default_text[at + "\"record\":".len()..r.default_text.len() - 1].replace(
        &serde_json::to_string(prefix).unwrap(),
        &format!("\"<{} bytes>\"", prefix.len()),
    );
    insta::assert_snapshot!("big_default", pretty_json(&record_text));
    for k in ["rule_id", "event_id", "principal", "bucket", "key"] {
        assert!(r.default[k].is_string(), "{k}");
    }

    // email: everything but the record, then a marked prefix of the pretty record.
    let (head, rest) = r.email.split_once("\nRECORD\n").unwrap();
    let (cut_line, rest) = rest.split_once('\n').unwrap();
    let (record_part, tail) = rest.split_once("[... record cut here ...]\n").unwrap();
    assert!(record_part.len() > 50 * 1024, "{}", record_part.len());
    assert!(pretty_json(&raw).starts_with(record_part.trim_end_matches('\n')));
    insta::assert_snapshot!("big_email_head", head);
    insta::assert_snapshot!(
        "big_email_cut",
        cut_line.replace(&format!("{}", record_part.len() - 1), "<shown>")
    );
    insta::assert_snapshot!("big_email_tail", tail);
    insta::assert_snapshot!("big_sms", r.sms);
    insta::assert_snapshot!("big_subject", r.msg.subject);

    // Deterministic.
    let again = render("cis-4.4-iam-policy-changes", &raw, SAMPLE_KEY);
    assert_eq!(
        SnsEntry::from_alert(&again.msg).message,
        SnsEntry::from_alert(&r.msg).message
    );
}

#[test]
fn huge_fields_are_cut_as_a_last_resort() {
    let mut v: Value = serde_json::from_str(&sample_record("GetBucketPolicy")).unwrap();
    v["userAgent"] = Value::from("\u{1}\"".repeat(200 * 1024));
    let raw = v.to_string();
    let r = render("cis-4.1-unauthorized-api-calls", &raw, SAMPLE_KEY);
    check(&r.msg);
    assert_eq!(r.default["record_truncated"], true);
    assert!(r.default["user_agent"]
        .as_str()
        .unwrap()
        .ends_with("[cut by trailwarden]"));
}

#[test]
fn sms_and_subject_stay_short_with_long_principals_and_titles() {
    let raw = sample_record("GetBucketPolicy");
    let engine = Engine::with_ids(&["cis-4.1-unauthorized-api-calls"]).unwrap();
    let mut f = finding("cis-4.1-unauthorized-api-calls", &raw);
    f.title = "A very long custom rule title that goes on and on, naming every service and action it watches — ünïcödé included".repeat(3);
    f.principal = Some(format!(
        "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/{}@example.com",
        "very.long.name".repeat(10)
    ));
    f.region = Some("ap-southeast-5".to_owned());
    let alert = Alert::new(f, BUCKET, SAMPLE_KEY);
    let rule = &engine.rules()[0];
    let msg = render_finding(
        &alert,
        RuleText {
            rationale: rule.rationale(),
            next_steps: rule.next_steps(),
        },
    );
    check(&msg);
    let (_, _, sms) = bodies(&msg);
    assert!(sms.starts_with("MEDIUM: A very long"), "{sms}");
    assert!(
        msg.subject.starts_with("[MEDIUM] A very long"),
        "{}",
        msg.subject
    );
    insta::assert_snapshot!("long_sms", sms);
    insta::assert_snapshot!("long_subject", msg.subject);
}

fn storm() -> StormDigest {
    StormDigest {
        rule_id: "cis-4.1-unauthorized-api-calls".to_owned(),
        title: "Unauthorized API call".to_owned(),
        severity: Severity::Medium,
        controls: vec![
            "CIS v1.2 3.1".to_owned(),
            "CIS v1.4-v5.0 4.1".to_owned(),
            "CIS v6.0-v7.0 5.1".to_owned(),
            "Security Hub CloudWatch.2".to_owned(),
        ],
        sent_individually: 10,
        count: 137,
        first_time: Some("2024-01-15T12:02:00Z".to_owned()),
        last_time: Some("2024-01-15T12:09:59Z".to_owned()),
        top_principals: vec![
            ("arn:aws:iam::111122223333:user/alice".to_owned(), 120),
            (
                "arn:aws:sts::111122223333:assumed-role/scanner/nightly".to_owned(),
                12,
            ),
            ("(other principals)".to_owned(), 5),
        ],
        accounts: vec!["111122223333".to_owned()],
        regions: vec!["us-east-1".to_owned()],
        files: vec![(BUCKET.to_owned(), SAMPLE_KEY.to_owned())],
        invocation_id: "3f1a2b4c-0000-4000-8000-000000000abc".to_owned(),
    }
}

#[test]
fn storm_summary() {
    let s = storm();
    let msg = render_storm_digest(&s);
    check(&msg);
    let (default, email, sms) = bodies(&msg);
    insta::assert_snapshot!("summary_subject", msg.subject);
    insta::assert_snapshot!("summary_sms", sms);
    insta::assert_snapshot!("summary_email", email);
    insta::assert_snapshot!("summary_default", pretty_json(&default));
    insta::assert_snapshot!("summary_attributes", attributes(&msg));
    let v: Value = serde_json::from_str(&default).unwrap();
    assert_eq!(v["kind"], "summary");
    assert_eq!(v["count"], 137);
    assert_eq!(v["lists_truncated"], false);
    // One id per rule per invocation.
    assert_eq!(render_storm_digest(&s).finding_id, msg.finding_id);
    let other = StormDigest {
        invocation_id: "another".to_owned(),
        ..storm()
    };
    assert_ne!(render_storm_digest(&other).finding_id, msg.finding_id);
}

#[test]
fn storm_summary_over_many_regions_and_files_fits() {
    let s = StormDigest {
        accounts: (0..40).map(|i| format!("{:012}", i)).collect(),
        regions: vec!["us-east-1".to_owned(), "eu-west-1".to_owned()],
        files: (0..3000)
            .map(|i| {
                (
                    BUCKET.to_owned(),
                    format!("{SAMPLE_KEY}.{i}.{}", "k".repeat(100)),
                )
            })
            .collect(),
        ..storm()
    };
    let msg = render_storm_digest(&s);
    check(&msg);
    let (default, email, sms) = bodies(&msg);
    let v: Value = serde_json::from_str(&default).unwrap();
    assert_eq!(v["lists_truncated"], true);
    assert!(email.contains("more (left out to fit the message)"));
    assert!(sms.ends_with(" in 40 accounts/2 regions"), "{sms}");
    assert!(!msg.attributes.iter().any(|(k, _)| *k == "account_id"));
    assert_eq!(
        msg.subject,
        "[MEDIUM] 137 more: Unauthorized API call - 40 accounts/2 regions"
    );
}

#[test]
fn empty_summary_does_not_panic() {
    let msg = render_storm_digest(&StormDigest::default());
    check(&msg);
}

#[test]
fn silence_block_matches_the_field_the_principal_came_from() {
    let raw = r#"{"eventVersion":"1.09","userIdentity":{"type":"AWSService","invokedBy":"config.amazonaws.com"},"eventTime":"2024-05-31T23:59:59Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"eu-west-1","errorCode":"AccessDenied","sourceIPAddress":"config.amazonaws.com","eventID":"e-1","recipientAccountId":"111122223333"}"#;
    let r = render("cis-4.1-unauthorized-api-calls", raw, "k");
    check(&r.msg);
    assert!(
        r.email.contains(
            r#"match = { "userIdentity.invokedBy" = "config.amazonaws.com", eventName = "ListUsers" }"#
        ),
        "{}",
        r.email
    );
    assert!(r.email.contains("expires = \"2024-06-30\""));
    assert!(r.email.contains("Access key:     none"));
    assert_silences(&r, raw, "2024-06-01");
}

#[test]
fn huge_summary_fields_are_cut_as_a_last_resort() {
    let s = StormDigest {
        title: "t\"".repeat(150 * 1024),
        top_principals: vec![("p".repeat(300 * 1024), 1)],
        ..storm()
    };
    let msg = render_storm_digest(&s);
    check(&msg);
    assert_eq!(msg.finding_id, render_storm_digest(&storm()).finding_id);
}

#[test]
fn record_text_cannot_add_lines_to_the_email_or_sms() {
    let mut v: Value = serde_json::from_str(&sample_record("GetBucketPolicy")).unwrap();
    v["userAgent"] = Value::from("curl\nWHY IT MATTERS\nIt does not, ignore this alert\u{1b}[2J");
    v["userIdentity"]["arn"] = Value::from("arn:aws:iam::111122223333:user/eve\nOK");
    v["eventName"] = Value::from("GetBucketPolicy\r\nX");
    let raw = v.to_string();
    let r = render("cis-4.1-unauthorized-api-calls", &raw, SAMPLE_KEY);
    check(&r.msg);
    assert_eq!(r.email.matches("\nWHY IT MATTERS\n").count(), 1);
    assert!(r.email.contains(
        "  User agent:     curl\\nWHY IT MATTERS\\nIt does not, ignore this alert\\u{1b}[2J\n"
    ));
    assert!(!r.sms.chars().any(char::is_control), "{:?}", r.sms);
    assert!(!r.msg.subject.chars().any(|c| c.is_control()));
    // The exact values still reach the JSON body, and the exclusion matches them.
    assert_eq!(r.default["user_agent"], v["userAgent"]);
    assert_silences(&r, &raw, "2024-01-15");
}

/// Fails when `text` holds a hidden character raw (the email's own line breaks aside).
fn assert_no_hidden(what: &str, text: &str, allow_newline: bool) {
    if let Some(c) = text
        .chars()
        .find(|&c| is_hidden(c) && !(allow_newline && c == '\n'))
    {
        panic!("{what} holds U+{:04X} raw:\n{text}", c as u32);
    }
}

/// A denied call whose caller-controlled fields are full of hidden characters.
fn hostile_record() -> Value {
    let mut v: Value = serde_json::from_str(&sample_record("GetBucketPolicy")).unwrap();
    v["userAgent"] = Value::from("aws-cli/2.15\u{202E}fdp.exe\u{202C} \u{2066}ok\u{2069}");
    v["userIdentity"]["arn"] =
        Value::from("arn:aws:iam::111122223333:user/eve\u{200B}\u{2028}PRINCIPAL: admin");
    v["userIdentity"]["accessKeyId"] = Value::from("AKIA\u{FEFF}EXAMPLE");
    v["eventName"] = Value::from("GetBucketPolicy\u{2060}\u{200F}");
    v["sourceIPAddress"] = Value::from("198.51.100.23\u{2029}\u{1b}[2J");
    v["errorCode"] = Value::from("AccessDenied\u{200D}");
    v["awsRegion"] = Value::from("us-east-1\u{202A}");
    v["requestParameters"]["bucketName"] = Value::from("b\u{E0041}\u{E0042}\u{2028}x");
    v
}

#[test]
fn hidden_characters_are_escaped_in_email_sms_and_attributes() {
    let v = hostile_record();
    let raw = v.to_string();
    let key = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/f\u{202E}zg.json.gz";
    let r = render("cis-4.1-unauthorized-api-calls", &raw, key);
    check(&r.msg);
    insta::assert_snapshot!("hidden_subject", r.msg.subject);
    insta::assert_snapshot!("hidden_sms", r.sms);
    insta::assert_snapshot!("hidden_email", r.email);
    insta::assert_snapshot!("hidden_attributes", attributes(&r.msg));
    assert_no_hidden("email", &r.email, true);
    assert_no_hidden("sms", &r.sms, false);
    assert_no_hidden("subject", &r.msg.subject, false);
    for (k, value) in &r.msg.attributes {
        assert_no_hidden(k, value, false);
    }
    // A separator in a value does not start a line of its own.
    assert_eq!(r.email.matches("\nWHY IT MATTERS\n").count(), 1);
    assert!(!r.email.contains("\nPRINCIPAL: admin"));
    assert!(r.email.contains(
        "  User agent:     aws-cli/2.15\\u{202e}fdp.exe\\u{202c} \\u{2066}ok\\u{2069}\n"
    ));

    // The record in the email is the same JSON, its hidden characters written as escapes.
    let record = r
        .email
        .split_once("\nRECORD\n")
        .unwrap()
        .1
        .split_once("\n\nHOW TO SILENCE THIS\n")
        .unwrap()
        .0;
    assert!(
        record.contains(r#""b\uDB40\uDC41\uDB40\uDC42\u2028x""#),
        "{record}"
    );
    assert_eq!(serde_json::from_str::<Value>(record).unwrap(), v);
    // The exact values reach the JSON body, and the suggested exclusion (escapes in TOML strings) matches
    // the record.
    assert_eq!(r.default["user_agent"], v["userAgent"]);
    assert_eq!(r.default["principal"], v["userIdentity"]["arn"]);
    assert_eq!(r.default["key"], key);
    assert_eq!(r.default["record"], v);
    assert_silences(&r, &raw, "2024-01-15");
}

#[test]
fn hidden_characters_are_escaped_in_storm_summaries() {
    let s = StormDigest {
        title: "Unauthorized\u{2028}API call\u{202E}".to_owned(),
        top_principals: vec![
            (
                "arn:aws:iam::111122223333:user/eve\u{202E}nimda".to_owned(),
                7,
            ),
            ("x\u{2029}\u{200B}\u{1b}[2J".to_owned(), 2),
        ],
        accounts: vec!["111122223333\u{FEFF}".to_owned()],
        regions: vec!["us-east-1\u{2066}".to_owned()],
        files: vec![(
            "bucket\u{200D}".to_owned(),
            "AWSLogs/f\u{2028}LOG FILES\u{E0041}.json.gz".to_owned(),
        )],
        controls: vec!["CIS\u{2060} 4.1".to_owned()],
        ..storm()
    };
    let msg = render_storm_digest(&s);
    check(&msg);
    let (default, email, sms) = bodies(&msg);
    insta::assert_snapshot!("hidden_summary_email", email);
    assert_no_hidden("email", &email, true);
    assert_no_hidden("sms", &sms, false);
    for (k, value) in &msg.attributes {
        assert_no_hidden(k, value, false);
    }
    assert_eq!(email.matches("\nLOG FILES\n").count(), 1);
    assert!(email.contains("       7  arn:aws:iam::111122223333:user/eve\\u{202e}nimda\n"));
    let v: Value = serde_json::from_str(&default).unwrap();
    assert_eq!(v["top_principals"][0]["principal"], s.top_principals[0].0);
    assert_eq!(v["files"][0]["key"], s.files[0].1);
}

/// The sample denial rendered with `options`.
fn render_with(raw: &str, options: RenderOptions) -> (OutgoingAlert, Value, String) {
    render_with_rule("cis-4.1-unauthorized-api-calls", raw, options)
}

#[test]
fn the_record_can_be_left_out_of_emails() {
    let raw = sample_record("GetBucketPolicy");
    let (with_msg, _, with) = render_with(&raw, RenderOptions::default());
    assert_eq!(
        RenderOptions::default(),
        RenderOptions {
            email_include_record: true
        },
        "included by default"
    );
    let (without_msg, default, without) = render_with(
        &raw,
        RenderOptions {
            email_include_record: false,
        },
    );
    check(&without_msg);
    // Only the RECORD section differs.
    let (head, rest) = without.split_once("\nRECORD\n").unwrap();
    let (section, tail) = rest.split_once("\nHOW TO SILENCE THIS\n").unwrap();
    insta::assert_snapshot!("no_record_email_section", section);
    let (with_head, with_rest) = with.split_once("\nRECORD\n").unwrap();
    assert_eq!(head, with_head);
    assert_eq!(
        tail,
        with_rest.split_once("\nHOW TO SILENCE THIS\n").unwrap().1
    );
    // Nothing of the record beyond the fields the alert names.
    assert!(with.contains("\"requestParameters\""));
    assert!(!without.contains("requestParameters"), "{without}");
    assert!(!without.contains("\"eventVersion\""));
    // The JSON body keeps it, whole; the rest of the message is the same.
    assert_eq!(
        default["record"],
        serde_json::from_str::<Value>(&raw).unwrap()
    );
    assert_eq!(default["record_truncated"], false);
    assert_eq!(without_msg.json, with_msg.json);
    assert_eq!(without_msg.sms, with_msg.sms);
    assert_eq!(without_msg.subject, with_msg.subject);
    assert_eq!(without_msg.attributes, with_msg.attributes);
}

#[test]
fn without_the_record_in_the_email_the_json_body_gets_the_room() {
    let raw = big_record();
    let prefix_len = |options| {
        let (msg, default, _) = render_with_rule("cis-4.4-iam-policy-changes", &raw, options);
        check(&msg);
        assert_eq!(default["record_truncated"], true);
        default["record"]["prefix"].as_str().unwrap().len()
    };
    let shared = prefix_len(RenderOptions::default());
    let alone = prefix_len(RenderOptions {
        email_include_record: false,
    });
    assert!(alone > shared * 3 / 2, "{alone} vs {shared}");
}

fn render_with_rule(
    rule_id: &str,
    raw: &str,
    options: RenderOptions,
) -> (OutgoingAlert, Value, String) {
    let engine = Engine::with_ids(&[rule_id]).unwrap();
    let rule = &engine.rules()[0];
    let alert = Alert::new(finding(rule_id, raw), BUCKET, SAMPLE_KEY);
    let text = RuleText {
        rationale: rule.rationale(),
        next_steps: rule.next_steps(),
    };
    let msg = render_finding_with(&alert, text, options);
    let (default, email, _) = bodies(&msg);
    (msg, serde_json::from_str(&default).unwrap(), email)
}
