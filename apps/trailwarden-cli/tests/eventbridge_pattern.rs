//! `trailwarden rules eventbridge-pattern`: the checked-in `infra/eventbridge-patterns.json` (what Terraform
//! deploys for the default configuration) is exactly the command's output without a rules file, and the command
//! follows --config and --profile.
//! To refresh the file: `cargo run -q -p trailwarden-cli -- rules eventbridge-pattern > infra/eventbridge-patterns.json`.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwarden"))
        .args(["rules", "eventbridge-pattern"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn checked_in_patterns_are_the_default_configurations() {
    let generated = String::from_utf8(run(&[]).stdout).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/eventbridge-patterns.json");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "infra/eventbridge-patterns.json is stale (or missing); regenerate it with \
         `cargo run -q -p trailwarden-cli -- rules eventbridge-pattern > infra/eventbridge-patterns.json`"
    );
    let parsed: Value = serde_json::from_str(&generated).unwrap();
    let patterns = parsed["patterns"].as_array().unwrap();
    assert!(!patterns.is_empty());
    for p in patterns {
        assert!(p.to_string().chars().count() <= 2048, "{p}");
        assert_eq!(p["detail-type"].as_array().unwrap().len(), 4);
        // Only AWS services send events whose source starts with aws.: no forged event is selected.
        assert_eq!(p["source"], serde_json::json!([{"prefix": "aws."}]));
    }
    // 4.1 (denied Describe* calls) is in the default profile.
    assert_eq!(parsed["read_only_management_events"], true);
}

#[test]
fn stderr_names_the_widening_rules_and_config_and_profile_apply() {
    let out = run(&["--profile", "all"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let widened: Vec<&str> = parsed["widened_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["rule_id"].as_str().unwrap())
        .collect();
    assert!(
        widened.contains(&"external-principal-access"),
        "{widened:?}"
    );
    for id in &widened {
        assert!(stderr.contains(&format!("widened by {id}: ")), "{stderr}");
    }

    // A rules file with one custom rule, on a profile-less engine: cis with everything disabled but the rule.
    let mut cfg = tempfile::NamedTempFile::new().unwrap();
    write!(
        cfg,
        "profile = \"cis\"\ndisable = [{}]\n[[custom_rules]]\nid = \"ua\"\ntitle = \"t\"\nseverity = \"low\"\npattern = '{{ $.userAgent != \"x\" }}'\n",
        rules::BUILTIN
            .iter()
            .map(|r| format!("\"{}\"", r.id))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .unwrap();
    let out = run(&["--config", cfg.path().to_str().unwrap()]);
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        parsed["patterns"],
        serde_json::json!([{"source": [{"prefix": "aws."}],
            "detail-type": ["AWS API Call via CloudTrail", "AWS Console Action via CloudTrail",
            "AWS Console Sign In via CloudTrail", "AWS Service Event via CloudTrail"],
            "detail": {"userAgent": [{"anything-but": ["x"]}]}}])
    );
    assert_eq!(parsed["widened_by"][0]["rule_id"], "ua");
    assert!(String::from_utf8_lossy(&out.stderr).contains("widened by ua: "));
}
