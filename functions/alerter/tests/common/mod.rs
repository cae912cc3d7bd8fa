//! Fixtures the alerter's test files share.

use rules::{Engine, Finding};

/// The finding of the built-in rule `rule_id` on `raw` (which it must match).
pub fn finding(rule_id: &str, raw: &str) -> Finding {
    let engine = Engine::with_ids(&[rule_id]).unwrap();
    let value = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
    let rule = &engine.rules()[0];
    let hit = rule
        .evaluate(value.root(), engine.context())
        .unwrap_or_else(|| panic!("{rule_id} does not match {raw}"));
    Finding::new(rule, hit, value.root())
}
