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
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !corpus.is_dir() {
        eprintln!(
            "SKIP: {} not found (../shared is not beside this clone)",
            corpus.display()
        );
        return;
    }
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
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(counts, want);
}
