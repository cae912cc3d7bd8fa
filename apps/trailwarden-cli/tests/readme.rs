//! README.md lists every rule; the list is generated from the registry and must not drift from it.
//! To refresh it: `cargo run -q -p trailwarden-cli -- rules list --format markdown` and paste the output
//! between the `rules-table` markers.

use std::path::Path;
use std::process::Command;

#[test]
fn readme_rule_table_matches_the_registry() {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwarden"))
        .args(["rules", "list", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).unwrap();

    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let begin = readme
        .find("<!-- rules-table:begin")
        .expect("README has a rules-table:begin marker");
    let start = begin + readme[begin..].find("-->\n").expect("marker closes") + 4;
    let end = readme
        .find("<!-- rules-table:end -->")
        .expect("README has a rules-table:end marker");
    let embedded = &readme[start..end];
    assert_eq!(
        embedded.trim_end(),
        generated.trim_end(),
        "README.md's rule table is stale; regenerate it with `trailwarden rules list --format markdown`"
    );
    assert!(
        generated.lines().count() > 30,
        "every built-in rule is listed"
    );
}

/// `scan --profile all` over the shared corpus reports, rule by rule, exactly what the rules crate's corpus tests
/// (`crates/rules/tests/corpus_cis.rs`, `corpus_beyond.rs`) derived with independent Python oracles.
#[test]
fn profile_all_over_the_corpus_reports_what_the_patterns_say() {
    let Some(corpus) = test_support::corpus_dir() else {
        return; // SKIP on a laptop without ../shared; a failure under CI=true
    };
    let out = Command::new(env!("CARGO_BIN_EXE_trailwarden"))
        .args(["scan", "--profile", "all", "--format", "jsonl"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut counts = std::collections::BTreeMap::<String, u32>::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        *counts
            .entry(f["rule_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let want: std::collections::BTreeMap<String, u32> = [
        ("cis-4.1-unauthorized-api-calls", 51),
        ("cis-4.2-console-signin-without-mfa", 1),
        ("cis-4.2-console-signin-without-mfa-iam-user", 1),
        ("cis-4.4-iam-policy-changes", 2),
        ("cis-4.5-cloudtrail-config-changes", 2),
        ("cis-4.10-security-group-changes", 1),
        ("cis-4.15-organizations-changes", 1),
        ("console-login-without-mfa", 1),
        ("cloudtrail-stopped-or-deleted", 2),
        ("cloudtrail-management-events-disabled", 1),
        ("security-configuration-change", 3),
        ("access-key-created-for-other-user", 2),
        ("iam-user-created", 1),
        ("login-profile-changed-for-other-user", 2),
        ("vpc-flow-logs-deleted", 1),
        ("leave-organization", 1),
        ("ebs-snapshot-shared", 1),
        ("ami-shared", 1),
        // The attack-technique rules (crates/rules/src/catalog/attack), counted by reading each file's records
        // (crates/rules/tests/corpus_stratus.rs names the technique files): instance credentials used from a
        // public address fires once for the two calls made with the stolen credentials (one key, one address,
        // one hour) and once on the cloud-snitch SSM agent's UpdateInstanceInformation from its instance's public
        // address (the false positive that keeps it out of the default profile); the serial-console rule on
        // EnableSerialConsoleAccess and three keys.
        ("ec2-instance-credentials-used-outside", 2),
        ("route53-resolver-query-logging-deleted", 1),
        ("ec2-user-data-modified", 1),
        ("ssm-command-sent", 2),
        ("ssm-session-started", 3),
        ("rds-snapshot-shared", 1),
        ("ec2-instance-connect-ssh-key-sent", 3),
        ("ec2-serial-console-access", 4),
        ("role-trust-policy-external-principal", 2),
        ("lambda-function-policy-opened", 1),
        ("lambda-layer-added", 1),
        ("lambda-code-updated-by-iam-user", 1),
        ("rolesanywhere-trust-anchor-changed", 1),
        ("sts-federation-token-issued", 1),
        // The threshold rules (crates/rules/src/catalog/threshold): one alert per detonation whose technique they
        // name (crates/rules/tests/threshold.rs), each window alerting once.
        ("secrets-bulk-retrieval", 1),
        ("secrets-batch-retrieval-by-filter", 1),
        ("ssm-securestring-bulk-retrieval", 1),
        ("ssm-send-command-many-instances", 1),
        ("bedrock-model-access-probing", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(counts, want);
}

/// README's "Attack coverage" section embeds `trailwarden rules coverage --format markdown` between the
/// `coverage-table` markers; it must not drift from the rules' controls and the coverage data.
#[test]
fn readme_coverage_table_matches_the_rules() {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwarden"))
        .args(["rules", "coverage", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).unwrap();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let begin = readme
        .find("<!-- coverage-table:begin")
        .expect("README has a coverage-table:begin marker");
    let start = begin + readme[begin..].find("-->\n").expect("marker closes") + 4;
    let end = readme
        .find("<!-- coverage-table:end -->")
        .expect("README has a coverage-table:end marker");
    assert_eq!(
        readme[start..end].trim_end(),
        generated.trim_end(),
        "README.md's coverage table is stale; regenerate it with `trailwarden rules coverage --format markdown`"
    );
    for id in rules::stratus::TECHNIQUES.iter().map(|t| t.id) {
        assert!(
            generated.contains(&format!("| `{id}` ")),
            "{id} is in the table"
        );
    }
}

/// `rules coverage --format json`: every Stratus technique once, with its rules, status and reason.
#[test]
fn coverage_json_lists_every_technique() {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwarden"))
        .args(["rules", "coverage", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let map: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stratus = map["stratus"].as_array().unwrap();
    assert_eq!(stratus.len(), 44);
    let row = stratus
        .iter()
        .find(|r| r["id"] == "aws.persistence.lambda-backdoor-function")
        .unwrap();
    assert_eq!(row["status"], "covered");
    assert_eq!(row["rules"][0]["id"], "lambda-function-policy-opened");
    assert_eq!(row["rules"][0]["default_profile"], true);
    let steal = stratus
        .iter()
        .find(|r| r["id"] == "aws.credential-access.ec2-steal-instance-credentials")
        .unwrap();
    assert_eq!(steal["status"], "all_profile_only");
    assert!(steal["reason"].as_str().unwrap().contains("GuardDuty"));
    assert!(map["attack"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["technique"] == "T1552.005" && r["tactic"] == "Credential Access"));
}
