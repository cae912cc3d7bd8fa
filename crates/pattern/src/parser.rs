//! Recursive-descent parser for the JSON filter-pattern dialect.
//!
//! ```text
//! pattern  := ws '{' or '}' ws                    -- nothing may follow
//! or       := and ( '||' and )*
//! and      := primary ( '&&' primary )*
//! primary  := '(' or ')' | term                   -- at most MAX_DEPTH nested '('
//! term     := selector ( ('=' | '!=') value
//!                      | ('<' | '<=' | '>' | '>=') NUMBER
//!                      | 'IS' ('NULL' | 'TRUE' | 'FALSE')
//!                      | 'NOT' 'EXISTS' )
//! selector := '$' '.' key ( '.' key | '[' digits ']' )*     key := [A-Za-z0-9_-]+
//! value    := '"' ( [^"\\] | '\"' | '\\' | '\' other )* '"' | bare+
//! ```
//! Whitespace is optional around operators and parentheses. Positions in errors are byte offsets.

use super::ast::{Literal, Node, NumericOp, Term, Test};
use super::document::PathStep;
use super::error::{Found, ParseError, ParseErrorKind};
use super::number::parse_number;

/// Maximum nesting depth of parentheses; deeper input is rejected instead of risking the stack.
pub(crate) const MAX_DEPTH: usize = 64;

const HINT_QUOTE: &str = "quote strings that contain spaces or symbols";
const HINT_SELECTOR: &str = "selectors start with `$.` and use letters, digits, `-`, `_` and `[0]` indexes, e.g. `$.userIdentity.type` or `$.resources[0].ARN`";
const HINT_OPERATOR: &str =
    "compare with =, != (strings or numbers) or <, <=, >, >= (numbers), or test with IS NULL, IS TRUE, IS FALSE, NOT EXISTS";
const HINT_LOGICAL: &str =
    "join terms with `&&` (and) or `||` (or); quote values that contain spaces or symbols";

/// Characters allowed in an unquoted value. CloudWatch's docs ask for quotes around anything but
/// letters, digits and `_`, yet its own examples and the CIS patterns use unquoted `.`, `*`, `-`
/// (`123.123.*`, `kms.amazonaws.com`, `*UnauthorizedOperation`); we accept those and a few more
/// punctuation characters that cannot be confused with the pattern's own syntax.
fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'_' | b'-'
                | b'.'
                | b'*'
                | b':'
                | b'/'
                | b'@'
                | b'+'
                | b'#'
                | b'~'
                | b'?'
                | b','
                | b';'
                | b'\''
                | b'^'
        )
}

