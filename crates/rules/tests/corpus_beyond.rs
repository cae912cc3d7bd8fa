//! The beyond-CIS rules over the real CloudTrail log files in `../shared/corpus` (35 Stratus Red Team
//! detonations, two cloud-snitch objects): every file is read with `cloudtrail::LogReader` and scanned with
//! `rules::scan_log`, using an engine of the beyond-CIS rules only.
//!
//! The expected numbers were derived independently of this crate: a throwaway Python script (kept outside the
//! repository) restates each rule from its documented semantics (not by porting the Rust) and ran over the same
//! files with `json`/`gzip`; it also agreed with every fixture's match/nomatch label. Its per-rule counts, and
//! which rules fired on which file, are the tables below.
//!
//! Skipped, with a `SKIP:` line, when the corpus is absent (a clone without `../shared`); a failure under `CI=true`.

use cloudtrail::{LogReader, ReaderOptions};
use rules::catalog::beyond::BEYOND;
use rules::{scan_log, Context, Engine, Finding};
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::path::PathBuf;

/// Findings per rule over the whole corpus, with an empty context (no trusted accounts, no watched keys, no
/// region allow-list), every beyond-CIS rule listed.
const EXPECTED_TOTALS: &[(&str, usize)] = &[
    ("root-activity", 0),
    ("root-console-login-success", 0),
    ("root-console-login-failure", 0),
    ("console-login-without-mfa", 1),
    ("cloudtrail-stopped-or-deleted", 2),
    ("cloudtrail-management-events-disabled", 1),
    ("guardduty-disabled", 0),
    ("security-configuration-change", 3),
    ("ebs-default-encryption-disabled", 0),
    ("access-key-created-for-other-user", 2),
    ("iam-user-created", 1),
    ("login-profile-changed-for-other-user", 2),
    ("s3-public-access-block-deleted", 0),
    ("vpc-flow-logs-deleted", 1),
    ("leave-organization", 1),
    ("ebs-snapshot-shared", 1),
    ("ami-shared", 1),
    ("external-principal-access", 0),
    ("external-principal-access-denied", 0),
    ("vpce-cross-account-access", 0),
    ("s3-copy-object-to-external-account", 0),
    ("watched-access-key-used", 0),
    ("unapproved-region", 0),
    ("s3-bucket-notification-changed", 0),
    ("trailwarden-pipeline-tampering", 0),
];

