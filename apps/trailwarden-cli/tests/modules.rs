//! The CLI's modules depend on one another without cycles (the graph is drawn in `src/main.rs`).
//!
//! Reads `src/**/*.rs` and builds the module graph from the code (comments and literals left out):
//!
//! * every `crate::a::b…` path (also inside `use crate::{…}` groups) is an edge to the module that defines
//!   `a::b…`: the longest prefix of the path that is a module file, so a re-export `crate::x::Y` is an edge to
//!   `x`, and `x`'s own `use` of `Y`'s defining module is an edge from `x`;
//! * every `super::…` path, resolved from the module it is written in (inline `mod tests { … }` blocks
//!   included, so `super::*` in a file's tests is the file itself);
//! * every module depends on the module that declares it (its parent: `commands` dispatches to
//!   `commands::scan`), so a child may not reach back up to its parent or ancestors either.
//!
//! A module's path is its file's: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`; a file named by a
//! `#[path = "…"]` attribute is the module it is declared as (`s3_disabled.rs` is `s3`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The crate root's module path.
const ROOT: &str = "crate";

#[test]
fn the_cli_modules_have_no_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = read_tree(&src);
    assert!(files.len() > 10, "read {} files under {src:?}", files.len());
    let graph = graph(&files);
    // The graph is read as intended: a few edges the layout must have.
    for (from, to) in [
        ("commands::scan", "source"),
        ("source", "location"),
        ("hunts", "hunts::regions"),
        ("hunts::regions", "hunt"),
        ("s3", "location"),
        (ROOT, "commands"),
    ] {
        assert!(
            graph.get(from).is_some_and(|to_set| to_set.contains(to)),
            "no edge {from} -> {to}: {graph:#?}"
        );
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the CLI's modules have a cycle: {}\n\nthe graph:\n{}",
            cycle.join(" -> "),
            graph
                .iter()
                .map(|(m, to)| format!(
                    "  {m} -> {}",
                    to.iter().cloned().collect::<Vec<_>>().join(", ")
                ))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn the_checker_finds_cycles_through_groups_reexports_super_and_parents() {
    let files = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(p, s)| (p.to_string(), s.to_string()))
            .collect()
    };
    // a uses b through a group; b re-exports c's item; c uses a's item through b's re-export.
    let cyclic = files(&[
        ("main.rs", "mod a; mod b; mod c;"),
        ("a.rs", "use crate::{b::{self, Y}, c};"),
        ("b.rs", "pub use crate::c::Y;"),
        ("c.rs", "fn f() { crate::a::g() }"),
    ]);
    let cycle = find_cycle(&graph(&cyclic)).expect("a cycle");
    assert_eq!(cycle.first(), cycle.last());
    assert!(cycle.contains(&"b".to_owned()) && cycle.contains(&"c".to_owned()));

    // Comments and strings are not code; `super::*` in a file's tests is the file itself.
    let acyclic = files(&[
        ("main.rs", "mod a; mod b;"),
        (
            "a.rs",
            "/// see [`crate::b`]\nuse crate::b::X; const S: &str = \"crate::b\";",
        ),
        (
            "b.rs",
            "// crate::a\nconst R: &str = r#\"crate::a\"#; const C: char = '\"'; \
             fn f<'a>(x: &'a str) {}\n#[cfg(test)] mod tests { use super::*; }",
        ),
    ]);
    assert_eq!(find_cycle(&graph(&acyclic)), None, "{:?}", graph(&acyclic));

    // A child that reaches its parent through `super::` closes a cycle with the parent's declaration.
    let up = files(&[
        ("main.rs", "mod p;"),
        ("p/mod.rs", "mod k; pub const X: u8 = 1;"),
        ("p/k.rs", "use super::X;"),
    ]);
    let g = graph(&up);
    assert!(g["p::k"].contains("p"), "{g:?}");
    assert!(find_cycle(&g).is_some());

    // `#[path]` files are the module they are declared as.
    let path = files(&[
        (
            "main.rs",
            "#[cfg(not(feature = \"x\"))]\n#[path = \"x_off.rs\"]\nmod x; mod y;",
        ),
        ("x_off.rs", "use crate::y::Z;"),
        ("y.rs", "use crate::x::W;"),
    ]);
    assert!(find_cycle(&graph(&path)).is_some());
}

