//! Running the `trailwarden` binary from the integration tests of the replay and hunt commands.
#![allow(dead_code)] // Each test file uses a part of it.

use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_trailwarden");
/// The sample log tree.
pub const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/AWSLogs");
/// The shared corpus of real CloudTrail files (beside the clone, not in it).
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");
/// A log file (plain JSON) with calls from other accounts, a policy change, a security-group change and a
/// failed console sign-in, on 2024-01-16.
pub const CROSS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/logs/cross-account.json"
);
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
/// The key of the sample log file under `events/`.
pub const SAMPLE_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";
/// `--rules` for tests that count findings exactly.
pub const PINNED: &str = "cis-4.1-unauthorized-api-calls,cis-4.3-root-account-usage";

pub fn sample() -> PathBuf {
    Path::new(EVENTS).join("..").join(SAMPLE_KEY)
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs trailwarden with `args` and extra environment variables.
pub fn run_env<I, S>(args: I, env: &[(&str, &str)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run trailwarden");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_env(args, &[])
}

impl Run {
    /// Asserts the exit status, showing stderr when it differs.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// stdout as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: stdout is not one JSON document:\n{}", self.stdout))
    }

    /// stdout as JSON Lines.
    pub fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// A counter of the scan summary on stderr, e.g. `counter("files scanned")`.
    pub fn counter(&self, label: &str) -> u64 {
        let prefix = format!("{label}:");
        let line = self
            .stderr
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no {label:?} in the summary:\n{}", self.stderr));
        line[prefix.len()..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number in {line:?}"))
    }
}

/// `hunt QUERY [ARGS] --format json PATHS…`, which must succeed, as the array of rows.
pub fn hunt(query: &[&str], paths: &[&str]) -> Vec<Value> {
    let mut args = vec!["hunt"];
    args.extend(query);
    args.extend(["--format", "json"]);
    args.extend(paths);
    let r = run(&args).expect(0);
    match r.json() {
        Value::Array(rows) => rows,
        other => panic!("not an array: {other}"),
    }
}

/// The shared corpus, or `None` after [`test_support::skip`] said why (outside CI only: under `CI=true` a missing
/// corpus fails the test, because a test that passes without its input proves nothing).
pub fn corpus() -> Option<&'static str> {
    if Path::new(CORPUS).is_dir() {
        Some(CORPUS)
    } else {
        test_support::skip(&format!(
            "{CORPUS} not found (the shared CloudTrail corpus is not beside this clone)"
        ));
        None
    }
}
