//! The module graph of a crate, read from its sources, and its cycles: the one checker behind the workspace's
//! no-cycle test (`tests/module_graph.rs` of this crate) and the alerter's documented-graph test.
//!
//! The graph is built from the code (comments, literals and `#[cfg(test)]` items left out):
//!
//! * every `crate::a::b…`, `super::…` and `self::…` path (also inside `use crate::{…}` groups), and every
//!   `use child::…` of a module's own child, is a use of the module that defines `a::b…`: the longest prefix
//!   of the path that is a module, and when the next segment is a name that module re-exports (`pub use
//!   x::Y;`), also the module the re-export comes from, followed to the module that defines it. So
//!   `crate::Engine` through the root's `pub use engine::Engine` is a use of `engine` and of the root (a
//!   cycle, as the root declares `engine`): modules import from the defining module, `crate::engine::Engine`;
//! * `super::…` is resolved from the module it is written in (inline `mod m { … }` blocks included);
//! * every module depends on the module that declares it (its parent dispatches to it), so a child may not
//!   reach back up to its parent or ancestors either: [`ModuleGraph::declares`].
//!
//! A module's path is its file's: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`; a file named by a
//! `#[path = "…"]` attribute is the module it is declared as (`s3_disabled.rs` is `s3`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module -> the modules it depends on.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The crate root's module path.
pub const ROOT: &str = "crate";

/// A crate's module graph: what each module's code uses, and which modules each module declares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleGraph {
    /// Module -> the modules its code uses (paths and `use child::…`), re-exports followed.
    pub uses: Graph,
    /// Module -> the child modules it declares.
    pub declares: Graph,
}

impl ModuleGraph {
    /// The graph of a crate's files: `(path relative to src with '/', text)`, as [`crate_sources`] reads them.
    pub fn of(files: &[(String, String)]) -> ModuleGraph {
        build(files)
    }

    /// Uses and declarations together: the graph that must have no cycle.
    pub fn all(&self) -> Graph {
        let mut all = self.uses.clone();
        for (m, children) in &self.declares {
            all.entry(m.clone())
                .or_default()
                .extend(children.iter().cloned());
        }
        all
    }

    /// A cycle of [`ModuleGraph::all`], as `a -> … -> a`, if there is one.
    pub fn cycle(&self) -> Option<Vec<String>> {
        find_cycle(&self.all())
    }
}

/// The files of the crate whose sources are in `src`, as (path relative to `src` with `/`, text): every
/// `.rs` file below it, except, when the crate has a library (`lib.rs`), the binaries (`main.rs`, `bin/`),
/// which use the library by its name, not through `crate::`.
pub fn crate_sources(src: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut files = read_tree(src)?;
    if files.iter().any(|(f, _)| f == "lib.rs") {
        files.retain(|(f, _)| f != "main.rs" && !f.starts_with("bin/"));
    }
    Ok(files)
}

