//! `trailwarden hunt`: every query over the sample logs in `events/` and a cross-account fixture, and over
//! the shared corpus of real CloudTrail files, where the expected answers were worked out by hand with
//! `zcat | python3 -m json.tool` and a few lines of Python (see each test).

mod common;

use common::*;
use serde_json::{json, Value};

fn field<'a>(rows: &'a [Value], key: &str) -> Vec<&'a str> {
    rows.iter()
        .map(|r| r[key].as_str().unwrap_or("null"))
        .collect()
}

#[test]
fn regions_over_the_samples_with_an_allow_list() {
    let rows = hunt(
        &["regions", "--allowed-regions", "us-east-1,eu-west-1"],
        &[EVENTS, CROSS],
    );
    let got: Vec<(&str, u64, u64, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["region"].as_str().unwrap(),
                r["calls"].as_u64().unwrap(),
                r["errors"].as_u64().unwrap(),
                r["allowed"].as_bool().unwrap(),
            )
        })
        .collect();
    // The sample: 8 calls in us-east-1, 4 of them errors; the fixture: 5 in us-east-1 (3 errors), 1 in
    // eu-west-1, 1 in ap-southeast-2.
    assert_eq!(
        got,
        [
            ("us-east-1", 13, 7, true),
            ("ap-southeast-2", 1, 0, false),
            ("eu-west-1", 1, 0, true)
        ]
    );
    assert_eq!(rows[0]["first_seen"], "2024-01-15T12:01:00Z");
    assert_eq!(rows[0]["last_seen"], "2024-01-16T09:06:00Z");

    // The table flags the region; without an allow-list nothing is flagged.
    let table = run([
        "hunt",
        "regions",
        "--format",
        "table",
        "--allowed-regions",
        "us-east-1",
        CROSS,
    ])
    .expect(0);
    let line = table
        .stdout
        .lines()
        .find(|l| l.contains("ap-southeast-2"))
        .unwrap();
    assert!(line.contains("OUTSIDE"), "{}", table.stdout);
    assert!(
        table.stderr.contains("3 rows from 7 records in 1 file"),
        "{}",
        table.stderr
    );
    let open = hunt(&["regions"], &[CROSS]);
    assert!(open.iter().all(|r| r["allowed"].is_null()));
}

#[test]
fn regions_allow_list_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("t.toml");
    std::fs::write(
        &config,
        "allowed_regions = [\"us-east-1\"]\ntrusted_accounts = [\"444455556666\"]\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let rows = hunt(&["regions", "--config", config], &[CROSS]);
    let outside: Vec<&str> = rows
        .iter()
        .filter(|r| r["allowed"] == false)
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(outside, ["ap-southeast-2", "eu-west-1"]);
    let external = hunt(&["cross-account", "--config", config], &[CROSS]);
    assert_eq!(
        field(&external, "caller_account"),
        ["444455556666", "777788889999"]
    );
    assert_eq!(external[0]["trusted"], true);
    assert_eq!(external[1]["trusted"], false);
}

#[test]
fn identities_over_the_samples() {
    let rows = hunt(&["identities"], &[EVENTS]);
    let got: Vec<(&str, &str, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["type"].as_str().unwrap(),
                r["principal"].as_str().unwrap(),
                r["calls"].as_u64().unwrap(),
                r["errors"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("AssumedRole", "arn:aws:iam::111122223333:role/deploy", 2, 1),
            ("Root", "arn:aws:iam::111122223333:root", 2, 0),
            ("IAMUser", "arn:aws:iam::111122223333:user/alice", 2, 2),
            ("Root", "111122223333", 1, 0),
            ("AWSService", "delivery.logs.amazonaws.com", 1, 1),
        ]
    );
    assert_eq!(rows[2]["access_keys"], json!(["AKIAEXAMPLEKEY000001"]));
    assert_eq!(rows[2]["first_seen"], "2024-01-15T12:02:00Z");
    assert_eq!(rows[2]["last_seen"], "2024-01-15T12:05:00Z");
    assert_eq!(rows[2]["account"], "111122223333");
    // Sessions of a role are one identity, grouped by the role (the session issuer).
    assert_eq!(rows[0]["sessions"], 1);
    assert_eq!(rows[0]["access_keys"], json!(["ASIAEXAMPLEKEY000002"]));
}

