//! README's "Workspace layout" is complete and current: every path it lists exists; every top-level entry git
//! tracks, every workspace member and every folder under a member's `src/` is in it.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use test_support::repo_root;

/// A path the layout block lists, and the text that describes it (its line and the indented lines after it).
#[derive(Debug)]
struct Entry {
    path: String,
    text: String,
}

/// The fenced block under `## Workspace layout`. A line that starts with a path starts an entry; its indentation nests it under the last shallower directory; a line indented deeper than
/// a path column continues the description above it.
fn layout(readme: &str) -> Vec<Entry> {
    let section = readme
        .split("\n## Workspace layout")
        .nth(1)
        .expect("README has a \"## Workspace layout\" section");
    let block = section
        .split("```")
        .nth(1)
        .expect("the layout section holds a fenced block");
    let mut entries: Vec<Entry> = Vec::new();
    // (indent, directory) of the enclosing directories.
    let mut parents: Vec<(usize, String)> = Vec::new();
    for line in block.lines().skip(1) {
        let indent = line.len() - line.trim_start().len();
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        // Paths sit in the first column (nested ones indented by two per level); descriptions that run on
        // are indented to the description column.
        let names_a_path = indent < 12;
        if !names_a_path {
            let last = entries.last_mut().expect("a description before any path");
            last.text.push('\n');
            last.text.push_str(line.trim());
            continue;
        }
        while parents.last().is_some_and(|(i, _)| *i >= indent) {
            parents.pop();
        }
        let path = match parents.last() {
            Some((_, dir)) => format!("{dir}{first}"),
            None => first.to_owned(),
        };
        if path.ends_with('/') {
            parents.push((indent, path.clone()));
        }
        entries.push(Entry {
            path,
            text: line.trim().to_owned(),
        });
    }
    entries
}

fn readme_layout() -> Vec<Entry> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    layout(&readme)
}

/// The `members` of the root Cargo.toml's `[workspace]`.
fn members() -> Vec<String> {
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let list = manifest
        .split("members = [")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("[workspace] members");
    list.split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn every_listed_path_exists() {
    let entries = readme_layout();
    assert!(entries.len() > 10, "{entries:?}");
    for e in &entries {
        assert!(
            repo_root().join(&e.path).exists(),
            "README's workspace layout lists {}, which does not exist",
            e.path
        );
    }
}

#[test]
fn every_tracked_top_level_entry_is_listed() {
    let out = Command::new("git")
        .args(["ls-files"])
        .current_dir(repo_root())
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git ls-files failed");
    let listed: BTreeSet<String> = readme_layout()
        .into_iter()
        .map(|e| e.path.split('/').next().unwrap_or_default().to_owned())
        .collect();
    let tracked: BTreeSet<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|p| p.split('/').next())
        // The repository's own settings, and files the front door or the toolchain name (README.md itself,
        // the lock files, rust-toolchain.toml, clippy.toml) are not part of the layout.
        .filter(|top| !matches!(*top, ".gitignore" | "README.md" | "Cargo.lock"))
        .filter(|top| !top.ends_with(".toml") || *top == "Cargo.toml")
        .map(str::to_owned)
        .collect();
    for top in &tracked {
        assert!(
            listed.contains(top),
            "README's workspace layout does not list the top-level {top}"
        );
    }
}

#[test]
fn every_member_and_each_folder_of_its_sources_is_described() {
    let entries = readme_layout();
    for member in members() {
        let entry = entries
            .iter()
            .find(|e| e.path.trim_end_matches('/') == member)
            .unwrap_or_else(|| {
                panic!("README's workspace layout does not list the workspace member {member}")
            });
        let src = repo_root().join(&member).join("src");
        for dir in folders(&src) {
            assert!(
                entry.text.contains(&format!("{dir}/")),
                "README's workspace layout does not describe {member}/src/{dir}/ (say what it holds in \
                 {member}'s entry)"
            );
        }
    }
}

/// The folders directly under `dir`, by name.
fn folders(dir: &Path) -> Vec<String> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = read
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn the_reader_nests_and_continues_entries() {
    let readme = "x\n## Workspace layout\n\n```\nCargo.toml    the manifest\ncrates/       libs\n  a/          \
                  the a crate\n              more about a: sub/\n.ci/run       CI\n```\n## Next\n";
    let got: Vec<(String, String)> = layout(readme)
        .into_iter()
        .map(|e| (e.path, e.text))
        .collect();
    assert_eq!(
        got,
        [
            ("Cargo.toml".into(), "Cargo.toml    the manifest".into()),
            ("crates/".into(), "crates/       libs".into()),
            (
                "crates/a/".into(),
                "a/          the a crate\nmore about a: sub/".into()
            ),
            (".ci/run".into(), ".ci/run       CI".into()),
        ]
    );
}