/// Every `.rs` file under `src`, as (path relative to `src` with `/`, text), sorted.
pub fn read_tree(src: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for path in entries {
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let Ok(rel) = path.strip_prefix(src) else {
                    continue;
                };
                let rel = rel
                    .iter()
                    .map(|c| c.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, std::fs::read_to_string(&path)?));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A graph as lines `  a -> b, c`, for failure messages.
pub fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(m, to)| {
            format!(
                "  {m} -> {}",
                to.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn build(files: &[(String, String)]) -> ModuleGraph {
    // Files named by `#[path = "f.rs"] mod name;` are the module `name` of the declaring module.
    let mut module_of_file: BTreeMap<String, String> = files
        .iter()
        .map(|(f, _)| (f.clone(), module_of(f)))
        .collect();
    for (file, text) in files {
        let code = strip(text);
        let declaring = module_of(file);
        for (path_attr, name) in path_attributes(text, &code) {
            let target = if dir_of(file).is_empty() {
                path_attr
            } else {
                format!("{}/{path_attr}", dir_of(file))
            };
            module_of_file.insert(target, join(&declaring, &name));
        }
    }
    // Modules declared under `#[cfg(test)]` (`#[cfg(test)] mod tests;`) and what is below them are tests.
    let mut test_only = BTreeSet::new();
    for (file, text) in files {
        let code = strip(text);
        let declaring = module_of_file
            .get(file)
            .cloned()
            .unwrap_or_else(|| module_of(file));
        let mut at = 0;
        while let Some(i) = code[at..].find("#[cfg(test)]") {
            let rest = &code[at + i + "#[cfg(test)]".len()..];
            let item = rest.trim_start();
            let item = item.strip_prefix("pub ").unwrap_or(item);
            if let Some(decl) = item.strip_prefix("mod ") {
                if let Some((name, _)) = decl.split_once(';') {
                    if !name.contains('{') {
                        test_only.insert(join(&declaring, name.trim()));
                    }
                }
            }
            at += i + 1;
        }
    }
    let is_test = |m: &str| {
        test_only
            .iter()
            .any(|t| m == t || m.starts_with(&format!("{t}::")))
    };
    module_of_file.retain(|_, m| !is_test(m));
    let files: Vec<(String, String)> = files
        .iter()
        .filter(|(f, _)| module_of_file.contains_key(f))
        .cloned()
        .collect();
    let files = files.as_slice();
    let modules: BTreeSet<String> = module_of_file.values().cloned().collect();
    let mut declares: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for m in &modules {
        if m != ROOT {
            let parent = m.rsplit_once("::").map_or(ROOT, |(p, _)| p);
            declares
                .entry(parent.to_owned())
                .or_default()
                .insert(m.clone());
        }
    }
    // The code of each module, and its re-exports: name -> the absolute path it re-exports.
    let code: Vec<(String, String)> = files
        .iter()
        .filter_map(|(f, text)| Some((module_of_file.get(f)?.clone(), without_tests(&strip(text)))))
        .collect();
    let mut reexports: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (module, code) in &code {
        let map = reexports.entry(module.clone()).or_default();
        for path in pub_uses(code, module, &modules) {
            if let Some(name) = path.last() {
                map.insert(name.clone(), path.clone());
            }
        }
    }
    let mut uses: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for (from, code) in &code {
        for path in references(code, from, &modules) {
            for to in resolve(&path, &modules, &reexports, 0) {
                if &to != from {
                    uses.entry(from.clone()).or_default().insert(to);
                }
            }
        }
    }
    ModuleGraph { uses, declares }
}

fn join(parent: &str, name: &str) -> String {
    if parent == ROOT {
        name.to_owned()
    } else {
        format!("{parent}::{name}")
    }
}

fn segments(module: &str) -> Vec<String> {
    if module == ROOT {
        Vec::new()
    } else {
        module.split("::").map(str::to_owned).collect()
    }
}

/// The modules `path` (segments from the crate root) uses: its longest prefix that is a module and, when the
/// next segment is a name that module re-exports, the module the re-export comes from, followed to the one
/// that defines it (a path through a re-export uses both the re-exporting and the defining module).
fn resolve(
    path: &[String],
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    depth: usize,
) -> Vec<String> {
    let (n, module) = (0..=path.len())
        .rev()
        .map(|n| {
            (
                n,
                if n == 0 {
                    ROOT.to_owned()
                } else {
                    path[..n].join("::")
                },
            )
        })
        .find(|(_, m)| modules.contains(m))
        .unwrap_or((0, ROOT.to_owned()));
    let mut found = vec![module.clone()];
    if depth < 16 {
        if let Some(target) = path
            .get(n)
            .and_then(|name| reexports.get(&module)?.get(name))
        {
            if target.as_slice() != &path[..=n] {
                let mut next = target.clone();
                next.extend(path[n + 1..].iter().cloned());
                found.extend(resolve(&next, modules, reexports, depth + 1));
            }
        }
    }
    found
}

/// The code with every `#[cfg(test)]` item (a `mod tests { … }`, a `use …;`, a `fn … { … }`) blanked.
fn without_tests(code: &str) -> String {
    let mut out = code.as_bytes().to_vec();
    let mut at = 0;
    while let Some(i) = code[at..].find("#[cfg(test)]") {
        let start = at + i;
        let b = code.as_bytes();
        let mut j = start + "#[cfg(test)]".len();
        while j < b.len() && b[j] != b'{' && b[j] != b';' {
            j += 1;
        }
        if j < b.len() && b[j] == b'{' {
            let mut depth = 0usize;
            while j < b.len() {
                match b[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        let end = (j + 1).min(b.len());
        for c in &mut out[start..end] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
        at = end;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The absolute paths a path starting at token `at` names, if it is one of this crate's: `crate::…`,
/// `super::…`, `self::…` or `child::…` for a child module of `here` (`use` paths are relative to the module).
fn crate_paths(
    toks: &[Token],
    at: usize,
    here: &[String],
    modules: &BTreeSet<String>,
    relative: bool,
) -> Option<Vec<Vec<String>>> {
    let Some(Token::Ident(start)) = toks.get(at) else {
        return None;
    };
    if toks.get(at + 1) != Some(&Token::PathSep) {
        return None;
    }
    let (prefix, next) = match start.as_str() {
        "crate" => (Vec::new(), at + 2),
        "self" => (here.to_vec(), at + 2),
        "super" => {
            let mut prefix = here.to_vec();
            prefix.pop();
            let mut j = at + 2;
            while matches!(toks.get(j), Some(Token::Ident(s)) if s == "super")
                && toks.get(j + 1) == Some(&Token::PathSep)
            {
                prefix.pop();
                j += 2;
            }
            (prefix, j)
        }
        child if relative => {
            let mut m = here.to_vec();
            m.push(child.to_owned());
            if !modules.contains(&m.join("::")) {
                return None;
            }
            (here.to_vec(), at)
        }
        _ => return None,
    };
    Some(path_tail(toks, next, prefix).0)
}

/// Every path of this crate in the code of `module`, as segments from the crate root (groups expanded:
/// `crate::{a::b, c}` is `a::b` and `c`).
fn references(code: &str, module: &str, modules: &BTreeSet<String>) -> Vec<Vec<String>> {
    let toks = tokens(code);
    let base = segments(module);
    let mut out = Vec::new();
    // Inline modules (`mod m { … }`) open at these brace depths.
    let mut inline: Vec<(usize, String)> = Vec::new();
    let mut depth = 0usize;
    for i in 0..toks.len() {
        let mut here = base.clone();
        here.extend(inline.iter().map(|(_, n)| n.clone()));
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
            Token::Ident(kw) if kw == "use" => {
                // `use child::…`: relative to the module.
                if let Some(paths) = crate_paths(&toks, i + 1, &here, modules, true) {
                    out.extend(paths);
                }
            }
            Token::Ident(start)
                if matches!(start.as_str(), "crate" | "super" | "self")
                    && !(i > 0 && toks[i - 1] == Token::PathSep)
                    && !(i > 0 && toks[i - 1] == Token::Ident("use".to_owned())) =>
            {
                if let Some(paths) = crate_paths(&toks, i, &here, modules, false) {
                    out.extend(paths);
                }
            }
            _ => {}
        }
    }
    out
}

/// The absolute paths of the module's re-exports: `pub use …;` and `pub(crate) use …;`.
fn pub_uses(code: &str, module: &str, modules: &BTreeSet<String>) -> Vec<Vec<String>> {
    let here = segments(module);
    let mut out = Vec::new();
    for stmt in code.split(';') {
        let flat = stmt.split_whitespace().collect::<Vec<_>>().join(" ");
        let Some(at) = ["pub use ", "pub(crate) use "]
            .iter()
            .find_map(|p| flat.find(p).map(|i| i + p.len()))
        else {
            continue;
        };
        let toks = tokens(&flat[at..]);
        if let Some(paths) = crate_paths(&toks, 0, &here, modules, true) {
            out.extend(paths);
        }
    }
    out
}

// The module path of a file (relative to `src`), before `#[path]` attributes: `a/b.rs` and `a/b/mod.rs` are
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
pub fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(p, s)| (p.to_string(), s.to_string()))
            .collect()
    }

    fn cycle(list: &[(&str, &str)]) -> Option<Vec<String>> {
        ModuleGraph::of(&files(list)).cycle()
    }

    #[test]
    fn the_checker_finds_cycles_through_groups_reexports_super_and_parents() {
        // a uses b through a group; b re-exports c's item; c uses a's item through b's re-export.
        let cyclic = files(&[
            ("main.rs", "mod a; mod b; mod c;"),
            ("a.rs", "use crate::{b::{self, Y}, c};"),
            ("b.rs", "pub use crate::c::Y;"),
            ("c.rs", "fn f() { crate::a::g() }"),
        ]);
        let cycle = ModuleGraph::of(&cyclic).cycle().expect("a cycle");
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
        let g = ModuleGraph::of(&acyclic);
        assert_eq!(g.cycle(), None, "{g:?}");

        // A child that reaches its parent through `super::` closes a cycle with the parent's declaration.
        let up = files(&[
            ("main.rs", "mod p;"),
            ("p/mod.rs", "mod k; pub const X: u8 = 1;"),
            ("p/k.rs", "use super::X;"),
        ]);
        let g = ModuleGraph::of(&up);
        assert!(g.uses["p::k"].contains("p"), "{g:?}");
        assert!(g.cycle().is_some());

        // `#[path]` files are the module they are declared as.
        let path = files(&[
            (
                "main.rs",
                "#[cfg(not(feature = \"x\"))]\n#[path = \"x_off.rs\"]\nmod x; mod y;",
            ),
            ("x_off.rs", "use crate::y::Z;"),
            ("y.rs", "use crate::x::W;"),
        ]);
        assert!(ModuleGraph::of(&path).cycle().is_some());
    }

    #[test]
    fn the_checker_sees_cycles_through_paths_reexports_and_super() {
        let with_b = |b: &str| {
            cycle(&[
                ("lib.rs", "pub mod a;\npub mod b;\npub use a::Thing;\n"),
                ("a.rs", "use crate::b::other;\n"),
                ("b.rs", b),
            ])
        };
        assert_eq!(with_b("fn f() {}\n"), None);
        assert!(with_b("use crate::a::Thing;\n").is_some());
        assert!(
            with_b("use crate::Thing;\n").is_some(),
            "through a re-export"
        );
        assert!(
            with_b("fn f() { super::a::g() }\n").is_some(),
            "through super"
        );
        assert_eq!(
            with_b("// use crate::a::Thing;\nfn f() {}\n#[cfg(test)]\nmod tests { use crate::a::Thing; }\n"),
            None,
            "comments and tests are not edges"
        );
        // A child re-exported by its parent, using a sibling: no cycle; using the parent: a cycle.
        let nested = |child: &str| {
            cycle(&[
                ("lib.rs", "pub mod r;\n"),
                ("r/mod.rs", "pub mod x;\npub mod y;\npub use x::f;\n"),
                ("r/x.rs", child),
                ("r/y.rs", ""),
            ])
        };
        assert_eq!(nested("use super::y::g;\n"), None);
        assert!(nested("use crate::r::f;\n").is_some());
    }

    #[test]
    fn modules_declared_for_tests_are_not_read() {
        let g = ModuleGraph::of(&files(&[
            ("lib.rs", "pub mod p;\n"),
            ("p/mod.rs", "pub struct X;\n#[cfg(test)]\nmod tests;\n"),
            ("p/tests/mod.rs", "mod api;\nuse crate::p::X;\n"),
            ("p/tests/api.rs", "use super::super::X;\n"),
        ]));
        assert!(!g.uses.contains_key("p::tests"), "{g:?}");
        assert_eq!(g.cycle(), None, "{g:?}");
    }

    #[test]
    fn a_reexport_is_a_use_of_its_defining_module() {
        let g = ModuleGraph::of(&files(&[
            (
                "lib.rs",
                "pub mod engine;\npub mod scan;\npub use engine::Engine;\n",
            ),
            ("engine.rs", "pub struct Engine;\n"),
            ("scan.rs", "use crate::Engine;\n"),
        ]));
        assert!(g.uses["scan"].contains("engine"), "{g:?}");
        assert!(g.uses["crate"].contains("engine"), "{g:?}");
        assert!(
            g.cycle().is_some(),
            "a use through the root's re-export: {g:?}"
        );
        let g = ModuleGraph::of(&files(&[
            (
                "lib.rs",
                "pub mod engine;\npub mod scan;\npub use engine::Engine;\n",
            ),
            ("engine.rs", "pub struct Engine;\n"),
            ("scan.rs", "use crate::engine::Engine;\n"),
        ]));
        assert_eq!(g.cycle(), None, "{g:?}");
    }
}
