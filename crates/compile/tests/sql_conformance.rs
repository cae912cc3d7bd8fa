//! The rules as SQL, proven on a real SQL engine: every pattern rule's Athena query ([`compile::sql::rule_query`])
//! runs on DuckDB over the same records the Rust engine evaluates, and must return exactly the event ids the
//! engine's findings have (per rule, as multisets).
//!
//! Records: `events/` log files, the shared corpus (`../shared/corpus`, SKIP locally without it, a failure under
//! CI) and every rule fixture (`tests/fixtures/*/{match,nomatch}`). Rules: profile `all` plus a rules file
//! whose custom rules and exclusions reach what the catalog does not (numbers, wildcards inside values, array
//! elements, `IS TRUE`, `!=` on JSON fields, an expired exclusion). The queries, the table's DDL, the records
//! and the expected ids go to a temporary folder and `tests/oracles/sql_conformance.py` (DuckDB + sqlglot from
//! `.tools/sql-venv`, which `make test` installs; SKIP locally without it, a failure under CI) loads the
//! records as Athena's JSON SerDe reads them, transpiles each query from Trino to DuckDB and compares.
//!
//! A translation with a planted bug (`!=` true on a missing field) must make the runner report mismatches.

use compile::sql::{self, TimeRange, TABLE_DDL};
use rules::{Engine, Outcome, RulesConfig};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Custom rules and exclusions for what the built-in patterns do not exercise.
const RULES_FILE: &str = r#"
profile = "all"

[[exclusions]]
id = "cli-denials"
reason = "test: an exclusion with a wildcard, limited to one rule"
rules = ["cis-4.1-unauthorized-api-calls"]
pattern = '{ $.userAgent = "*aws-cli*" && $.sourceIPAddress != "10.*" }'

[[exclusions]]
id = "expired"
reason = "test: an exclusion that expired before every record"
expires = "2001-01-01"
match = { eventSource = "ec2.amazonaws.com" }

[[custom_rules]]
id = "sqlc-numbers"
title = "numeric comparisons on JSON fields"
severity = "low"
pattern = '{ ($.requestParameters.maxResults >= 5) || ($.requestParameters.maxItems = 1000) || ($.requestParameters.durationSeconds < 3601) || ($.additionalEventData.bytesTransferredIn = 0) }'

[[custom_rules]]
id = "sqlc-wildcards"
title = "wildcards and presence"
severity = "low"
pattern = '{ ($.userAgent = "*Python*linux*") || ($.responseElements.ConsoleLogin = "*") || ($.errorMessage = "*not authorized*") }'

[[custom_rules]]
id = "sqlc-not-equals"
title = "!= on plain, struct and JSON fields"
severity = "low"
pattern = '{ ($.additionalEventData.MFAUsed != "Yes" && $.eventName = "ConsoleLogin") || ($.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" && $.eventName = "AssumeRole") || ($.requestParameters.bucketName != "*" && $.eventSource = "s3.amazonaws.com") }'

[[custom_rules]]
id = "sqlc-booleans-arrays"
title = "booleans, null and array elements"
severity = "low"
pattern = '{ ($.readOnly IS TRUE && $.errorCode = "*") || ($.resources[0].ARN = "arn:aws:iam::*") || ($.resources[1].accountId NOT EXISTS && $.resources[0].type = "*") || ($.requestParameters.instancesSet.items[0].instanceId = "i-*") || ($.requestParameters.policyDocument IS NULL) || ($.responseElements.credentials.expiration NOT EXISTS && $.eventName = "AssumeRole") }'

[[custom_rules]]
id = "sqlc-numbers-as-strings"
title = "an unquoted number against string fields"
severity = "low"
pattern = '{ ($.recipientAccountId = 111122223333) || ($.requestParameters.ipPermissions.items[0].fromPort = 22) || ($.requestParameters.ipPermissions.items[0].fromPort = "22") }'
"#;

/// The repository root (this crate's own path: a shared target folder may hold test_support built elsewhere).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `*.json.gz` below `dir`.
fn gz_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            gz_files(&path, out);
        } else if path.to_string_lossy().ends_with(".json.gz") {
            out.push(path);
        }
    }
}

/// A log file's or fixture's records (`{"Records": […]}`, an array, or one record).
fn records_of(value: Value, out: &mut Vec<Value>) {
    match value {
        Value::Object(mut map) if map.contains_key("Records") => {
            if let Some(Value::Array(items)) = map.remove("Records") {
                out.extend(items.into_iter().filter(Value::is_object));
            }
        }
        Value::Array(items) => out.extend(items.into_iter().filter(Value::is_object)),
        v @ Value::Object(_) => out.push(v),
        _ => {}
    }
}

/// The records: events/, the corpus, the rule fixtures. `None` when the corpus is missing (SKIP).
fn all_records() -> Option<Vec<Value>> {
    let root = repo_root();
    let mut files = Vec::new();
    gz_files(&root.join("events"), &mut files);
    gz_files(
        &test_support::require(root.join("../shared/corpus"))?,
        &mut files,
    );
    files.sort();
    let mut records = Vec::new();
    for f in &files {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(f).unwrap())
            .read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        match serde_json::from_str(&text) {
            Ok(v) => records_of(v, &mut records),
            // A deliberately broken file (the corpus has some): the engine reports it, no rule runs on it.
            Err(_) => continue,
        }
    }
    let fixtures = root.join("crates/rules/tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        for kind in ["match", "nomatch"] {
            let Ok(entries) = std::fs::read_dir(dir.join(kind)) else {
                continue;
            };
            let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
            paths.sort();
            for p in paths
                .iter()
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
            {
                let text = std::fs::read_to_string(p).unwrap();
                if let Ok(v) = serde_json::from_str(&text) {
                    records_of(v, &mut records);
                }
            }
        }
    }
    Some(records)
}

