//! The compilers know no rule by its id: a code rule's knowledge (what it can match) lives in its own file, as
//! its prefilter. A compiler that matched rule ids would silently widen (or lose) a new rule that is missing
//! from its list.

use std::path::Path;

#[test]
fn no_builtin_rule_id_appears_in_a_compiler() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = test_support::module_graph::read_tree(&src).expect("the compilers' sources");
    assert!(files.len() >= 3, "read {} files", files.len());
    let mut hits = Vec::new();
    for rule in rules::catalog::BUILTIN {
        for (file, text) in &files {
            for (n, line) in text.lines().enumerate() {
                if line.contains(rule.id) {
                    hits.push(format!("src/{file}:{}: {}", n + 1, rule.id));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "rule ids in the compilers (declare a prefilter in the rule's file instead):\n{}",
        hits.join("\n")
    );
}
