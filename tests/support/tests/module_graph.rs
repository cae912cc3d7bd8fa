//! No crate of the workspace has a module cycle: every member's `src/` is read with the one checker
//! ([`test_support::module_graph`]) and the test names the first cycle it finds, crate by crate.

use std::path::Path;

use test_support::module_graph::{crate_sources, render, ModuleGraph};
use test_support::repo_root;

/// The `[workspace] members` of the root `Cargo.toml` (the one line `members = [...]`).
fn members(root: &Path) -> Vec<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("the root Cargo.toml");
    let line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("members"))
        .expect("a members line");
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn no_workspace_crate_has_a_module_cycle() {
    let root = repo_root();
    let members = members(&root);
    assert!(members.len() >= 8, "members: {members:?}");
    let mut failures = Vec::new();
    let mut read = 0;
    for member in &members {
        let src = root.join(member).join("src");
        if !src.is_dir() {
            continue;
        }
        let files = crate_sources(&src).unwrap_or_else(|e| panic!("reading {src:?}: {e}"));
        read += files.len();
        let graph = ModuleGraph::of(&files);
        if let Some(cycle) = graph.cycle() {
            failures.push(format!(
                "{member}: module cycle {}\n\nits graph:\n{}",
                cycle.join(" -> "),
                render(&graph.all())
            ));
        }
    }
    assert!(read > 100, "read {read} files");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_cli_graph_is_read_as_intended() {
    let src = repo_root().join("apps/trailwarden-cli/src");
    let files = crate_sources(&src).expect("the CLI's sources");
    assert!(files.len() > 10, "read {} files under {src:?}", files.len());
    let graph = ModuleGraph::of(&files).all();
    // A few edges the layout must have.
    for (from, to) in [
        ("commands::scan", "source"),
        ("source", "location"),
        ("hunts", "hunts::regions"),
        ("hunts::regions", "hunt"),
        ("s3", "location"),
        ("crate", "commands"),
    ] {
        assert!(
            graph.get(from).is_some_and(|to_set| to_set.contains(to)),
            "no edge {from} -> {to}: {graph:#?}"
        );
    }
}