/// Which rules fire on which file (by file name), empty context. A file not listed fires nothing.
///
/// Every Stratus Red Team file named after an attack these rules are about fires what its name says:
/// * `cloudtrail-stop` / `cloudtrail-delete`: `StopLogging` / `DeleteTrail`, plus the umbrella rule.
/// * `cloudtrail-event-selectors`: `PutEventSelectors` with `includeManagementEvents: false` (and `ReadOnly`).
/// * `organizations-leave`: a `LeaveOrganization` **denied** (`AccessDenied`), which fires because attempts count.
/// * `vpc-remove-flow-logs`, `ec2-share-ami`, `ec2-share-ebs-snapshot` (shared with one account id),
///   `console-login-without-mfa` (an IAM user, `MFAUsed: "No"`).
/// * `iam-backdoor-user`: `CreateAccessKey` by user `christophe` for another user.
/// * `iam-create-admin-user`: `CreateUser`, then `CreateAccessKey` for the new user (another user).
/// * `iam-create-user-login-profile`: the successful `CreateLoginProfile` (`passwordResetRequired: false`) for
///   another user fires; the same file's `DeleteLoginProfile` failed (`EntityTemporarilyUnmodifiableException`)
///   and does not.
/// * `iam-update-user-login-profile`: `UpdateLoginProfile` for another user, no reset flag.
///
/// Attack files that fire no beyond-CIS rule, and why:
/// * `dns-delete-logs` (`DeleteResolverQueryLogConfig`) and `rds-share-snapshot` (`ModifyDBSnapshotAttribute`)
///   are not in the list (Route 53 Resolver query logs, RDS snapshot sharing): candidates for more rules.
/// * `ec2-security-group-open-port-22-ingress`, `iam-backdoor-role`, `iam-create-backdoor-role` are CIS
///   territory (4.10, 4.4) or not covered; the `credential-access`, `discovery`, `execution`,
///   `lateral-movement`, `impact`, `lambda-*`, `rolesanywhere-*` and `sts-federation-token` files are reads and
///   workload actions these rules do not target (their denied calls are CIS 4.1's).
/// * Nothing is external: every record's caller account is its recipient account or an AWS service, so
///   `external-principal-access*`, `vpce-cross-account-access` and `s3-copy-object-to-external-account` stay
///   silent; no root, GuardDuty, Config, EBS-encryption or S3 bucket-notification events occur (the corpus's
///   only S3 calls are `GetBucketAcl`).
const EXPECTED_BY_FILE: &[(&str, &[&str])] = &[
    (
        "aws.defense-evasion.cloudtrail-delete.json.gz",
        &[
            "cloudtrail-stopped-or-deleted",
            "security-configuration-change",
        ],
    ),
    (
        "aws.defense-evasion.cloudtrail-event-selectors.json.gz",
        &["cloudtrail-management-events-disabled"],
    ),
    (
        "aws.defense-evasion.cloudtrail-stop.json.gz",
        &[
            "cloudtrail-stopped-or-deleted",
            "security-configuration-change",
        ],
    ),
    (
        "aws.defense-evasion.organizations-leave.json.gz",
        &["leave-organization"],
    ),
    (
        "aws.defense-evasion.vpc-remove-flow-logs.json.gz",
        &["security-configuration-change", "vpc-flow-logs-deleted"],
    ),
    ("aws.exfiltration.ec2-share-ami.json.gz", &["ami-shared"]),
    (
        "aws.exfiltration.ec2-share-ebs-snapshot.json.gz",
        &["ebs-snapshot-shared"],
    ),
    (
        "aws.initial-access.console-login-without-mfa.json.gz",
        &["console-login-without-mfa"],
    ),
    (
        "aws.persistence.iam-backdoor-user.json.gz",
        &["access-key-created-for-other-user"],
    ),
    (
        "aws.persistence.iam-create-admin-user.json.gz",
        &["access-key-created-for-other-user", "iam-user-created"],
    ),
    (
        "aws.persistence.iam-create-user-login-profile.json.gz",
        &["login-profile-changed-for-other-user"],
    ),
    (
        "aws.privilege-escalation.iam-update-user-login-profile.json.gz",
        &["login-profile-changed-for-other-user"],
    ),
];

/// Scans every corpus file with the beyond-CIS rules in `context`: the findings of each file, by file name.
fn scan_corpus(files: &[PathBuf], context: Context) -> BTreeMap<String, Vec<Finding>> {
    let engine = Engine::new(BEYOND).unwrap().with_context(context);
    let mut by_file = BTreeMap::new();
    for path in files {
        let file = std::fs::File::open(path).unwrap();
        let mut reader = LogReader::new(file, ReaderOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut findings = Vec::new();
        let stats = scan_log(&mut reader, &engine, |f| {
            findings.push(f);
            Ok::<(), Infallible>(())
        })
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(stats.malformed, 0, "{}", path.display());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        by_file.insert(name, findings);
    }
    by_file
}

fn totals<'a>(by_file: impl IntoIterator<Item = &'a Vec<Finding>>) -> BTreeMap<String, usize> {
    let mut totals = BTreeMap::new();
    for f in by_file.into_iter().flatten() {
        *totals.entry(f.rule_id.clone()).or_insert(0) += 1;
    }
    totals
}

#[test]
fn beyond_rules_over_the_corpus() {
    let Some(files) = test_support::corpus_files() else {
        return;
    };
    assert_eq!(
        files.len(),
        37,
        "35 Stratus Red Team files + 2 cloud-snitch objects"
    );
    let by_file = scan_corpus(&files, Context::default());

    let got = totals(by_file.values());
    for (id, want) in EXPECTED_TOTALS {
        assert_eq!(
            got.get(*id).copied().unwrap_or(0),
            *want,
            "findings of {id}"
        );
    }
    assert_eq!(
        EXPECTED_TOTALS.len(),
        BEYOND.len(),
        "every rule has a total"
    );

    for (name, findings) in &by_file {
        let fired: BTreeSet<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
        let want: BTreeSet<&str> = EXPECTED_BY_FILE
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, ids)| ids.iter().copied().collect())
            .unwrap_or_default();
        assert_eq!(fired, want, "rules fired on {name}");
    }
    for (name, _) in EXPECTED_BY_FILE {
        assert!(
            by_file.contains_key(*name),
            "{name} is missing from the corpus"
        );
    }

    // The one finding with a note: the selectors of the detonation exclude management events altogether.
    let notes: Vec<(&str, Option<&str>)> = by_file
        .values()
        .flatten()
        .map(|f| (f.rule_id.as_str(), f.note.as_deref()))
        .filter(|(_, note)| note.is_some())
        .collect();
    assert_eq!(
        notes,
        [(
            "cloudtrail-management-events-disabled",
            Some("management events are no longer recorded")
        )]
    );
}