#[test]
fn signins_over_the_samples() {
    let rows = hunt(&["signins"], &[EVENTS, CROSS]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["time"], "2024-01-15T12:01:00Z");
    assert_eq!(rows[0]["principal"], "arn:aws:iam::111122223333:root");
    assert_eq!(rows[0]["type"], "Root");
    assert_eq!(rows[0]["result"], "Success");
    assert_eq!(rows[0]["mfa_used"], "No");
    assert_eq!(rows[0]["source_ip"], "198.51.100.23");
    assert_eq!(rows[1]["principal"], "arn:aws:iam::111122223333:user/bob");
    assert_eq!(rows[1]["result"], "Failure");
    assert_eq!(rows[1]["error"], "Failed authentication");
    assert_eq!(rows[1]["source_ip"], "192.0.2.99");
}

#[test]
fn policy_and_security_group_changes_over_the_fixture() {
    let rows = hunt(&["policy-changes"], &[EVENTS, CROSS]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["event"], "PutUserPolicy");
    assert_eq!(rows[0]["target"], "user bob, policy inline-admin");
    assert_eq!(rows[0]["principal"], "arn:aws:iam::111122223333:user/alice");
    assert_eq!(rows[0]["result"], "ok");

    let rows = hunt(&["sg-changes"], &[EVENTS, CROSS]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["event"], "AuthorizeSecurityGroupIngress");
    assert_eq!(rows[0]["group"], "sg-0abc1234def567890");
    assert_eq!(rows[0]["rules"], "tcp 3389 from 0.0.0.0/0");
    assert_eq!(rows[0]["region"], "ap-southeast-2");
}

#[test]
fn access_key_lists_every_call_across_files_in_time_order() {
    let rows = hunt(&["access-key", "AKIAEXAMPLEKEY000001"], &[CROSS, EVENTS]);
    assert_eq!(
        field(&rows, "time"),
        [
            "2024-01-15T12:02:00Z",
            "2024-01-15T12:05:00Z",
            "2024-01-16T09:03:00Z",
            "2024-01-16T09:04:00Z",
            "2024-01-16T09:06:00Z",
        ]
    );
    assert_eq!(
        field(&rows, "event"),
        [
            "GetBucketPolicy",
            "HeadBucket",
            "PutUserPolicy",
            "AuthorizeSecurityGroupIngress",
            "ListBuckets"
        ]
    );
    assert_eq!(field(&rows, "error")[..2], ["AccessDenied", "AccessDenied"]);
    assert_eq!(rows[2]["error"], Value::Null);
    assert_eq!(rows[3]["source"], "ec2.amazonaws.com");
    assert_eq!(rows[3]["region"], "ap-southeast-2");
    assert_eq!(rows[3]["source_ip"], "198.51.100.23");
    assert_eq!(rows[3]["user_agent"], "aws-cli/2.15.0");
    // A key that made no call: an empty array, and success.
    assert!(hunt(&["access-key", "AKIANOTUSED"], &[EVENTS]).is_empty());
    let table = run([
        "hunt",
        "access-key",
        "AKIANOTUSED",
        "--format",
        "table",
        EVENTS,
    ])
    .expect(0);
    assert_eq!(table.stdout, "no rows\n");
}

#[test]
fn cross_account_calls_over_the_fixture() {
    let rows = hunt(&["cross-account"], &[EVENTS, CROSS]);
    let got: Vec<(&str, &str, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["caller_account"].as_str().unwrap(),
                r["event"].as_str().unwrap(),
                r["calls"].as_u64().unwrap(),
                r["denied"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("444455556666", "AssumeRole", 1, 0),
            ("777788889999", "GetObject", 2, 2)
        ]
    );
    assert_eq!(rows[1]["recipient_account"], "111122223333");
    assert_eq!(rows[1]["principals"], json!(["AIDAEXAMPLEOUTSIDER2"]));
    assert_eq!(rows[1]["event_source"], "s3.amazonaws.com");
}

