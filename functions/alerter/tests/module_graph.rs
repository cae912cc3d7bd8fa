//! The library's module graph has no cycles, and the graph written in `lib.rs`'s documentation is the real
//! one. The graph is read from the sources: every `crate::…`, `super::…` and `self::…` path in a module's
//! code (comments and the `#[cfg(test)]` module at the end of a file are left out), plus `use child::…`
//! re-exports in `lib.rs` and `mod.rs` files. A path names the longest module it starts with; `crate::Name`
//! for a name `lib.rs` re-exports counts as a use of the module that defines it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// `(module path, source)` of every library file under `src/` (`main.rs` is the binary, not the library).
fn library_sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|p| p != &src.join("main.rs"))
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let module = match parts.as_slice() {
                [only] if only == "lib" => "crate".to_owned(),
                [dirs @ .., last] if last == "mod" => dirs.join("::"),
                _ => parts.join("::"),
            };
            (module, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The code of a file: without comment lines and without the trailing `#[cfg(test)]` module.
fn code(source: &str) -> String {
    source
        .lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every `crate::a::b`, `super::a`, `self::a` path in `code`, as its segments.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for anchor in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(anchor).map(|i| i + from) {
            from = at + anchor.len();
            if code[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let mut segments = vec![anchor.trim_end_matches("::").to_owned()];
            let mut rest = &code[at + anchor.len()..];
            loop {
                let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
                if end == 0 {
                    break;
                }
                segments.push(rest[..end].to_owned());
                match rest[end..].strip_prefix("::") {
                    Some(next) => rest = next,
                    None => break,
                }
            }
            out.push(segments);
        }
    }
    out
}

/// Modules declared in a file (`mod x;` / `pub mod x;`).
fn declared_children(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let name = l.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.trim().to_owned())
        })
        .collect()
}

