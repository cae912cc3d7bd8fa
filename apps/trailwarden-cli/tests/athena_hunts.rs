//! `infra/athena-hunts.json`: the hunts Terraform saves as Athena named queries (infra/athena.tf,
//! `enable_athena`). It must be exactly what `trailwarden rules sql --hunt 'NAME ARGS' --table cloudtrail`
//! prints for each hunt (the named query's database qualifies the table), and name every hunt of
//! `trailwarden hunt`. To refresh it: `TRAILWARDEN_UPDATE_ATHENA_HUNTS=1 cargo test -p trailwarden-cli --test
//! athena_hunts`.

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// Each hunt with the arguments its saved query uses. `access-key` needs a key: the saved query carries AWS's
/// documentation example key, to be replaced before running it (its description says so).
const HUNTS: &[(&str, &str, &str)] = &[
    ("regions", "regions", ""),
    ("identities", "identities", ""),
    ("signins", "signins", ""),
    ("policy-changes", "policy-changes", ""),
    ("sg-changes", "sg-changes", ""),
    (
        "access-key",
        "access-key AKIAIOSFODNN7EXAMPLE",
        " Replace AKIAIOSFODNN7EXAMPLE with the access key to investigate.",
    ),
    ("cross-account", "cross-account", ""),
];

fn trailwarden(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwarden"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The file's content as the CLI generates it today.
fn generated() -> String {
    let hunts: Vec<Value> = HUNTS
        .iter()
        .map(|(name, spec, note)| {
            let out = trailwarden(&[
                "rules", "sql", "--hunt", spec, "--table", "cloudtrail", "--format", "json",
            ]);
            let parsed: Value = serde_json::from_str(&out).unwrap();
            let sql = parsed[0]["sql"].as_str().unwrap().to_owned();
            json!({
                "name": name,
                "hunt": spec,
                "description": format!(
                    "trailwarden hunt {spec}, as Athena SQL (trailwarden rules sql --hunt '{spec}'). Add a \
                     day >= 'yyyy/MM/dd' predicate to read fewer days.{note}"
                ),
                "sql": sql,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&hunts).unwrap();
    text.push('\n');
    text
}

#[test]
fn checked_in_hunts_are_the_clis_and_cover_every_hunt() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/athena-hunts.json");
    let generated = generated();
    if std::env::var_os("TRAILWARDEN_UPDATE_ATHENA_HUNTS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "infra/athena-hunts.json is stale (or missing); regenerate it with \
         `TRAILWARDEN_UPDATE_ATHENA_HUNTS=1 cargo test -p trailwarden-cli --test athena_hunts`"
    );

    // Every hunt `trailwarden hunt --help` lists has its saved query.
    let help = trailwarden(&["hunt", "--help"]);
    let listed: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .collect();
    let saved: Vec<&str> = HUNTS.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(listed, saved);
    for h in serde_json::from_str::<Vec<Value>>(&checked_in).unwrap() {
        let sql = h["sql"].as_str().unwrap();
        assert!(sql.starts_with("SELECT"), "{sql}");
        assert!(sql.contains("FROM cloudtrail"), "{sql}");
    }
}