#[test]
fn hunts_take_a_time_window() {
    let rows = hunt(&["regions", "--since", "2024-01-16"], &[EVENTS, CROSS]);
    let calls: u64 = rows.iter().map(|r| r["calls"].as_u64().unwrap()).sum();
    assert_eq!(calls, 7, "only the fixture's day");
    let r = run([
        "hunt",
        "identities",
        "--format",
        "json",
        "--until",
        "2024-01-15T12:02:00Z",
        EVENTS,
    ])
    .expect(0);
    let calls: u64 = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["calls"].as_u64().unwrap())
        .sum();
    assert_eq!(calls, 2);
    assert!(r.stderr.contains("; 6 outside the window"), "{}", r.stderr);
}

#[test]
fn hunt_exit_codes() {
    // Unreadable input: reported, the rest is still read, status 2.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let r = run([
        "hunt".as_ref(),
        "signins".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        missing.as_os_str(),
        EVENTS.as_ref(),
    ])
    .expect(2);
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert!(r.stderr.contains("error: "), "{}", r.stderr);
    // Usage errors: no query, no path, an unknown query, a missing key.
    for args in [
        vec!["hunt"],
        vec!["hunt", "regions"],
        vec!["hunt", "nope", EVENTS],
        vec!["hunt", "access-key"],
        vec!["hunt", "signins", "--format", "csv", EVENTS],
    ] {
        assert_eq!(run(&args).code, Some(2), "{args:?}");
    }
}

// --- the shared corpus: facts checked by hand --------------------------------------------------------------
//
// Derived with Python (`gzip` + `json`) over every `*.json.gz` under ../shared/corpus (37 files, 331 records):
// - regions: 35 distinct `awsRegion` values (anonymized names); the busiest is sagov-westsouth-1r with 56 calls,
//   no errors, one caller; apiso-northsouth-3r has 34 calls of which 32 have an errorCode; us-east-1 has 21
//   calls from 8 distinct callers (the two cloud-snitch files).
// - signins: one ConsoleLogin, in aws.initial-access.console-login-without-mfa: IAM user
//   arn:aws:iam::562283505220:user/stratus-red-team-nmfalu-jfzdtsvchl at 2024-08-02T08:53:24Z, Success, MFAUsed
//   No, from 225.01.00.16.
// - access-key: aws.defense-evasion.cloudtrail-stop holds one record, StopLogging by
//   arn:aws:iam::143434273843:user/christophe with key AKIAGGWFBBHBE7D3M9WI, which made no other call;
//   ASIANQQHHS551LWULIWD made 30 calls, all GetPasswordData refused with Client.UnauthorizedOperation,
//   between 2024-07-30T21:31:16Z and 21:31:21Z.
// - identities: 49 callers when assumed roles are grouped by role; the busiest is
//   arn:aws:iam::056392974792:user/christophe with 56 calls; the role
//   stratus-red-team-ec2-get-password-data-role made 30.
// - policy-changes: UpdateAssumeRolePolicy (iam-backdoor-role), AttachUserPolicy of AdministratorAccess to
//   malicious-iam-user (iam-create-admin-user), AttachRolePolicy (iam-create-backdoor-role).
// - sg-changes: one AuthorizeSecurityGroupIngress on sg-003dc7f1f1c686164, tcp 22 from 208.236.235.254/0.
// - cross-account: no record has a userIdentity.accountId different from its recipientAccountId.