/// `lib.rs`'s re-exports: name → the module it comes from (`pub use a::{B, C};`, `pub use a::B;`).
fn reexports(lib_code: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let flat = lib_code.replace('\n', " ");
    for stmt in flat.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        let names = names.trim().trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.trim();
            let name = name.rsplit("::").next().unwrap_or(name);
            if !name.is_empty() {
                map.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    map
}

/// Who uses whom, among the given modules (the root, `crate`, included).
fn graph_of(sources: &[(String, String)]) -> Graph {
    let modules: BTreeSet<&str> = sources.iter().map(|(m, _)| m.as_str()).collect();
    let root_exports = sources
        .iter()
        .find(|(m, _)| m == "crate")
        .map(|(_, s)| reexports(&code(s)))
        .unwrap_or_default();
    let absolute = |module: &str, rel: &[String]| -> String {
        if module == "crate" {
            rel.join("::")
        } else {
            let mut v = vec![module.to_owned()];
            v.extend(rel.iter().cloned());
            v.join("::")
        }
    };
    let mut graph = Graph::new();
    for (module, source) in sources {
        let code = code(source);
        let mut targets: Vec<Vec<String>> = Vec::new();
        for p in paths(&code) {
            // Resolve to segments below the crate root.
            let mut here: Vec<String> = if module == "crate" {
                Vec::new()
            } else {
                module.split("::").map(str::to_owned).collect()
            };
            let mut rest = p.as_slice();
            match rest.first().map(String::as_str) {
                Some("crate") => {
                    here.clear();
                    rest = &rest[1..];
                }
                Some("self") => rest = &rest[1..],
                _ => {}
            }
            while rest.first().map(String::as_str) == Some("super") {
                here.pop();
                rest = &rest[1..];
            }
            here.extend(rest.iter().cloned());
            targets.push(here);
        }
        for child in declared_children(&code) {
            let prefix = format!("use {child}::");
            if code.lines().any(|l| {
                let l = l.trim();
                l.strip_prefix("pub ").unwrap_or(l).starts_with(&prefix)
            }) {
                targets.push(
                    absolute(module, &[child])
                        .split("::")
                        .map(str::to_owned)
                        .collect(),
                );
            }
        }
        let edges = graph.entry(module.clone()).or_default();
        for t in targets {
            let found = (1..=t.len())
                .rev()
                .map(|n| t[..n].join("::"))
                .find(|m| modules.contains(m.as_str()));
            let target = match found {
                Some(m) => m,
                // `crate::Name`: a re-export counts as its defining module.
                None => match t.first().and_then(|n| root_exports.get(n)) {
                    Some(m) => m.clone(),
                    None => "crate".to_owned(),
                },
            };
            if &target != module {
                edges.insert(target);
            }
        }
    }
    graph
}

/// A cycle, as the modules along it (first = last), if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

/// The graph written in `lib.rs`'s documentation: lines `//! - `a` → `b`, `c`` (or `//! - `a`` alone).
fn documented_graph(lib: &str) -> Graph {
    let mut graph = Graph::new();
    for line in lib.lines() {
        let Some(item) = line.strip_prefix("//! - `") else {
            continue;
        };
        let Some((module, rest)) = item.split_once('`') else {
            continue;
        };
        let uses = rest
            .split_once('→')
            .map(|(_, uses)| {
                uses.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        graph.insert(module.to_owned(), uses);
    }
    graph
}

fn render(graph: &Graph) -> String {
    graph
        .iter()
        .filter(|(m, _)| *m != "crate")
        .map(|(m, uses)| {
            if uses.is_empty() {
                format!("//! - `{m}`\n")
            } else {
                let list: Vec<String> = uses.iter().map(|u| format!("`{u}`")).collect();
                format!("//! - `{m}` → {}\n", list.join(", "))
            }
        })
        .collect()
}

#[test]
fn the_library_has_no_module_cycles() {
    let graph = graph_of(&library_sources());
    assert!(graph.len() > 10, "modules found: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_documented_graph_is_the_real_one() {
    let sources = library_sources();
    let graph = graph_of(&sources);
    let lib = &sources.iter().find(|(m, _)| m == "crate").unwrap().1;
    let mut real = graph.clone();
    real.remove("crate");
    assert_eq!(
        documented_graph(lib),
        real,
        "lib.rs's module graph is out of date; the real one is:\n{}",
        render(&graph)
    );
}

#[test]
fn the_checker_sees_cycles_through_paths_reexports_and_super() {
    let files = |b: &str| {
        vec![
            (
                "crate".to_owned(),
                "pub mod a;\npub mod b;\npub use a::Thing;\n".to_owned(),
            ),
            ("a".to_owned(), "use crate::b::other;\n".to_owned()),
            ("b".to_owned(), b.to_owned()),
        ]
    };
    let cycle = |b: &str| find_cycle(&graph_of(&files(b)));
    assert_eq!(cycle("fn f() {}\n"), None);
    assert!(cycle("use crate::a::Thing;\n").is_some());
    assert!(
        cycle("use crate::Thing;\n").is_some(),
        "through a re-export"
    );
    assert!(
        cycle("fn f() { super::a::g() }\n").is_some(),
        "through super"
    );
    assert_eq!(
        cycle("// use crate::a::Thing;\nfn f() {}\n#[cfg(test)]\nmod tests { use crate::a::Thing; }\n"),
        None,
        "comments and tests are not edges"
    );
    // A child re-exported by its parent, using a sibling: no cycle; using the parent: a cycle.
    let nested = |child: &str| {
        find_cycle(&graph_of(&[
            ("crate".to_owned(), "pub mod r;\n".to_owned()),
            (
                "r".to_owned(),
                "pub mod x;\npub mod y;\npub use x::f;\n".to_owned(),
            ),
            ("r::x".to_owned(), child.to_owned()),
            ("r::y".to_owned(), String::new()),
        ]))
    };
    assert_eq!(nested("use super::y::g;\n"), None);
    assert!(nested("use crate::r::f;\n").is_some());
}
