//! The CIS rules over the shared corpus of real CloudTrail log files (`../shared/corpus`: Stratus Red Team
//! attack logs and cloud-snitch samples), through the same path as production: `cloudtrail::LogReader` →
//! `rules::scan_log`. Per-rule finding counts must equal numbers derived independently of this crate.
//!
//! How the expected numbers were derived: a throwaway Python script (kept outside the repository) that
//! hand-translates each CIS pattern into a Python predicate with CloudWatch semantics (only string and number
//! values compare; `!=` on a missing field, `null`, a boolean, an object or an array is false; matching is
//! case-sensitive; `&&` binds tighter than `||`, e.g. 4.1 reads `*UnauthorizedOperation || (AccessDenied* &&
//! … && …)`), loads every `*.json.gz` under the corpus with `gzip` + `json`, and counts matching records per
//! rule. Corpus at the time: 37 files, 331 records.

use cloudtrail::{LogReader, ReaderOptions};
use rules::{scan_log, Engine};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

/// Every CIS rule, with the number of corpus records it must match and what they are.
const EXPECTED: &[(&str, u64)] = &[
    // 46 `Client.UnauthorizedOperation` (GetPasswordData ×30, DescribeInstanceAttribute ×15, RunInstances ×1)
    // and 5 `AccessDenied` (AssumeRole ×4 in ec2-get-password-data / ec2-download-user-data, LeaveOrganization
    // ×1); none is from delivery.logs or a HeadBucket. The corpus's only other error record
    // (DeleteLoginProfile, EntityTemporarilyUnmodifiableException) does not match.
    ("cis-4.1-unauthorized-api-calls", 51),
    // Stratus `initial-access.console-login-without-mfa`: IAM user, MFAUsed "No", Success.
    ("cis-4.2-console-signin-without-mfa", 1),
    // The same record: it is an IAMUser and a Success, so the SSO-friendly variant fires too.
    ("cis-4.2-console-signin-without-mfa-iam-user", 1),
    // No root activity in the corpus.
    ("cis-4.3-root-account-usage", 0),
    // AttachUserPolicy AdministratorAccess (iam-create-admin-user) and AttachRolePolicy AdministratorAccess
    // (iam-create-backdoor-role). UpdateAssumeRolePolicy (iam-backdoor-role) is not in the CIS list.
    ("cis-4.4-iam-policy-changes", 2),
    // DeleteTrail (cloudtrail-delete) and StopLogging (cloudtrail-stop); PutEventSelectors
    // (cloudtrail-event-selectors) is not in the CIS list.
    ("cis-4.5-cloudtrail-config-changes", 2),
    ("cis-4.6-console-authentication-failures", 0),
    // Only KMS Decrypt calls in the corpus.
    ("cis-4.7-cmk-disable-or-scheduled-deletion", 0),
    // Only GetBucketAcl calls in the corpus.
    ("cis-4.8-s3-bucket-policy-changes", 0),
    ("cis-4.9-aws-config-changes", 0),
    // AuthorizeSecurityGroupIngress tcp/22 (ec2-security-group-open-port-22-ingress).
    ("cis-4.10-security-group-changes", 1),
    ("cis-4.11-nacl-changes", 0),
    ("cis-4.12-network-gateway-changes", 0),
    ("cis-4.13-route-table-changes", 0),
    ("cis-4.14-vpc-changes", 0),
    // LeaveOrganization denied with AccessDenied (organizations-leave): the pattern has no errorCode term, so
    // the attempt counts.
    ("cis-4.15-organizations-changes", 1),
];

fn log_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            log_files(&p, out);
        } else if p.to_string_lossy().ends_with(".json.gz") {
            out.push(p);
        }
    }
}

#[test]
fn cis_rules_over_the_shared_corpus_match_the_independent_counts() {
    let corpus = Path::new(CORPUS);
    if !corpus.is_dir() {
        println!("SKIP: no corpus at {}", corpus.display());
        return;
    }
    let mut files = Vec::new();
    log_files(corpus, &mut files);
    assert!(!files.is_empty(), "no .json.gz under {}", corpus.display());

    let ids: Vec<&str> = EXPECTED.iter().map(|(id, _)| *id).collect();
    let engine = Engine::with_ids(&ids).unwrap();
    assert_eq!(engine.rules().len(), ids.len());

    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut records = 0;
    for f in &files {
        let file = std::fs::File::open(f).unwrap();
        let mut reader = LogReader::new(file, ReaderOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let stats = scan_log(&mut reader, &engine, |finding| {
            *counts.entry(finding.rule_id).or_default() += 1;
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(stats.malformed, 0, "{}: malformed records", f.display());
        records += stats.records;
    }
    println!("{} files, {records} records", files.len());
    for (id, n) in &counts {
        println!("{n:4} {id}");
    }

    let mismatches: Vec<String> = EXPECTED
        .iter()
        .filter_map(|(id, want)| {
            let got = counts.get(*id).copied().unwrap_or(0);
            (got != *want).then(|| format!("{id}: got {got}, want {want}"))
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
