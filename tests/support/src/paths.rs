//! The repository's paths and the one rule for a missing test input (SKIP on a laptop, a failure under
//! `CI=true`).

use std::path::{Path, PathBuf};

/// The repository root (this crate lives in `tests/support/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared material beside the repository (`../shared`: the real CloudTrail corpus, the CIS text).
pub fn shared_dir() -> PathBuf {
    repo_root().join("../shared")
}

/// `../shared/corpus`, the real CloudTrail log files, if present (see [`require`]).
pub fn corpus_dir() -> Option<PathBuf> {
    require(shared_dir().join("corpus"))
}

/// Every `*.json.gz` below `../shared/corpus`, sorted, if the corpus is present (see [`require`]).
pub fn corpus_files() -> Option<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![corpus_dir()?];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.to_string_lossy().ends_with(".json.gz") {
                files.push(path);
            }
        }
    }
    files.sort();
    Some(files)
}

/// Whether this run is CI's (`CI=true`, set by `.ci/run`): there every test input must be present.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Declares a test input missing. Outside CI it prints `SKIP: why` and returns, so the caller can return early;
/// under `CI=true` it panics, because CI has every input and a test that passes without its input proves nothing.
#[allow(
    clippy::print_stderr,
    reason = "the SKIP line is how a test tells a person what it did not check"
)]
pub fn skip(why: &str) {
    assert!(!in_ci(), "CI=true and a test input is missing: {why}");
    eprintln!("SKIP: {why}");
}

/// `path` if it exists; otherwise [`skip`] (a panic under `CI=true`) and `None`.
pub fn require(path: PathBuf) -> Option<PathBuf> {
    if path.exists() {
        Some(path)
    } else {
        skip(&format!(
            "{} not found (../shared is not beside this clone)",
            path.display()
        ));
        None
    }
}

/// The Python of the SQL tools' virtualenv below the repository `root` (`.tools/sql-venv`: DuckDB and sqlglot,
/// installed by `make sql-tools`), or `None` after [`skip`] (SKIP on a laptop, a failure under `CI=true`). The
/// root is the caller's own (a shared target folder may hold this crate built for another checkout).
pub fn sql_python(root: &Path) -> Option<PathBuf> {
    let python = root.join(".tools/sql-venv/bin/python");
    if python.exists() {
        Some(python)
    } else {
        skip(&format!(
            "{} not found (`make sql-tools` installs DuckDB and sqlglot there)",
            python.display()
        ));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_root_holds_the_workspace_manifest() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(repo_root().join("tests/support/Cargo.toml").is_file());
    }

    #[test]
    fn a_missing_input_is_none_outside_ci_and_a_failure_under_it() {
        let missing = repo_root().join("no/such/input");
        if in_ci() {
            let r = std::panic::catch_unwind(|| require(missing.clone()));
            assert!(r.is_err(), "under CI=true a missing input must fail");
        } else {
            assert_eq!(require(missing), None);
        }
        assert_eq!(
            require(repo_root().join("Cargo.toml")),
            Some(repo_root().join("Cargo.toml"))
        );
    }
}
