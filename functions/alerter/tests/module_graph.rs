//! The graph written in `lib.rs`'s documentation is the real one: what each module's code uses, as the
//! workspace's one module-graph checker reads it ([`test_support::module_graph`]; the workspace test
//! `tests/support/tests/module_graph.rs` fails on any cycle, this crate's included).

use std::path::PathBuf;

use test_support::module_graph::{crate_sources, Graph, ModuleGraph};

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
fn the_documented_graph_is_the_real_one() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = crate_sources(&src).unwrap();
    let graph = ModuleGraph::of(&sources).uses;
    assert!(graph.len() > 10, "modules found: {graph:?}");
    let lib = &sources.iter().find(|(f, _)| f == "lib.rs").unwrap().1;
    let mut real = graph.clone();
    real.remove("crate");
    assert_eq!(
        documented_graph(lib),
        real,
        "lib.rs's module graph is out of date; the real one is:\n{}",
        render(&graph)
    );
}
