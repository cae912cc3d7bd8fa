//! The noise budget's per-rule counting (`make bench`'s "Noise budget" section): the pipeline measurement
//! over a tiny written log file, with exact counts, a threshold rule included.

use bench::measure::{self, RuleSet};
use bench::noise::{self, RuleRate};
use rules::Profile;
use serde_json::{json, Value};

fn record(time: &str, source: &str, name: &str, identity: Value, params: Value) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": time,
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": params,
        "responseElements": null,
        "eventID": format!("{name}-{time}"),
        "readOnly": true,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "111122223333",
    })
}

fn role(name: &str) -> Value {
    json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:session",
        "arn": format!("arn:aws:sts::111122223333:assumed-role/{name}/session"),
        "accountId": "111122223333",
        "accessKeyId": "ASIAEXAMPLE",
    })
}

/// 20 records: 10 distinct secrets read by one role within 5 minutes (one full window of
/// `secrets-bulk-retrieval`: 10 distinct in 10 minutes), 5 reads of one secret by an application role
/// (distinct counting keeps it quiet), 2 root `CreateAccessKey` from the console (`root-access-key-created`,
/// whatever `invokedBy` says), 3 `DescribeInstances`.
fn log() -> Value {
    let mut records = Vec::new();
    for i in 0..10 {
        records.push(record(
            &format!("2026-03-01T10:0{}:00Z", i / 2),
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            role("intruder"),
            json!({ "secretId": format!("prod/secret-{i}") }),
        ));
    }
    for i in 0..5 {
        records.push(record(
            &format!("2026-03-01T10:0{i}:30Z"),
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            role("app"),
            json!({ "secretId": "prod/db-password" }),
        ));
    }
    let root = json!({
        "type": "Root",
        "principalId": "111122223333",
        "arn": "arn:aws:iam::111122223333:root",
        "accountId": "111122223333",
        "invokedBy": "signin.amazonaws.com",
    });
    for t in ["2026-03-01T11:00:00Z", "2026-03-01T11:05:00Z"] {
        records.push(record(
            t,
            "iam.amazonaws.com",
            "CreateAccessKey",
            root.clone(),
            json!({}),
        ));
    }
    for i in 0..3 {
        records.push(record(
            &format!("2026-03-01T12:0{i}:00Z"),
            "ec2.amazonaws.com",
            "DescribeInstances",
            role("app"),
            json!({ "instancesSet": {} }),
        ));
    }
    json!({ "Records": records })
}

#[test]
fn per_rule_counts_and_rates_of_the_default_profile_include_threshold_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.json");
    std::fs::write(&path, serde_json::to_vec(&log()).unwrap()).unwrap();

    let result = measure::pipeline(&path, &RuleSet::Profile(Profile::Recommended)).unwrap();
    assert_eq!(result.records, 20);
    let n = noise::noise(Profile::Recommended, &result).unwrap();
    assert_eq!(n.records, 20);
    assert_eq!(
        n.firing,
        vec![
            RuleRate {
                rule_id: "root-access-key-created".into(),
                findings: 2,
                per_100k: 10_000.0,
                threshold: false,
            },
            RuleRate {
                rule_id: "secrets-bulk-retrieval".into(),
                findings: 1,
                per_100k: 5_000.0,
                threshold: true,
            },
        ]
    );
    let recommended = rules::Engine::profile(Profile::Recommended)
        .unwrap()
        .rules()
        .len();
    assert_eq!(n.rules, recommended);
    assert_eq!(n.silent, recommended - 2);

    let text = noise::render(&n);
    assert!(
        text.contains("| root-access-key-created | 2 | 10000.0 |"),
        "{text}"
    );
    assert!(
        text.contains("| secrets-bulk-retrieval (threshold) | 1 | 5000.0 |"),
        "{text}"
    );
    assert!(
        text.contains(&format!("\n{} rules: 0\n", recommended - 2)),
        "{text}"
    );
}

#[test]
fn rates_have_one_decimal_per_100000_records() {
    assert_eq!(noise::per_100k(0, 0), 0.0);
    assert_eq!(noise::per_100k(7, 350_000), 2.0);
    let n = noise::Noise {
        profile: "recommended".into(),
        records: 300_000,
        rules: 3,
        firing: vec![
            RuleRate {
                rule_id: "a".into(),
                findings: 4,
                per_100k: noise::per_100k(4, 300_000),
                threshold: false,
            },
            RuleRate {
                rule_id: "b".into(),
                findings: 1,
                per_100k: noise::per_100k(1, 300_000),
                threshold: false,
            },
        ],
        silent: 1,
    };
    let text = noise::render(&n);
    assert!(text.contains("| a | 4 | 1.3 |"), "{text}");
    assert!(text.contains("| b | 1 | 0.3 |"), "{text}");
    assert!(text.contains("\n1 rules: 0\n"), "{text}");
    assert!(
        text.contains("Above 1 per 100,000 records: a (1.3)."),
        "{text}"
    );
}