/// Every `.rs` file under `src`, as (path relative to `src` with `/`, text).
fn read_tree(src: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).unwrap();
                let rel = rel
                    .iter()
                    .map(|c| c.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

/// The module path of a file (relative to `src`), before `#[path]` attributes: `a/b.rs` and `a/b/mod.rs` are
/// `a::b`; `main.rs` and `lib.rs` are the root.
fn module_of(file: &str) -> String {
    let stem = file.strip_suffix(".rs").unwrap_or(file);
    let stem = stem.strip_suffix("/mod").unwrap_or(stem);
    if stem == "main" || stem == "lib" {
        return ROOT.to_owned();
    }
    stem.replace('/', "::")
}

/// The directory a module's `#[path]` attributes are relative to, and where its child files are.
fn dir_of(file: &str) -> &str {
    file.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The module graph of the files: module -> modules it depends on.
fn graph(files: &[(String, String)]) -> Graph {
    // Files named by `#[path = "f.rs"] mod name;` are the module `name` of the declaring module.
    let mut module_of_file: BTreeMap<String, String> = files
        .iter()
        .map(|(f, _)| (f.clone(), module_of(f)))
        .collect();
    for (file, text) in files {
        let code = strip(text);
        let raw = text.as_str();
        let declaring = module_of(file);
        for (path_attr, name) in path_attributes(raw, &code) {
            let target = if dir_of(file).is_empty() {
                path_attr
            } else {
                format!("{}/{path_attr}", dir_of(file))
            };
            let module = if declaring == ROOT {
                name
            } else {
                format!("{declaring}::{name}")
            };
            module_of_file.insert(target, module);
        }
    }
    let modules: BTreeSet<String> = module_of_file.values().cloned().collect();
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    // Each module depends on its parent's declaration of it: parent -> child.
    for m in &modules {
        if m != ROOT {
            let parent = m.rsplit_once("::").map_or(ROOT, |(p, _)| p);
            graph
                .entry(parent.to_owned())
                .or_default()
                .insert(m.clone());
        }
    }
    for (file, text) in files {
        let from = &module_of_file[file];
        for path in references(&strip(text), from) {
            let to = resolve(&path, &modules);
            if &to != from {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    graph
}

/// The module that defines `path` (segments from the crate root): its longest prefix that is a module.
fn resolve(path: &[String], modules: &BTreeSet<String>) -> String {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains(m))
        .unwrap_or_else(|| ROOT.to_owned())
}

/// `(file, module name)` of each `#[path = "file"] … mod name;` in the code. `code` is `raw` with comments
/// and literals blanked (same byte offsets), so the attribute's string is read from `raw`.
fn path_attributes(raw: &str, code: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = code[at..].find("#[path") {
        let start = at + i;
        let Some(close) = code[start..].find(']') else {
            break;
        };
        let attr = &raw[start..start + close];
        let file = attr.split('"').nth(1).unwrap_or_default().to_owned();
        // The next `mod NAME` after the attribute (other attributes may come between).
        let rest = &code[start + close..];
        if let Some(m) = rest.find("mod ") {
            let name: String = rest[m + 4..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push((file, name));
        }
        at = start + close;
    }
    out
}

/// The text with comments, string literals and char literals replaced by spaces (newlines and byte offsets
/// kept), so only code is searched.
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Block comments nest.
                let (mut depth, mut j) = (0usize, i);
                while j < b.len() {
                    if b[j..].starts_with(b"/*") {
                        depth += 1;
                        j += 2;
                    } else if b[j..].starts_with(b"*/") {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        j += 1;
                    }
                }
                blank(&mut out, i, j);
                i = j;
            }
            b'r' if (i == 0
                || !ident(b[i - 1])
                || (b[i - 1] == b'b' && (i < 2 || !ident(b[i - 2]))))
                && matches!(b.get(i + 1), Some(b'"' | b'#')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                let body = i + 2 + hashes;
                let end = b[body..]
                    .windows(close.len())
                    .position(|w| w == close.as_slice())
                    .map_or(b.len(), |n| body + n + close.len());
                blank(&mut out, i, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i, j + 1);
                i = j + 1;
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}', 'é'), or a lifetime or label ('a) left as is.
                if b.get(i + 1) == Some(&b'\\') {
                    let end = text[i + 2..].find('\'').map_or(b.len(), |n| i + 2 + n + 1);
                    blank(&mut out, i, end);
                    i = end;
                } else if let Some(c) = text[i + 1..].chars().next() {
                    let after = i + 1 + c.len_utf8();
                    if b.get(after) == Some(&b'\'') {
                        blank(&mut out, i, after + 1);
                        i = after + 1;
                    } else {
                        i += 1;
                    }
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Other,
}

fn tokens(code: &str) -> Vec<Token> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            // `$crate` in a macro is not a path of this crate's code as written.
            let dollar = start > 0 && b[start - 1] == b'$';
            out.push(if dollar {
                Token::Other
            } else {
                Token::Ident(code[start..i].to_owned())
            });
            continue;
        }
        out.push(match c {
            b':' if b.get(i + 1) == Some(&b':') => {
                i += 1;
                Token::PathSep
            }
            b'{' => Token::Open,
            b'}' => Token::Close,
            b',' => Token::Comma,
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            _ => Token::Other,
        });
        i += 1;
    }
    out
}