fn is_key(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

pub(crate) struct Parser<'s> {
    src: &'s str,
    bytes: &'s [u8],
    pos: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(src: &'s str) -> Parser<'s> {
        Parser {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    /// Parses a whole pattern.
    pub(crate) fn parse_pattern(mut self) -> Result<Node, ParseError> {
        self.skip_ws();
        if self.peek() != Some(b'{') {
            let hint = match self.peek() {
                None => "an empty pattern matches every event in CloudWatch, but a rule needs a JSON pattern such as `{ $.eventName = \"ConsoleLogin\" }`",
                Some(b'[') => "space-delimited patterns (`[a, b]`) are not supported: rules evaluate JSON records, so use `{ $.field = value }`",
                _ => "only JSON patterns are supported: wrap the expression in `{ }`, e.g. `{ $.eventName = \"ConsoleLogin\" }`",
            };
            return Err(self.error(
                ParseErrorKind::NotAJsonPattern {
                    found: self.found(),
                },
                hint,
            ));
        }
        self.pos += 1;
        let root = self.parse_or()?;
        self.skip_ws();
        match self.peek() {
            Some(b'}') => self.pos += 1,
            Some(b')') => {
                return Err(self.error(
                    ParseErrorKind::UnmatchedClosingParenthesis,
                    "remove the `)` or add its `(`",
                ))
            }
            None => {
                return Err(self.error(
                    ParseErrorKind::ExpectedClosingBrace { found: Found::End },
                    "a JSON pattern ends with `}`",
                ))
            }
            Some(_) => return Err(self.after_term_error()),
        }
        self.skip_ws();
        if let Some(c) = self.rest().chars().next() {
            return Err(self.error(
                ParseErrorKind::TrailingInput { found: c },
                "a pattern is one `{ … }` expression: put every term inside the braces",
            ));
        }
        Ok(root)
    }

    /// Parses a string that must be exactly one selector (for `Pattern::required_values`).
    pub(crate) fn parse_selector_only(mut self) -> Option<Box<[PathStep]>> {
        if self.peek() != Some(b'$') {
            return None;
        }
        let path = self.parse_selector().ok()?;
        (self.pos == self.bytes.len()).then_some(path)
    }

    fn parse_or(&mut self) -> Result<Node, ParseError> {
        let first = self.parse_and()?;
        if !self.eat_operator(b"||") {
            return Ok(first);
        }
        let mut items = vec![first, self.parse_and()?];
        while self.eat_operator(b"||") {
            items.push(self.parse_and()?);
        }
        Ok(Node::Or(items.into_boxed_slice()))
    }

    fn parse_and(&mut self) -> Result<Node, ParseError> {
        let first = self.parse_primary()?;
        if !self.eat_operator(b"&&") {
            return Ok(first);
        }
        let mut items = vec![first, self.parse_primary()?];
        while self.eat_operator(b"&&") {
            items.push(self.parse_primary()?);
        }
        Ok(Node::And(items.into_boxed_slice()))
    }

    /// Skips whitespace and consumes `op` if it is next.
    fn eat_operator(&mut self, op: &[u8]) -> bool {
        self.skip_ws();
        if self
            .bytes
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(op))
        {
            self.pos += op.len();
            true
        } else {
            false
        }
    }

    fn parse_primary(&mut self) -> Result<Node, ParseError> {
        self.skip_ws();
        match self.peek() {
            Some(b'(') => {
                if self.depth >= MAX_DEPTH {
                    return Err(self.error(
                        ParseErrorKind::TooDeeplyNested { limit: MAX_DEPTH },
                        "remove redundant parentheses",
                    ));
                }
                self.depth += 1;
                self.pos += 1;
                let inner = self.parse_or()?;
                self.skip_ws();
                match self.peek() {
                    Some(b')') => self.pos += 1,
                    None | Some(b'}') => {
                        return Err(self.error(
                            ParseErrorKind::ExpectedClosingParenthesis {
                                found: self.found(),
                            },
                            "every `(` needs a matching `)`",
                        ))
                    }
                    Some(_) => return Err(self.after_term_error()),
                }
                self.depth -= 1;
                Ok(inner)
            }
            Some(b'$') => self.parse_term().map(Node::Term),
            other => {
                let hint = match other {
                    Some(b')' | b'}') => {
                        "an empty expression: put a term such as `$.eventName = ConsoleLogin` here"
                    }
                    Some(b'&' | b'|') => "`&&` and `||` need a term on each side",
                    _ => HINT_SELECTOR,
                };
                Err(self.error(
                    ParseErrorKind::ExpectedSelector {
                        found: self.found(),
                    },
                    hint,
                ))
            }
        }
    }

    fn parse_term(&mut self) -> Result<Term, ParseError> {
        let start = self.pos;
        let path = self.parse_selector()?;
        self.skip_ws();
        let test = match self.peek() {
            Some(b'=') => {
                self.pos += 1;
                Test::Equals(self.parse_value("=")?)
            }
            Some(b'!') if self.peek_at(1) == Some(b'=') => {
                self.pos += 2;
                Test::NotEquals(self.parse_value("!=")?)
            }
            Some(b'<') if self.peek_at(1) == Some(b'=') => {
                self.pos += 2;
                self.parse_numeric(NumericOp::LessOrEqual)?
            }
            Some(b'<') => {
                self.pos += 1;
                self.parse_numeric(NumericOp::Less)?
            }
            Some(b'>') if self.peek_at(1) == Some(b'=') => {
                self.pos += 2;
                self.parse_numeric(NumericOp::GreaterOrEqual)?
            }
            Some(b'>') => {
                self.pos += 1;
                self.parse_numeric(NumericOp::Greater)?
            }
            Some(b) if b.is_ascii_alphabetic() => self.parse_keyword_test()?,
            Some(b'!') => {
                return Err(self.error(
                    ParseErrorKind::ExpectedOperator {
                        found: self.found(),
                    },
                    "write not-equal as `!=`",
                ))
            }
            _ => {
                return Err(self.error(
                    ParseErrorKind::ExpectedOperator {
                        found: self.found(),
                    },
                    HINT_OPERATOR,
                ))
            }
        };
        Ok(Term {
            path,
            test,
            span: start..self.pos,
        })
    }

    fn parse_selector(&mut self) -> Result<Box<[PathStep]>, ParseError> {
        // The caller has seen `$`.
        self.pos += 1;
        if self.peek() != Some(b'.') {
            return Err(self.selector_error());
        }
        self.pos += 1;
        let mut path = vec![PathStep::Key(self.parse_key()?)];
        loop {
            match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    path.push(PathStep::Key(self.parse_key()?));
                }
                Some(b'[') => {
                    self.pos += 1;
                    let digits_start = self.pos;
                    while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                        self.pos += 1;
                    }
                    let index = self
                        .src
                        .get(digits_start..self.pos)
                        .and_then(|d| d.parse::<usize>().ok());
                    let Some(index) = index else {
                        if self.pos > digits_start {
                            // Too many digits for an index.
                            self.pos = digits_start;
                        }
                        return Err(self.selector_error());
                    };
                    if self.peek() != Some(b']') {
                        return Err(self.selector_error());
                    }
                    self.pos += 1;
                    path.push(PathStep::Index(index));
                }
                _ => return Ok(path.into_boxed_slice()),
            }
        }
    }

    fn parse_key(&mut self) -> Result<Box<str>, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(is_key) {
            self.pos += 1;
        }
        match self.src.get(start..self.pos) {
            Some(key) if !key.is_empty() => Ok(key.into()),
            _ => Err(self.selector_error()),
        }
    }

    fn selector_error(&self) -> ParseError {
        self.error(
            ParseErrorKind::InvalidSelector {
                found: self.found(),
            },
            HINT_SELECTOR,
        )
    }

    /// `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`, and the unsupported or misspelled forms.
    fn parse_keyword_test(&mut self) -> Result<Test, ParseError> {
        const HINT_CASE: &str =
            "write keywords in upper case: IS NULL, IS TRUE, IS FALSE, NOT EXISTS";
        let first_at = self.pos;
        let first = self.word();
        let (after, expected): (&'static str, &[&'static str]) = match first {
            "IS" => ("IS", &["NULL", "TRUE", "FALSE"]),
            "NOT" => ("NOT", &["EXISTS"]),
            _ => {
                self.pos = first_at;
                let (kind, hint) = if first.eq_ignore_ascii_case("EXISTS") {
                    (
                        ParseErrorKind::UnsupportedKeyword { keyword: "EXISTS" },
                        "CloudWatch doesn't support EXISTS; `$.field = \"*\"` matches a present string or number",
                    )
                } else if first.eq_ignore_ascii_case("IS") {
                    (
                        ParseErrorKind::KeywordNotUppercase { keyword: "IS" },
                        HINT_CASE,
                    )
                } else if first.eq_ignore_ascii_case("NOT") {
                    (
                        ParseErrorKind::KeywordNotUppercase { keyword: "NOT" },
                        HINT_CASE,
                    )
                } else {
                    let found = self.found();
                    (ParseErrorKind::ExpectedOperator { found }, HINT_OPERATOR)
                };
                return Err(self.error(kind, hint));
            }
        };
        self.skip_ws();
        let second_at = self.pos;
        let second = self.word();
        match (after, second) {
            ("IS", "NULL") => return Ok(Test::IsNull),
            ("IS", "TRUE") => return Ok(Test::IsTrue),
            ("IS", "FALSE") => return Ok(Test::IsFalse),
            ("NOT", "EXISTS") => return Ok(Test::NotExists),
            _ => {}
        }
        if after == "IS" && second.eq_ignore_ascii_case("NOT") {
            self.pos = first_at;
            return Err(self.error(
                ParseErrorKind::UnsupportedKeyword { keyword: "IS NOT" },
                "CloudWatch doesn't support IS NOT; use `!=`, or NOT EXISTS for an absent field",
            ));
        }
        self.pos = second_at;
        if let Some(keyword) = expected.iter().find(|k| k.eq_ignore_ascii_case(second)) {
            return Err(self.error(ParseErrorKind::KeywordNotUppercase { keyword }, HINT_CASE));
        }
        let hint = if after == "IS" {
            "`IS` tests a JSON null or boolean: IS NULL, IS TRUE or IS FALSE"
        } else {
            "`NOT` is only used in NOT EXISTS"
        };
        let found = self.found();
        Err(self.error(ParseErrorKind::ExpectedKeyword { found, after }, hint))
    }

    /// Consumes a run of ASCII letters.
    fn word(&mut self) -> &'s str {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        self.src.get(start..self.pos).unwrap_or("")
    }

    /// The value after `=` or `!=`.
    fn parse_value(&mut self, after: &'static str) -> Result<Literal, ParseError> {
        self.skip_ws();
        match self.peek() {
            Some(b'"') => Ok(Literal::new(self.parse_quoted()?, true)),
            Some(b'%') => Err(self.error(
                ParseErrorKind::RegexNotSupported,
                "`%regex%` values are not supported by this engine; use `*` wildcards",
            )),
            Some(b) if is_bare(b) => Ok(Literal::new(self.bare().to_owned(), false)),
            other => {
                let hint = match other {
                    Some(b'=') => "CloudWatch compares with a single `=`",
                    Some(b'$') => {
                        "comparing two selectors is not supported; quote strings that contain `$`"
                    }
                    _ => HINT_QUOTE,
                };
                Err(self.error(
                    ParseErrorKind::ExpectedValue {
                        found: self.found(),
                        after,
                    },
                    hint,
                ))
            }
        }
    }

    /// The number after `<`, `<=`, `>` or `>=`.
    fn parse_numeric(&mut self, op: NumericOp) -> Result<Test, ParseError> {
        self.skip_ws();
        let at = self.pos;
        let needs_number = ParseErrorKind::OperatorNeedsNumber {
            operator: op.text(),
        };
        match self.peek() {
            Some(b'"') => {
                self.parse_quoted()?;
                self.pos = at;
                Err(self.error(
                    needs_number,
                    "numeric comparisons take an unquoted number, e.g. `$.latency > 500`",
                ))
            }
            Some(b'%') => Err(self.error(
                ParseErrorKind::RegexNotSupported,
                "`%regex%` values are not supported by this engine",
            )),
            Some(b) if is_bare(b) => match parse_number(self.bare()) {
                Some(n) => Ok(Test::Compare(op, n)),
                None => {
                    self.pos = at;
                    Err(self.error(
                        needs_number,
                        "`<`, `<=`, `>`, `>=` compare numbers (e.g. 500, -1.5, 10e3); use `=` or `!=` with `*` wildcards for strings",
                    ))
                }
            },
            _ => Err(self.error(
                ParseErrorKind::ExpectedValue {
                    found: self.found(),
                    after: op.text(),
                },
                "numeric comparisons take a number, e.g. `$.latency > 500`",
            )),
        }
    }

    /// Consumes an unquoted value.
    fn bare(&mut self) -> &'s str {
        let start = self.pos;
        while self.peek().is_some_and(is_bare) {
            self.pos += 1;
        }
        self.src.get(start..self.pos).unwrap_or("")
    }

    /// Consumes a double-quoted string; `\"` and `\\` are escapes, any other backslash is literal.
    fn parse_quoted(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => break,
                },
                other => out.push(other),
            }
        }
        self.pos = open;
        Err(self.error(
            ParseErrorKind::UnterminatedString,
            "close the string with `\"`; write a quote inside it as `\\\"`",
        ))
    }

    /// The error for something unexpected right after a complete term.
    fn after_term_error(&self) -> ParseError {
        let hint = match self.peek() {
            Some(b'&') => "AND is written `&&`",
            Some(b'|') => "OR is written `||`",
            _ => HINT_LOGICAL,
        };
        self.error(
            ParseErrorKind::ExpectedLogicalOperator {
                found: self.found(),
            },
            hint,
        )
    }

    fn error(&self, kind: ParseErrorKind, hint: &'static str) -> ParseError {
        ParseError {
            kind,
            position: self.pos,
            hint,
        }
    }

    fn rest(&self) -> &'s str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn found(&self) -> Found {
        self.rest().chars().next().map_or(Found::End, Found::Char)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    /// Skips ASCII whitespace; returns whether there was any.
    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
        self.pos > start
    }
}