/// The engine's findings (not suppressed) per rule, as event ids (`null` for a record without one).
fn expected(
    engine: &Engine,
    lines: &[String],
    suppressed: &mut BTreeMap<String, usize>,
) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = engine
        .rules()
        .iter()
        .map(|r| (r.id().to_owned(), Vec::new()))
        .collect();
    for line in lines {
        let parsed = cloudtrail::Parsed::new(line.as_bytes()).unwrap();
        let event_id = parsed
            .root()
            .get("eventID")
            .and_then(|n| n.as_str())
            .map_or(Value::Null, |s| Value::String(s.to_owned()));
        for outcome in engine.evaluate(parsed.root()) {
            match outcome {
                Outcome::Finding { rule, .. } => {
                    if let Some(ids) = out.get_mut(rule.id()) {
                        ids.push(event_id.clone());
                    }
                }
                Outcome::Suppressed { exclusion, .. } => {
                    *suppressed.entry(exclusion.id.clone()).or_default() += 1;
                }
            }
        }
    }
    out
}

struct Run {
    status: i32,
    output: String,
    /// Rules with a query, and the rules without one (id, reason).
    queried: Vec<String>,
    no_sql: Vec<(String, String)>,
    /// The engine's findings per rule (event ids).
    expected: BTreeMap<String, Vec<Value>>,
    /// How many findings each exclusion suppressed.
    suppressed: BTreeMap<String, usize>,
}

/// Writes the folder and runs the runner; `None` when an input is missing (SKIP).
fn run(planted_bug: bool) -> Option<Run> {
    let records = all_records()?;
    let python = test_support::sql_python(&repo_root())?;
    let config = RulesConfig::parse(RULES_FILE, "sql-conformance.toml").unwrap();
    let engine = Engine::from_config(&config, &rules::today_utc()).unwrap();
    let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    let mut suppressed = BTreeMap::new();
    let expected = expected(&engine, &lines, &mut suppressed);

    let dir = std::env::temp_dir().join(format!(
        "trailwarden-sql-conformance-{}-{planted_bug}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut queries = Vec::new();
    let mut no_sql = Vec::new();
    let mut queried = Vec::new();
    for rule in engine.rules() {
        let q = if planted_bug {
            sql::rule_query_with_planted_bug(&engine, rule, "cloudtrail", &TimeRange::default())
        } else {
            sql::rule_query(&engine, rule, "cloudtrail", &TimeRange::default())
        };
        match q {
            Ok(sql) => {
                queried.push(rule.id().to_owned());
                queries.push(json!({"id": rule.id(), "sql": sql, "compare": "eventid"}));
            }
            Err(e) => no_sql.push((e.rule_id, e.reason)),
        }
    }
    std::fs::write(
        dir.join("table.sql"),
        TABLE_DDL.replace("{table}", "cloudtrail"),
    )
    .unwrap();
    std::fs::write(dir.join("records.jsonl"), lines.join("\n")).unwrap();
    std::fs::write(dir.join("queries.json"), Value::from(queries).to_string()).unwrap();
    std::fs::write(dir.join("expected.json"), json!(expected).to_string()).unwrap();

    let out = Command::new(python)
        .arg(repo_root().join("tests/oracles/sql_conformance.py"))
        .arg(&dir)
        .output()
        .unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Some(Run {
        status: out.status.code().unwrap_or(-1),
        output,
        queried,
        no_sql,
        expected,
        suppressed,
    })
}

#[test]
#[allow(
    clippy::print_stdout,
    reason = "the runner's per-rule lines are the test's evidence"
)]
fn every_pattern_rule_returns_on_duckdb_what_the_engine_finds() {
    let Some(run) = run(false) else {
        return;
    };
    println!("{}", run.output);
    for (id, reason) in &run.no_sql {
        println!("no SQL form: {id}: {reason}");
    }
    assert_eq!(run.status, 0, "{}", run.output);
    // Every pattern rule of the catalog and every custom rule has a query; only code and threshold rules don't.
    for rule in rules::BUILTIN {
        let has_sql = run.queried.iter().any(|q| q == rule.id);
        let pattern = matches!(rule.detection, rules::Detection::Pattern(_));
        assert_eq!(has_sql, pattern, "{}", rule.id);
    }
    // The comparison has something to compare: every custom rule matches some records and misses others, and
    // the exclusion suppresses findings that the query must leave out too.
    for id in [
        "sqlc-numbers",
        "sqlc-wildcards",
        "sqlc-not-equals",
        "sqlc-booleans-arrays",
        "sqlc-numbers-as-strings",
    ] {
        assert!(run.queried.iter().any(|q| q == id), "{id}");
        assert!(!run.expected[id].is_empty(), "{id} matches nothing");
    }
    assert!(
        run.suppressed.get("cli-denials").is_some_and(|n| *n > 0),
        "{:?}",
        run.suppressed
    );
    // The runner compared every query (one ok line each), and some rules matched something.
    assert_eq!(
        run.output.matches("\nok ").count(),
        run.queried.len(),
        "{}",
        run.output
    );
}

#[test]
fn a_planted_translation_bug_is_caught() {
    let Some(run) = run(true) else {
        return;
    };
    assert_eq!(
        run.status, 1,
        "the runner must report mismatches:\n{}",
        run.output
    );
    assert!(
        run.output.contains("MISMATCH sqlc-not-equals"),
        "{}",
        run.output
    );
}
