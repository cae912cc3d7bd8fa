//! Every hunt's Athena SQL, proven on a real SQL engine: over the same records, the rows its query returns on
//! DuckDB equal the rows the local hunt gives (as multisets of JSON objects: same columns, same values).
//!
//! Records: `events/` log files, `tests/fixtures/logs`, the rules' fixtures and the shared corpus
//! (`../shared/corpus`: SKIP locally without it, a failure under CI), each one that the local hunts can read
//! (`cloudtrail::Record`). `tests/oracles/sql_conformance.py` (DuckDB and sqlglot from `.tools/sql-venv`, which
//! `make test` installs: SKIP locally without it, a failure under CI) loads them as Athena's JSON SerDe reads
//! them, transpiles each query from Trino to DuckDB and compares. A hunt with a wrong column (here: `errors`
//! counting only error codes) must make it fail.

use crate::hunts;
use cloudtrail::{LogReader, ReaderOptions, Record};
use compile::sql::{TimeRange, TABLE_DDL};
use rules::RulesConfig;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_below(&path, out);
        } else if path.to_string_lossy().ends_with(".json.gz")
            || path.extension().is_some_and(|x| x == "json")
        {
            out.push(path);
        }
    }
}

/// Every record (as its JSON text) of the test's inputs; `None` when the corpus is missing (SKIP).
fn record_texts() -> Option<Vec<String>> {
    let root = repo_root();
    let mut files = Vec::new();
    files_below(&root.join("events/AWSLogs"), &mut files);
    files_below(
        &root.join("apps/trailwarden-cli/tests/fixtures/logs"),
        &mut files,
    );
    files_below(&root.join("crates/rules/tests/fixtures"), &mut files);
    files_below(
        &test_support::require(root.join("../shared/corpus"))?,
        &mut files,
    );
    files.sort();
    let mut texts = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        // A single record (a rule fixture) rather than a log file.
        if let Ok(v @ Value::Object(_)) = serde_json::from_slice::<Value>(&bytes) {
            if v.get("Records").is_none() {
                texts.push(v.to_string());
                continue;
            }
        }
        let Ok(mut reader) = LogReader::new(bytes.as_slice(), ReaderOptions::default()) else {
            continue;
        };
        while let Ok(Some(raw)) = reader.next_record() {
            if let Some(v) = raw
                .text()
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
            {
                if v.is_object() {
                    texts.push(v.to_string());
                }
            }
        }
    }
    Some(texts)
}

/// One hunt as the test runs it: an id, the hunt's name and arguments, and an event-time range.
struct Case {
    id: String,
    name: &'static str,
    args: Vec<String>,
    range: TimeRange,
}

/// The local hunt's rows (JSON objects) over `records`, restricted to `range` as `--since/--until` would.
fn local_rows(case: &Case, config: &RulesConfig, records: &[Record]) -> Vec<Value> {
    let entry = hunts::find(case.name).unwrap();
    let matches = (entry.args)(clap::Command::new(entry.name).no_binary_name(true))
        .try_get_matches_from(&case.args)
        .unwrap();
    let query = (entry.start)(&matches, config).unwrap();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (since, until) = (case.range.since.map(fmt), case.range.until.map(fmt));
    let mut tally = query.tally();
    for r in records {
        if since.is_some() || until.is_some() {
            let Some(t) = &r.event_time else { continue };
            if since.as_ref().is_some_and(|s| t < s) || until.as_ref().is_some_and(|u| t >= u) {
                continue;
            }
        }
        if query.wants(r) {
            tally.add(r);
        }
    }
    tally
        .finish()
        .json
        .iter()
        .map(|raw| serde_json::from_str(raw.get()).unwrap())
        .collect()
}

fn sql_of(case: &Case, config: &RulesConfig) -> String {
    let entry = hunts::find(case.name).unwrap();
    let matches = (entry.args)(clap::Command::new(entry.name).no_binary_name(true))
        .try_get_matches_from(&case.args)
        .unwrap();
    (entry.sql)(&matches, config, "cloudtrail", &case.range).unwrap()
}

