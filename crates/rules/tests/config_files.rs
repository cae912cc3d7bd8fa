//! The rules files shipped in the repository parse and compile, so a user copying them starts from a valid file.

use rules::{Engine, RulesConfig};
use std::path::Path;

#[test]
fn example_rules_file_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../infra/examples/complete/trailwarden.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let cfg =
        RulesConfig::parse(&text, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::from_config(&cfg, "2026-11-23").unwrap_or_else(|e| panic!("{e}"));
    assert!(!engine.rules().is_empty());
}