/// The two rules that need deployment context, over the same files with a context: `us-east-1` as the only
/// allowed region, and the access key of the `cloudtrail-stop` detonation watched. The corpus' regions are
/// anonymized (`megov-south-1r`, …), so every non-read-only, non-service call is outside the allow-list: 49
/// records (the Python restatement's count), the IAM calls included, which in real logs would be in us-east-1.
#[test]
fn context_rules_over_the_corpus() {
    let Some(files) = test_support::corpus_files() else {
        return;
    };
    let context = Context {
        trusted_accounts: BTreeSet::new(),
        watched_access_keys: ["AKIAGGWFBBHBE7D3M9WI".to_owned()].into(),
        allowed_regions: ["us-east-1".to_owned()].into(),
        ..Context::default()
    };
    let by_file = scan_corpus(&files, context);
    let got = totals(by_file.values());
    assert_eq!(got.get("unapproved-region").copied(), Some(49));
    assert_eq!(got.get("watched-access-key-used").copied(), Some(1));
    let watched: Vec<&str> = by_file
        .iter()
        .filter(|(_, fs)| fs.iter().any(|f| f.rule_id == "watched-access-key-used"))
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(watched, ["aws.defense-evasion.cloudtrail-stop.json.gz"]);
}

/// `trailwarden-pipeline-tampering` over real records: with a `[pipeline]` naming the function of the
/// `lambda-overwrite-code` detonation (its `UpdateFunctionCode20150331v2` names it by full ARN) and the trail
/// of the `cloudtrail-stop` detonation (its `StopLogging` names it by name, in its account), exactly those two
/// records fire. The other Lambda calls of the corpus stay silent: `UpdateFunctionConfiguration20150331v2` of
/// `lambda-layer-extension` names (by full ARN) a function whose name and region are configured, but in another
/// account; `AddPermission20150331v2` is not a listed call. So do the other trail calls (`DeleteTrail`,
/// `PutEventSelectors` on other trails).
#[test]
fn pipeline_rule_over_the_corpus() {
    let Some(files) = test_support::corpus_files() else {
        return;
    };
    let pipeline = rules::OwnResources::from_arns([
        "arn:aws:lambda:ap-westeast-2r:266106314375:function:stratus-red-team-olc-func-vayhjqkdav",
        "arn:aws:cloudtrail:apiso-centralnorth-2r:143434273843:trail/stratus-red-team-ct-stop-trail-buykxbqejv",
        // The `lambda-layer-extension` function's name and region, in an account that is not the detonation's.
        "arn:aws:lambda:eugov-eastcentral-1r:111122223333:function:stratus-red-team-lambda-layer-simpleLambda",
    ])
    .unwrap();
    let context = Context {
        own_resources: pipeline,
        ..Context::default()
    };
    let by_file = scan_corpus(&files, context);
    let fired: Vec<(&str, Option<&str>)> = by_file
        .iter()
        .flat_map(|(name, fs)| fs.iter().map(move |f| (name, f)))
        .filter(|(_, f)| f.rule_id == "trailwarden-pipeline-tampering")
        .map(|(name, f)| (name.as_str(), f.note.as_deref()))
        .collect();
    assert_eq!(
        fired,
        [
            (
                "aws.defense-evasion.cloudtrail-stop.json.gz",
                Some("this deployment's trail (requestParameters.name or trailName)")
            ),
            (
                "aws.persistence.lambda-overwrite-code.json.gz",
                Some("this deployment's function (requestParameters.functionName)")
            ),
        ]
    );
}
