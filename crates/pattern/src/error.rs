//! Typed parse errors: what went wrong, where (byte offset into the pattern), and a hint.

use std::fmt;

/// Why a filter pattern failed to parse, with the byte offset where it failed and a hint for the author.
///
/// `Display` reads like `unexpected `)` at 14: expected a value after `=` (hint: quote strings that
/// contain spaces or symbols)`. `position` is a zero-based byte offset into the pattern text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} at {}: {} (hint: {})", .kind.headline(), .position, .kind.expectation(), .hint)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Zero-based byte offset into the pattern where the problem was found.
    pub position: usize,
    /// How to fix it.
    pub hint: &'static str,
}

/// What the parser found where it expected something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A character.
    Char(char),
    /// The end of the pattern.
    End,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Char(c) => write!(f, "unexpected `{c}`"),
            Found::End => f.write_str("unexpected end of pattern"),
        }
    }
}

/// The kinds of parse error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The pattern is not wrapped in `{ … }` (text and space-delimited patterns are not supported).
    NotAJsonPattern {
        /// What stood where `{` was expected.
        found: Found,
    },
    /// A term must start with a `$.` selector.
    ExpectedSelector {
        /// What stood where the selector was expected.
        found: Found,
    },
    /// A selector is malformed (bad key character, bad or unterminated `[index]`).
    InvalidSelector {
        /// The offending character.
        found: Found,
    },
    /// A selector must be followed by an operator or `IS …` / `NOT EXISTS`.
    ExpectedOperator {
        /// What stood where the operator was expected.
        found: Found,
    },
    /// An operator must be followed by a value.
    ExpectedValue {
        /// What stood where the value was expected.
        found: Found,
        /// The operator, e.g. `=`.
        after: &'static str,
    },
    /// `IS` must be followed by `NULL`, `TRUE` or `FALSE`; `NOT` by `EXISTS`.
    ExpectedKeyword {
        /// What stood where the keyword was expected.
        found: Found,
        /// The keyword before it, `IS` or `NOT`.
        after: &'static str,
    },
    /// `IS NOT` and `EXISTS` are documented as unsupported by CloudWatch.
    UnsupportedKeyword {
        /// `IS NOT` or `EXISTS`.
        keyword: &'static str,
    },
    /// `is null`, `not exists`, …: CloudWatch's keywords are upper-case.
    KeywordNotUppercase {
        /// The keyword as it should be written.
        keyword: &'static str,
    },
    /// A double-quoted string is not closed.
    UnterminatedString,
    /// `<`, `<=`, `>`, `>=` take an unquoted number.
    OperatorNeedsNumber {
        /// The operator.
        operator: &'static str,
    },
    /// `%regex%` values exist in CloudWatch but are not supported here.
    RegexNotSupported,
    /// After a term: expected `&&`, `||`, `)` or the closing `}`.
    ExpectedLogicalOperator {
        /// What stood there.
        found: Found,
    },
    /// A `(` was not closed.
    ExpectedClosingParenthesis {
        /// What stood where `)` was expected.
        found: Found,
    },
    /// A `)` without a matching `(`.
    UnmatchedClosingParenthesis,
    /// The pattern's `{` was not closed.
    ExpectedClosingBrace {
        /// What stood where `}` was expected.
        found: Found,
    },
    /// Something follows the closing `}`.
    TrailingInput {
        /// The first character after `}`.
        found: char,
    },
    /// Parentheses nest deeper than the parser allows.
    TooDeeplyNested {
        /// The maximum nesting depth.
        limit: usize,
    },
}

impl ParseErrorKind {
    /// The first half of the message: what was found.
    fn headline(&self) -> Headline<'_> {
        Headline(self)
    }

    /// The second half of the message: what was expected.
    fn expectation(&self) -> &'static str {
        match self {
            ParseErrorKind::NotAJsonPattern { .. } => "expected `{` to start a JSON pattern",
            ParseErrorKind::ExpectedSelector { .. } => "expected a selector such as `$.eventName`",
            ParseErrorKind::InvalidSelector { .. } => "expected a selector key or `[index]`",
            ParseErrorKind::ExpectedOperator { .. } => {
                "expected one of =, !=, <, <=, >, >=, IS NULL, IS TRUE, IS FALSE, NOT EXISTS"
            }
            ParseErrorKind::ExpectedValue { after, .. } => match *after {
                "=" => "expected a value after `=`",
                "!=" => "expected a value after `!=`",
                "<" => "expected a number after `<`",
                "<=" => "expected a number after `<=`",
                ">" => "expected a number after `>`",
                _ => "expected a number after `>=`",
            },
            ParseErrorKind::ExpectedKeyword { after, .. } => {
                if *after == "NOT" {
                    "expected `EXISTS` after `NOT`"
                } else {
                    "expected `NULL`, `TRUE` or `FALSE` after `IS`"
                }
            }
            ParseErrorKind::UnsupportedKeyword { .. } => "CloudWatch does not support it",
            ParseErrorKind::KeywordNotUppercase { .. } => "keywords are upper-case",
            ParseErrorKind::UnterminatedString => "expected a closing `\"`",
            ParseErrorKind::OperatorNeedsNumber { .. } => "expected an unquoted number",
            ParseErrorKind::RegexNotSupported => "expected a string or a number",
            ParseErrorKind::ExpectedLogicalOperator { .. } => {
                "expected `&&`, `||`, `)` or `}` after a term"
            }
            ParseErrorKind::ExpectedClosingParenthesis { .. } => "expected `)`",
            ParseErrorKind::UnmatchedClosingParenthesis => "expected `&&`, `||` or `}`",
            ParseErrorKind::ExpectedClosingBrace { .. } => "expected `}` to end the pattern",
            ParseErrorKind::TrailingInput { .. } => "expected nothing after the closing `}`",
            ParseErrorKind::TooDeeplyNested { .. } => "expected fewer nested parentheses",
        }
    }
}

/// Display adapter for [`ParseErrorKind::headline`], so formatting an error allocates nothing extra.
struct Headline<'a>(&'a ParseErrorKind);

impl fmt::Display for Headline<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ParseErrorKind::NotAJsonPattern { found }
            | ParseErrorKind::ExpectedSelector { found }
            | ParseErrorKind::InvalidSelector { found }
            | ParseErrorKind::ExpectedOperator { found }
            | ParseErrorKind::ExpectedValue { found, .. }
            | ParseErrorKind::ExpectedKeyword { found, .. }
            | ParseErrorKind::ExpectedLogicalOperator { found }
            | ParseErrorKind::ExpectedClosingParenthesis { found }
            | ParseErrorKind::ExpectedClosingBrace { found } => found.fmt(f),
            ParseErrorKind::UnsupportedKeyword { keyword } => {
                write!(f, "unsupported keyword `{keyword}`")
            }
            ParseErrorKind::KeywordNotUppercase { keyword } => {
                write!(f, "keyword `{keyword}` in the wrong case")
            }
            ParseErrorKind::UnterminatedString => f.write_str("unterminated string"),
            ParseErrorKind::OperatorNeedsNumber { operator } => {
                write!(f, "`{operator}` needs a number")
            }
            ParseErrorKind::RegexNotSupported => f.write_str("unsupported `%regex%` value"),
            ParseErrorKind::UnmatchedClosingParenthesis => f.write_str("unmatched `)`"),
            ParseErrorKind::TrailingInput { found } => write!(f, "unexpected `{found}`"),
            ParseErrorKind::TooDeeplyNested { limit } => {
                write!(f, "parentheses nested deeper than {limit}")
            }
        }
    }
}
