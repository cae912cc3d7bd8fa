//! Malformed patterns give typed errors at the right byte offset, with a hint.

use crate::parser::MAX_DEPTH;
use crate::{Found, ParseError, ParseErrorKind as K, Pattern};

fn err(src: &str) -> ParseError {
    match Pattern::parse(src) {
        Ok(p) => panic!("{src:?} parsed, expected an error: {p:?}"),
        Err(e) => e,
    }
}

#[test]
fn typed_errors_with_positions() {
    use Found::{Char as C, End};
    let cases: &[(&str, K, usize)] = &[
        // Not a JSON pattern: "The metric filter must be enclosed in curly braces { }, to indicate this
        // is a JSON expression." (2021 doc)
        (
            "$.eventName = ConsoleLogin",
            K::NotAJsonPattern { found: C('$') },
            0,
        ),
        ("", K::NotAJsonPattern { found: End }, 0),
        ("   ", K::NotAJsonPattern { found: End }, 3),
        (
            "[ip, user, status_code = 4*]",
            K::NotAJsonPattern { found: C('[') },
            0,
        ),
        ("ERROR", K::NotAJsonPattern { found: C('E') }, 0),
        // Selectors: "Property selectors always start with dollar sign ($)" / "Set off property
        // selectors with a dollar sign followed by a period ("$.")".
        (
            "{ eventName = x }",
            K::ExpectedSelector { found: C('e') },
            2,
        ),
        ("{}", K::ExpectedSelector { found: C('}') }, 1),
        ("{ () }", K::ExpectedSelector { found: C(')') }, 3),
        (
            "{ $eventName = x }",
            K::InvalidSelector { found: C('e') },
            3,
        ),
        ("{ $. = x }", K::InvalidSelector { found: C(' ') }, 4),
        ("{ $.a. = x }", K::InvalidSelector { found: C(' ') }, 6),
        ("{ $.a[x] = 1 }", K::InvalidSelector { found: C('x') }, 6),
        ("{ $.a[0 = 1 }", K::InvalidSelector { found: C(' ') }, 7),
        (
            "{ $.a[99999999999999999999999] = 1 }",
            K::InvalidSelector { found: C('9') },
            6,
        ),
        ("{ $.a@b = 1 }", K::ExpectedOperator { found: C('@') }, 5),
        // Operators.
        ("{ $.a 1 }", K::ExpectedOperator { found: C('1') }, 6),
        ("{ $.a }", K::ExpectedOperator { found: C('}') }, 6),
        ("{ $.a ! = x }", K::ExpectedOperator { found: C('!') }, 6),
        (
            "{ $.a == 1 }",
            K::ExpectedValue {
                found: C('='),
                after: "=",
            },
            7,
        ),
        (
            "{($.errorCode =)}",
            K::ExpectedValue {
                found: C(')'),
                after: "=",
            },
            15,
        ),
        (
            "{ $.a != }",
            K::ExpectedValue {
                found: C('}'),
                after: "!=",
            },
            9,
        ),
        (
            "{ $.a = $.b }",
            K::ExpectedValue {
                found: C('$'),
                after: "=",
            },
            8,
        ),
        (
            "{ $.a = ünï }",
            K::ExpectedValue {
                found: C('ü'),
                after: "=",
            },
            8,
        ),
        ("{ $.a = %AccessDenied% }", K::RegexNotSupported, 8),
        // Numeric operators need a number: "{ SELECTOR NUMERIC_OPERATOR NUMBER }".
        ("{ $.a > abc }", K::OperatorNeedsNumber { operator: ">" }, 8),
        (
            "{ $.a >= \"5\" }",
            K::OperatorNeedsNumber { operator: ">=" },
            9,
        ),
        ("{ $.a < 5* }", K::OperatorNeedsNumber { operator: "<" }, 8),
        (
            "{ $.a <= 1.2.3 }",
            K::OperatorNeedsNumber { operator: "<=" },
            9,
        ),
        (
            "{ $.a > }",
            K::ExpectedValue {
                found: C('}'),
                after: ">",
            },
            8,
        ),
        // "The variables IS NOT and EXISTS currently aren't supported."
        (
            "{ $.a IS NOT NULL }",
            K::UnsupportedKeyword { keyword: "IS NOT" },
            6,
        ),
        (
            "{ $.a EXISTS }",
            K::UnsupportedKeyword { keyword: "EXISTS" },
            6,
        ),
        (
            "{ $.a exists }",
            K::UnsupportedKeyword { keyword: "EXISTS" },
            6,
        ),
        // Keywords as the doc writes them: upper case.
        (
            "{ $.a is null }",
            K::KeywordNotUppercase { keyword: "IS" },
            6,
        ),
        (
            "{ $.a IS null }",
            K::KeywordNotUppercase { keyword: "NULL" },
            9,
        ),
        (
            "{ $.a not exists }",
            K::KeywordNotUppercase { keyword: "NOT" },
            6,
        ),
        (
            "{ $.a NOT Exists }",
            K::KeywordNotUppercase { keyword: "EXISTS" },
            10,
        ),
        (
            "{ $.a IS MAYBE }",
            K::ExpectedKeyword {
                found: C('M'),
                after: "IS",
            },
            9,
        ),
        (
            "{ $.a IS }",
            K::ExpectedKeyword {
                found: C('}'),
                after: "IS",
            },
            9,
        ),
        (
            "{ $.a NOT NULL }",
            K::ExpectedKeyword {
                found: C('N'),
                after: "NOT",
            },
            10,
        ),
        ("{ $.a ISNULL }", K::ExpectedOperator { found: C('I') }, 6),
        // Strings.
        ("{ $.a = \"abc }", K::UnterminatedString, 8),
        ("{ $.a = \"abc\\\" }", K::UnterminatedString, 8),
        (
            "{ $.a = hello world }",
            K::ExpectedLogicalOperator { found: C('w') },
            14,
        ),
        // Logic and structure.
        (
            "{ $.a = 1 & $.b = 2 }",
            K::ExpectedLogicalOperator { found: C('&') },
            10,
        ),
        (
            "{ $.a = 1 | $.b = 2 }",
            K::ExpectedLogicalOperator { found: C('|') },
            10,
        ),
        ("{ $.a = 1 && }", K::ExpectedSelector { found: C('}') }, 13),
        ("{ || $.a = 1 }", K::ExpectedSelector { found: C('|') }, 2),
        (
            "{ ($.a = 1 }",
            K::ExpectedClosingParenthesis { found: C('}') },
            11,
        ),
        (
            "{ ($.a = 1",
            K::ExpectedClosingParenthesis { found: End },
            10,
        ),
        ("{ $.a = 1 ) }", K::UnmatchedClosingParenthesis, 10),
        ("{ $.a = 1", K::ExpectedClosingBrace { found: End }, 9),
        (
            "{ $.a = 1 } && { $.b = 2 }",
            K::TrailingInput { found: '&' },
            12,
        ),
        ("{ $.a = 1 }}", K::TrailingInput { found: '}' }, 11),
    ];
    let mut failures = Vec::new();
    for (src, kind, position) in cases {
        match Pattern::parse(src) {
            Ok(_) => failures.push(format!(
                "  {src:?}: parsed, expected {kind:?} at {position}"
            )),
            Err(e) => {
                if e.kind != *kind || e.position != *position {
                    failures.push(format!(
                        "  {src:?}: got {:?} at {}, expected {kind:?} at {position}",
                        e.kind, e.position
                    ));
                }
                assert!(!e.hint.is_empty(), "{src:?}: empty hint");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} error case(s) wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn display_reads_like_a_compiler_message() {
    assert_eq!(
        err("{($.errorCode =)}").to_string(),
        "unexpected `)` at 15: expected a value after `=` (hint: quote strings that contain spaces or symbols)"
    );
    assert_eq!(
        err("{ $.a IS NOT NULL }").to_string(),
        "unsupported keyword `IS NOT` at 6: CloudWatch does not support it (hint: CloudWatch doesn't support IS NOT; use `!=`, or NOT EXISTS for an absent field)"
    );
    assert_eq!(
        err("{ $.a = 1").to_string(),
        "unexpected end of pattern at 9: expected `}` to end the pattern (hint: a JSON pattern ends with `}`)"
    );
    let e = err("{ $.latency > fast }");
    assert_eq!(e.kind, K::OperatorNeedsNumber { operator: ">" });
    assert!(e
        .to_string()
        .starts_with("`>` needs a number at 14: expected an unquoted number (hint: "));
}

#[test]
fn nesting_is_capped_with_a_typed_error() {
    let nested = |depth: usize| format!("{{{}$.a = 1{}}}", "(".repeat(depth), ")".repeat(depth));
    assert!(Pattern::parse(&nested(MAX_DEPTH)).is_ok());
    let e = err(&nested(MAX_DEPTH + 1));
    assert_eq!(e.kind, K::TooDeeplyNested { limit: MAX_DEPTH });
    assert_eq!(e.position, 1 + MAX_DEPTH);
    // Far deeper input is rejected the same way, without exhausting the stack.
    let e = err(&nested(200_000));
    assert_eq!(e.kind, K::TooDeeplyNested { limit: MAX_DEPTH });
    // Unbalanced deep input too.
    let e = err(&format!("{{{}", "(".repeat(100_000)));
    assert_eq!(e.kind, K::TooDeeplyNested { limit: MAX_DEPTH });
}

#[test]
fn errors_are_comparable_and_std_errors() {
    let a = err("{ $.a > x }");
    let b = err("{ $.a > x }");
    assert_eq!(a, b);
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(a);
    assert!(boxed.to_string().contains("needs a number"));
}