/// Runs every case through the runner, with `plant` applied to each query; `None` when an input is missing.
fn run(plant: impl Fn(String) -> String) -> Option<(i32, String, BTreeMap<String, usize>)> {
    let texts = record_texts()?;
    let python = test_support::sql_python(&repo_root())?;
    // Only records the local hunts can read: a record they cannot is not counted by them at all.
    let (texts, records): (Vec<String>, Vec<Record>) = texts
        .into_iter()
        .filter_map(|t| Record::from_json(&t).ok().map(|r| (t, r)))
        .unzip();
    let config = RulesConfig::parse(
        "trusted_accounts = [\"444455556666\"]\nallowed_regions = [\"us-east-1\"]\n",
        "hunts.toml",
    )
    .unwrap();
    // The most used access key of the records, so `access-key` has rows whatever the corpus holds.
    let mut keys: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &records {
        if let Some(k) = r
            .user_identity
            .as_ref()
            .and_then(|i| i.access_key_id.as_deref())
        {
            *keys.entry(k).or_default() += 1;
        }
    }
    let key = keys
        .iter()
        .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
        .map(|(k, _)| (*k).to_owned())
        .unwrap();
    let day = |d: &str| Some(format!("{d}T00:00:00Z").parse().unwrap());
    let january = TimeRange {
        since: day("2024-01-15"),
        until: day("2024-01-16"),
    };
    let mut cases = vec![];
    for h in hunts::ALL {
        let args = if h.name == "access-key" {
            vec![key.clone()]
        } else {
            vec![]
        };
        cases.push(Case {
            id: h.name.to_owned(),
            name: h.name,
            args,
            range: TimeRange::default(),
        });
    }
    cases.push(Case {
        id: "regions --allowed-regions".to_owned(),
        name: "regions",
        args: vec![
            "--allowed-regions".to_owned(),
            "us-east-1,eu-west-1".to_owned(),
        ],
        range: TimeRange::default(),
    });
    cases.push(Case {
        id: "regions 2024-01-15".to_owned(),
        name: "regions",
        args: vec![],
        range: january,
    });
    cases.push(Case {
        id: "identities 2024-01-15".to_owned(),
        name: "identities",
        args: vec![],
        range: january,
    });

    let mut queries = Vec::new();
    let mut expected = serde_json::Map::new();
    let mut counts = BTreeMap::new();
    for case in &cases {
        let rows = local_rows(case, &config, &records);
        counts.insert(case.id.clone(), rows.len());
        expected.insert(case.id.clone(), Value::from(rows));
        queries
            .push(json!({"id": case.id, "sql": plant(sql_of(case, &config)), "compare": "rows"}));
    }
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("trailwarden-hunt-sql-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("table.sql"),
        TABLE_DDL.replace("{table}", "cloudtrail"),
    )
    .unwrap();
    std::fs::write(dir.join("records.jsonl"), texts.join("\n")).unwrap();
    std::fs::write(dir.join("queries.json"), Value::from(queries).to_string()).unwrap();
    std::fs::write(dir.join("expected.json"), Value::from(expected).to_string()).unwrap();
    let out = Command::new(python)
        .arg(repo_root().join("tests/oracles/sql_conformance.py"))
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.code().unwrap_or(-1), output, counts))
}

#[test]
#[allow(
    clippy::print_stdout,
    reason = "the runner's per-hunt lines are the test's evidence"
)]
fn every_hunt_returns_on_duckdb_the_rows_of_the_local_hunt() {
    let Some((status, output, counts)) = run(|sql| sql) else {
        return;
    };
    println!("{output}");
    assert_eq!(status, 0, "{output}");
    // Every hunt was compared and has rows to compare (the ranges too).
    for h in hunts::ALL {
        assert!(
            counts[h.name] > 0,
            "hunt {} has no rows: {counts:?}",
            h.name
        );
    }
    assert!(counts["regions 2024-01-15"] > 0 && counts["regions 2024-01-15"] <= counts["regions"]);
    assert_eq!(output.matches("\nok ").count(), counts.len(), "{output}");
}

#[test]
fn a_wrong_column_is_caught() {
    // `errors` counting only error codes (not error messages without a code) in every hunt that counts them.
    let broken = |sql: String| {
        sql.replace(
            "(errorcode IS NOT NULL OR errormessage IS NOT NULL)",
            "(errorcode IS NOT NULL)",
        )
    };
    let Some((status, output, _)) = run(broken) else {
        return;
    };
    assert_eq!(status, 1, "the runner must report mismatches:\n{output}");
}
