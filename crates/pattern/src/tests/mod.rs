//! Tests for the filter-pattern engine.
//!
//! "The doc" below is awsdocs/amazon-cloudwatch-logs-user-guide `doc_source/FilterAndPatternSyntax.md`
//! as of 2023 (live: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html);
//! "the 2021 doc" is the same file before its 2022 rewrite.

mod api;
mod cis;
mod corpus;
mod engine;
mod errors;
mod robustness;

use super::Pattern;
use serde_json::Value;

/// Parses a pattern that must be valid.
fn pattern(src: &str) -> Pattern {
    match Pattern::parse(src) {
        Ok(p) => p,
        Err(e) => panic!("{src:?} does not parse: {e}"),
    }
}

/// Parses a JSON test record.
fn json(src: &str) -> Value {
    match serde_json::from_str(src) {
        Ok(v) => v,
        Err(e) => panic!("bad test JSON {src:?}: {e}"),
    }
}