/// Every `crate::…` and `super::…` path in the code of the module `module`, as segments from the crate root
/// (groups expanded: `crate::{a::b, c}` is `a::b` and `c`).
fn references(code: &str, module: &str) -> Vec<Vec<String>> {
    let toks = tokens(code);
    let base: Vec<String> = if module == ROOT {
        Vec::new()
    } else {
        module.split("::").map(str::to_owned).collect()
    };
    let mut out = Vec::new();
    // Inline modules (`mod tests { … }`) open at these brace depths.
    let mut inline: Vec<(usize, String)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Token::Open => depth += 1,
            Token::Close => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(d, _)| *d == depth) {
                    inline.pop();
                }
            }
            Token::Ident(kw) if kw == "mod" => {
                if let (Some(Token::Ident(name)), Some(Token::Open)) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    inline.push((depth, name.clone()));
                }
            }
            Token::Ident(start)
                if (start == "crate" || start == "super")
                    && toks.get(i + 1) == Some(&Token::PathSep) =>
            {
                let preceded_by_sep = i > 0 && toks[i - 1] == Token::PathSep;
                if !preceded_by_sep {
                    let mut prefix: Vec<String> = if start == "crate" {
                        Vec::new()
                    } else {
                        // Where the code is: the file's module and the inline modules around it.
                        let mut here = base.clone();
                        here.extend(inline.iter().map(|(_, n)| n.clone()));
                        here.pop();
                        here
                    };
                    let mut j = i + 2;
                    // More `super::` segments.
                    while start == "super"
                        && matches!(toks.get(j), Some(Token::Ident(s)) if s == "super")
                        && toks.get(j + 1) == Some(&Token::PathSep)
                    {
                        prefix.pop();
                        j += 2;
                    }
                    let (paths, _) = path_tail(&toks, j, prefix);
                    out.extend(paths);
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The paths of a path's tail starting at token `at` (after `prefix::`): `a::b`, `a::{b, c::d}`, `*`, and
/// where the tail ends.
fn path_tail(toks: &[Token], mut at: usize, mut prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    loop {
        match toks.get(at) {
            Some(Token::Ident(seg)) => {
                if seg != "self" {
                    prefix.push(seg.clone());
                }
                if toks.get(at + 1) == Some(&Token::PathSep) {
                    at += 2;
                } else {
                    return (vec![prefix], at + 1);
                }
            }
            Some(Token::Open) => {
                let mut paths = Vec::new();
                at += 1;
                loop {
                    match toks.get(at) {
                        Some(Token::Close) => return (paths, at + 1),
                        Some(Token::Comma) => at += 1,
                        Some(Token::Ident(_)) | Some(Token::Open) => {
                            let (more, next) = path_tail(toks, at, prefix.clone());
                            paths.extend(more);
                            at = next;
                            // `as alias`
                            while let Some(Token::Ident(_)) = toks.get(at) {
                                at += 1;
                            }
                        }
                        Some(_) => {
                            // `*` or something unexpected: the group's prefix itself.
                            paths.push(prefix.clone());
                            at += 1;
                        }
                        None => return (paths, at),
                    }
                }
            }
            // `*` or the end: the prefix.
            _ => return (vec![prefix], at),
        }
    }
}

/// A cycle of the graph, as `a -> … -> a`, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, graph, marks, stack) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}
