//! Neither the parser nor the evaluator panics, whatever the input.

use super::{cis, json};
use crate::Pattern;

fn doc() -> serde_json::Value {
    json(
        r#"{"a": "x", "b": 1, "c": [1, {"d": null}], "e": true, "f": {"g": "h"}, "n": -2.5e3, "u": "ü"}"#,
    )
}

#[test]
fn every_prefix_and_suffix_of_every_cis_pattern() {
    let doc = doc();
    for src in cis::ALL {
        for (i, _) in src.char_indices() {
            for piece in [&src[..i], &src[i..]] {
                if let Ok(p) = Pattern::parse(piece) {
                    let _ = p.matches(&doc);
                    let _ = p.explain(&doc);
                    let _ = p.required_values("$.eventName");
                }
            }
        }
    }
}

#[test]
fn random_token_soup() {
    const TOKENS: &[&str] = &[
        "{",
        "}",
        "(",
        ")",
        " ",
        "$",
        ".",
        "$.a",
        "$.b",
        "$.c[1].d",
        "$.e",
        "$.f.g",
        "$.n",
        "$.u",
        "[",
        "]",
        "0",
        "1",
        "99999999999999999999999999",
        "=",
        "!=",
        "!",
        "<",
        "<=",
        ">",
        ">=",
        "&&",
        "||",
        "&",
        "|",
        "IS",
        "NULL",
        "TRUE",
        "FALSE",
        "NOT",
        "EXISTS",
        "is",
        "\"",
        "\"x\"",
        "\\",
        "*",
        "x*",
        "*x",
        "-",
        "+",
        "e",
        "1e5",
        "1.5",
        "ü",
        "%",
        "\n",
        "é*",
        "\"ü*\"",
    ];
    let doc = doc();
    // A fixed-seed linear congruential generator: reproducible, no dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // `bound` is small, so the high bits modulo it are fine for fuzzing.
        ((state >> 33) as usize) % bound
    };
    let mut parsed = 0;
    for _ in 0..20_000 {
        let mut src = String::from("{");
        for _ in 0..next(12) {
            src.push_str(TOKENS[next(TOKENS.len())]);
        }
        if next(2) == 0 {
            src.push('}');
        }
        match Pattern::parse(&src) {
            Ok(p) => {
                parsed += 1;
                let _ = p.matches(&doc);
                let _ = p.explain(&doc);
            }
            Err(e) => {
                // Positions are valid offsets into the input.
                assert!(e.position <= src.len(), "{src:?}: {e}");
                assert!(src.is_char_boundary(e.position), "{src:?}: {e}");
                let _ = e.to_string();
            }
        }
    }
    assert!(parsed > 0, "the soup never produced a valid pattern");
}

#[test]
fn odd_documents() {
    let p =
        Pattern::parse("{ $.a[0].b = x || $.a[0].b NOT EXISTS || $.a > 1 || $.a = * }").unwrap();
    for record in [
        "null",
        "[]",
        "1",
        "\"a\"",
        "{}",
        r#"{"a": []}"#,
        r#"{"a": [[]]}"#,
        r#"{"a": [{"b": {}}]}"#,
        r#"{"a": 1e308}"#,
        r#"{"a": -1e-308}"#,
        r#"{"a": 18446744073709551615}"#,
        r#"{"a": -9223372036854775808}"#,
    ] {
        let _ = p.matches(&json(record));
    }
}
