//! `trailwarden rules sql`: the rules (and hunts) as Athena SQL. That the queries return what the engine finds is
//! proven on DuckDB by crates/compile/tests/sql_conformance.rs and the hunts' conformance test; here: what the
//! command prints, and that it follows the profile, ids, config exclusions, table and time range.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailwarden"))
        .args(["rules", "sql"])
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn the_cis_profile_prints_sixteen_queries() {
    let text = stdout(&run(&["--profile", "cis"]));
    assert_eq!(text.matches("\nSELECT ").count(), 16, "{text}");
    assert_eq!(text.matches(";\n").count(), 16);
    assert!(text.contains("-- cis-4.1-unauthorized-api-calls\n"));
    assert!(text.contains("FROM trailwarden.cloudtrail\n"));
    assert!(!text.contains("no SQL form"));
}

#[test]
fn json_names_every_rule_and_why_code_and_threshold_rules_have_no_query() {
    let items: Vec<Value> =
        serde_json::from_str(&stdout(&run(&["--profile", "all", "--format", "json"]))).unwrap();
    assert_eq!(items.len(), rules::BUILTIN.len());
    for (item, rule) in items.iter().zip(rules::BUILTIN) {
        assert_eq!(item["rule_id"], rule.id);
        match rule.detection {
            rules::Detection::Pattern(_) => {
                assert!(item["sql"].as_str().unwrap().contains("eventid"), "{item}");
                assert!(item.get("reason").is_none());
            }
            rules::Detection::Threshold(_) | rules::Detection::CodeThreshold { .. } => {
                assert!(item["sql"].is_null());
                assert!(item["reason"]
                    .as_str()
                    .unwrap()
                    .starts_with("threshold rule"));
            }
            _ => {
                assert!(item["sql"].is_null());
                assert!(item["reason"].as_str().unwrap().starts_with("code rule"));
            }
        }
    }
}

#[test]
fn ids_table_range_and_exclusions() {
    let mut config = tempfile::NamedTempFile::new().unwrap();
    config
        .write_all(
            br#"
[[exclusions]]
id = "scanner"
reason = "the nightly scanner"
rules = ["cis-4.1-unauthorized-api-calls"]
pattern = '{ $.userIdentity.arn = "arn:aws:sts::111122223333:assumed-role/scanner/*" }'
"#,
        )
        .unwrap();
    let path = config.path().to_str().unwrap();
    let text = stdout(&run(&[
        "cis-4.1-unauthorized-api-calls",
        "cis-4.3-root-account-usage",
        "--config",
        path,
        "--table",
        "audit.trail",
        "--since",
        "2024-01-15",
        "--until",
        "2024-01-31",
    ]));
    assert_eq!(text.matches("\nSELECT ").count(), 2, "{text}");
    assert_eq!(text.matches("FROM audit.trail\n").count(), 2);
    // The day partitions, one day wider than the events, and the events' own times.
    assert_eq!(text.matches("(day >= '2024/01/14')").count(), 2);
    assert_eq!(text.matches("(day <= '2024/02/02')").count(), 2);
    assert_eq!(
        text.matches("(eventtime < '2024-02-01T00:00:00Z')").count(),
        2
    );
    // The exclusion is in 4.1's query only.
    let (q41, q43) = text.split_once("-- cis-4.3").unwrap();
    assert!(q41.contains("/* exclusion scanner */"), "{q41}");
    assert!(q41.contains("LIKE 'arn:aws:sts::111122223333:assumed-role/scanner/%'"));
    assert!(!q43.contains("exclusion"));

    let out = run(&["no-such-rule"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown rule id"));
}

#[test]
fn a_hunt_prints_its_query() {
    let text = stdout(&run(&[
        "--hunt",
        "access-key AKIAIOSFODNN7EXAMPLE",
        "--format",
        "json",
    ]));
    let items: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(items[0]["hunt"], "access-key");
    let sql = items[0]["sql"].as_str().unwrap();
    assert!(
        sql.contains("useridentity.accesskeyid = 'AKIAIOSFODNN7EXAMPLE'"),
        "{sql}"
    );
    let out = run(&["--hunt", "access-key"]);
    assert!(!out.status.success(), "the key is required");
    let out = run(&["--hunt", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown hunt"));
}

/// README "History on Athena" shows the table's DDL: it must be `compile::sql::TABLE_DDL`, word for word.
#[test]
fn readme_shows_the_table_ddl() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
    )
    .unwrap();
    let start = readme
        .find("<!-- athena-ddl:begin")
        .expect("README has an athena-ddl:begin marker");
    let end = readme
        .find("<!-- athena-ddl:end -->")
        .expect("README has an athena-ddl:end marker");
    let block = &readme[start..end];
    let sql = block
        .split_once("```sql\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .map(|(sql, _)| sql)
        .expect("a ```sql block between the markers");
    assert_eq!(
        sql,
        compile::sql::TABLE_DDL,
        "README's table DDL is stale: copy compile::sql::TABLE_DDL"
    );
}
