//! Real CloudTrail records: `../shared/corpus/stratus-red-team/*.json.gz` (DataDog/stratus-red-team
//! detonation logs, Apache-2.0). Skipped with a message when `../shared` is absent (a failure under `CI=true`).

use super::pattern;
use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;

fn corpus_dir() -> Option<PathBuf> {
    test_support::require(test_support::shared_dir().join("corpus/stratus-red-team"))
}

fn records(dir: &std::path::Path, name: &str) -> Vec<Value> {
    let path = dir.join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut log: Value = serde_json::from_str(&text).unwrap();
    match log["Records"].take() {
        Value::Array(records) => records,
        other => panic!("{}: Records is {other}", path.display()),
    }
}

fn count(src: &str, records: &[Value]) -> usize {
    let p = pattern(src);
    records.iter().filter(|r| p.matches(*r)).count()
}

const ROOT: &str = r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#;
const NO_MFA: &str = r#"{($.eventName="ConsoleLogin") && ($.additionalEventData.MFAUsed !="Yes")}"#;
const NO_MFA_SSO: &str = r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#;
const UNAUTHORIZED_V1_2: &str =
    r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#;
const UNAUTHORIZED_V1_4: &str = r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }"#;
const UNAUTHORIZED_V4_0: &str = "{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && ($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }";
const TRAIL_CHANGES: &str = "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}";

#[test]
fn console_login_without_mfa() {
    let Some(dir) = corpus_dir() else { return };
    // One record: an IAM user's successful console sign-in with "MFAUsed": "No".
    let recs = records(&dir, "aws.initial-access.console-login-without-mfa.json.gz");
    assert_eq!(recs.len(), 1);
    assert_eq!(count(NO_MFA, &recs), 1);
    assert_eq!(count(NO_MFA_SSO, &recs), 1);
    // The signer is an IAMUser, not Root: the root-usage control must stay quiet.
    assert_eq!(count(ROOT, &recs), 0);
    // Turned into a root sign-in, it fires; invoked by a service, it does not.
    let mut root = recs[0].clone();
    root["userIdentity"]["type"] = "Root".into();
    assert!(pattern(ROOT).matches(&root));
    root["userIdentity"]["invokedBy"] = "signin.amazonaws.com".into();
    assert!(!pattern(ROOT).matches(&root));
}

#[test]
fn unauthorized_calls_on_a_denied_attack() {
    let Some(dir) = corpus_dir() else { return };
    // 34 records: 30 GetPasswordData with Client.UnauthorizedOperation, 2 AssumeRole AccessDenied,
    // 2 successful AssumeRole; none from delivery.logs.amazonaws.com.
    let recs = records(&dir, "aws.credential-access.ec2-get-password-data.json.gz");
    assert_eq!(recs.len(), 34);
    assert_eq!(count(UNAUTHORIZED_V1_2, &recs), 32);
    assert_eq!(count(UNAUTHORIZED_V4_0, &recs), 32);
    // The v1.4 benchmark text matches every record.
    assert_eq!(count(UNAUTHORIZED_V1_4, &recs), 34);
}

#[test]
fn whole_corpus_counts() {
    let Some(dir) = corpus_dir() else { return };
    let mut all = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json.gz"))
        .collect();
    names.sort();
    for name in &names {
        all.extend(records(&dir, name));
    }
    assert_eq!(all.len(), 310, "records in {} files", names.len());
    // Counted independently from the data: no Root records at all; StopLogging and DeleteTrail once
    // each; 51 records with an *UnauthorizedOperation or AccessDenied* error code.
    assert_eq!(count(ROOT, &all), 0);
    assert_eq!(count(TRAIL_CHANGES, &all), 2);
    assert_eq!(count(UNAUTHORIZED_V1_2, &all), 51);
    assert_eq!(count(UNAUTHORIZED_V1_4, &all), all.len());
}
