//! Threshold rules through the `trailwarden` binary: a generated log file of bulk secret reads fires
//! `secrets-bulk-retrieval` once, with its count, in `scan`; a custom threshold rule from a rules file counts
//! across the files of one scan; `rules explain` shows a threshold rule's count.

mod common;

use common::run;
use std::path::Path;

/// A log file of `n` `GetSecretValue` calls by one user, one distinct secret each, a minute apart from `from`.
fn secret_reads(dir: &Path, name: &str, from: usize, n: usize) -> String {
    let records: Vec<String> = (from..from + n)
        .map(|i| {
            format!(
                r#"{{"eventVersion":"1.09","eventID":"00000000-0000-4000-8000-{i:012}","eventTime":"2026-03-02T10:{i:02}:00Z",
                "eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","awsRegion":"us-east-1",
                "recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.9",
                "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333"}},
                "requestParameters":{{"secretId":"prod/secret-{i}"}}}}"#
            )
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, format!(r#"{{"Records":[{}]}}"#, records.join(","))).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn scan_fires_a_threshold_rule_once_with_its_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = secret_reads(dir.path(), "a.json", 0, 14);
    let r = run([
        "scan",
        "--format",
        "jsonl",
        "--rules",
        "secrets-bulk-retrieval",
        &file,
    ])
    .expect(0);
    let findings = r.lines();
    assert_eq!(findings.len(), 1, "{}", r.stdout);
    let f = &findings[0];
    assert_eq!(f["rule_id"], "secrets-bulk-retrieval");
    assert_eq!(
        f["event_id"], "00000000-0000-4000-8000-000000000009",
        "the tenth read fires"
    );
    assert_eq!(f["threshold"]["count"], 10);
    assert_eq!(f["threshold"]["threshold"], 10);
    assert_eq!(f["threshold"]["window_minutes"], 10);
    assert_eq!(
        f["threshold"]["key"][0],
        "arn:aws:iam::111122223333:user/mallory"
    );
    assert_eq!(
        f["threshold"]["distinct_values"].as_array().unwrap().len(),
        10
    );
    assert!(
        f["note"]
            .as_str()
            .unwrap()
            .starts_with("threshold: 10 distinct"),
        "{f}"
    );
    assert!(
        r.stderr.contains("secrets-bulk-retrieval: 1"),
        "{}",
        r.stderr
    );

    // Nine reads: nothing.
    let nine = secret_reads(dir.path(), "nine.json", 0, 9);
    let r = run([
        "scan",
        "--format",
        "jsonl",
        "--rules",
        "secrets-bulk-retrieval",
        &nine,
    ])
    .expect(0);
    assert!(r.lines().is_empty(), "{}", r.stdout);
}

#[test]
fn a_custom_threshold_rule_counts_across_the_files_of_one_scan() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rules.toml");
    std::fs::write(
        &config,
        "profile = \"cis\"\n[[custom_rules]]\nid = \"bulk-secret-reads\"\ntitle = \"Bulk secret reads\"\nseverity = \"high\"\n\
         pattern = '{ ($.eventSource = secretsmanager.amazonaws.com) && ($.eventName = GetSecretValue) }'\n\
         threshold = { count = 6, window_minutes = 10, group_by = [\"userIdentity.arn\"], distinct = \"requestParameters.secretId\" }\n",
    )
    .unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    secret_reads(&logs, "1.json", 0, 3);
    secret_reads(&logs, "2.json", 3, 3);
    let config = config.to_string_lossy().into_owned();
    let r = run([
        "scan",
        "--format",
        "jsonl",
        "--config",
        &config,
        &logs.to_string_lossy(),
    ])
    .expect(0);
    let ids: Vec<String> = r
        .lines()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["bulk-secret-reads"], "{}", r.stdout);
    assert_eq!(r.lines()[0]["threshold"]["count"], 6);

    // A bad threshold is a line:col error.
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[custom_rules]]\nid = \"x\"\ntitle = \"X\"\nseverity = \"low\"\npattern = '{ $.a = 1 }'\nthreshold = { count = 0, window_minutes = 10 }\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml").to_string_lossy().into_owned();
    let r = run(["scan", "--config", &bad, &logs.to_string_lossy()]);
    assert_ne!(r.code, Some(0));
    assert!(
        r.stderr
            .contains("bad.toml:6:23: invalid threshold: count must be between 1"),
        "{}",
        r.stderr
    );
}

#[test]
fn explain_shows_a_threshold_rules_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = secret_reads(dir.path(), "a.json", 0, 1);
    let r = run([
        "rules",
        "explain",
        "--event-id",
        "00000000-0000-4000-8000-000000000000",
        "--rules",
        "secrets-bulk-retrieval",
        &file,
    ])
    .expect(0);
    for needle in [
        "secrets-bulk-retrieval [high]: MATCHED: counts toward the threshold",
        "threshold: at least 10 distinct requestParameters.secretId + requestParameters.secretIdList within 10 minutes per userIdentity.arn (count 10, window 10 minutes)",
    ] {
        assert!(r.stdout.contains(needle), "{needle:?} not in\n{}", r.stdout);
    }
    let r = run([
        "rules",
        "explain",
        "--format",
        "json",
        "--event-id",
        "00000000-0000-4000-8000-000000000000",
        "--rules",
        "secrets-bulk-retrieval",
        &file,
    ])
    .expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let v = if v.is_array() { v[0].clone() } else { v };
    let rule = &v["rules"][0];
    assert_eq!(rule["kind"], "threshold");
    assert_eq!(rule["threshold"]["count"], 10);
    assert_eq!(rule["threshold"]["window_minutes"], 10);
}