#[test]
fn corpus_regions() {
    let Some(corpus) = corpus() else { return };
    let rows = hunt(&["regions"], &[corpus]);
    assert_eq!(rows.len(), 35);
    assert_eq!(
        rows.iter()
            .map(|r| r["calls"].as_u64().unwrap())
            .sum::<u64>(),
        331
    );
    assert_eq!(rows[0]["region"], "sagov-westsouth-1r");
    assert_eq!(
        (
            rows[0]["calls"].as_u64(),
            rows[0]["errors"].as_u64(),
            rows[0]["identities"].as_u64()
        ),
        (Some(56), Some(0), Some(1))
    );
    let by = |region: &str| rows.iter().find(|r| r["region"] == region).unwrap().clone();
    assert_eq!(by("apiso-northsouth-3r")["calls"], 34);
    assert_eq!(by("apiso-northsouth-3r")["errors"], 32);
    assert_eq!(by("us-east-1")["calls"], 21);
    assert_eq!(by("us-east-1")["identities"], 8);
}

#[test]
fn corpus_signins() {
    let Some(corpus) = corpus() else { return };
    let rows = hunt(&["signins"], &[corpus]);
    assert_eq!(rows.len(), 1);
    let s = &rows[0];
    assert_eq!(
        s["principal"],
        "arn:aws:iam::562283505220:user/stratus-red-team-nmfalu-jfzdtsvchl"
    );
    assert_eq!(s["type"], "IAMUser");
    assert_eq!(s["time"], "2024-08-02T08:53:24Z");
    assert_eq!(s["result"], "Success");
    assert_eq!(s["mfa_used"], "No");
    assert_eq!(s["source_ip"], "225.01.00.16");
}

#[test]
fn corpus_access_keys() {
    let Some(corpus) = corpus() else { return };
    let rows = hunt(&["access-key", "AKIAGGWFBBHBE7D3M9WI"], &[corpus]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["event"], "StopLogging");
    assert_eq!(rows[0]["source"], "cloudtrail.amazonaws.com");
    assert_eq!(
        rows[0]["principal"],
        "arn:aws:iam::143434273843:user/christophe"
    );
    assert_eq!(rows[0]["time"], "2024-07-31T13:06:24Z");
    assert_eq!(rows[0]["source_ip"], "86.245.153.234");
    assert_eq!(rows[0]["error"], Value::Null);

    let rows = hunt(&["access-key", "ASIANQQHHS551LWULIWD"], &[corpus]);
    assert_eq!(rows.len(), 30);
    assert!(rows
        .iter()
        .all(|r| r["event"] == "GetPasswordData" && r["error"] == "Client.UnauthorizedOperation"));
    assert_eq!(rows[0]["time"], "2024-07-30T21:31:16Z");
    assert_eq!(rows[29]["time"], "2024-07-30T21:31:21Z");
}

#[test]
fn corpus_identities() {
    let Some(corpus) = corpus() else { return };
    let rows = hunt(&["identities"], &[corpus]);
    assert_eq!(rows.len(), 49);
    assert_eq!(
        rows[0]["principal"],
        "arn:aws:iam::056392974792:user/christophe"
    );
    assert_eq!(rows[0]["calls"], 56);
    let role = rows
        .iter()
        .find(|r| {
            r["principal"]
                == "arn:aws:iam::457448411975:role/stratus-red-team-ec2-get-password-data-role"
        })
        .expect("the role is grouped");
    assert_eq!(role["type"], "AssumedRole");
    assert_eq!(role["calls"], 30);
    assert_eq!(role["errors"], 30);
}

#[test]
fn corpus_changes_and_cross_account_calls() {
    let Some(corpus) = corpus() else { return };
    let rows = hunt(&["policy-changes"], &[corpus]);
    assert_eq!(
        field(&rows, "event"),
        [
            "UpdateAssumeRolePolicy",
            "AttachUserPolicy",
            "AttachRolePolicy"
        ]
    );
    assert_eq!(
        rows[1]["target"],
        "user malicious-iam-user, policy arn:aws:iam::aws:policy/AdministratorAccess"
    );
    let rows = hunt(&["sg-changes"], &[corpus]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["group"], "sg-003dc7f1f1c686164");
    assert_eq!(rows[0]["rules"], "tcp 22 from 208.236.235.254/0");
    assert!(hunt(&["cross-account"], &[corpus]).is_empty());
}
