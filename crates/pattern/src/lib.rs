//! A parser and evaluator for the CloudWatch Logs **JSON filter-pattern** dialect, the language the CIS
//! AWS Foundations monitoring controls are written in (`{ ($.eventName = ConsoleLogin) && … }`).
//!
//! Sources: awsdocs/amazon-cloudwatch-logs-user-guide `doc_source/FilterAndPatternSyntax.md` (the 2023
//! text, quoted below as "the doc"; its older text as "the 2021 doc") and the live page
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html>.
//!
//! # Syntax
//! * A pattern is one `{ … }` expression; whitespace around it and between tokens is optional.
//! * Selectors: `$.a.b`, `$.a[0].b`, `$.a[0][1]`; keys are letters, digits, `-`, `_`.
//! * `=` / `!=` take a value: a double-quoted string (`\"` and `\\` are escapes; any other backslash is
//!   kept literally), or an unquoted value of letters, digits and `_ - . * : / @ + # ~ ? , ; ' ^`.
//! * `<`, `<=`, `>`, `>=` take an unquoted NUMBER (`500`, `+1000`, `-1.5`, `10e-3`).
//! * `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS` (upper case). `IS NOT` and `EXISTS` are rejected:
//!   "The variables `IS NOT` and `EXISTS` currently aren't supported."
//! * `&&`, `||` and parentheses, precedence `() > && > ||`; at most 64 nested parentheses.
//! * `%regex%` values, text patterns and space-delimited (`[a, b]`) patterns are rejected.
//!
//! # Semantics
//! * Only strings and numbers are "value nodes": "Property selectors point to value nodes in JSON log
//!   events. Value nodes can be strings or numbers. … If a property selector points to an array or
//!   object, the metric filter won't match the log format." So `=`, `!=` and the numeric operators
//!   are false for a missing field (DataBiosphere/azul#5884 observed `!=` giving "no match" on a
//!   record without the field), `null`, a boolean, an object or an array. Booleans are tested with
//!   `IS TRUE` / `IS FALSE`, null with `IS NULL`, absence with `NOT EXISTS`.
//! * `*` matches any run of characters, anywhere in the value and any number of times; `$.x = "*"` is
//!   "present with a string or number value". Wildcards also apply to a number's text
//!   ("Use the asterisk ("*") as a wild card to match numbers"). No wildcard limit is enforced.
//! * An unquoted NUMBER compares numerically (`= 200` matches `200` and `200.0`; integers exactly),
//!   including against a string field that is entirely a NUMBER (`"200"`). A quoted value is a
//!   string: against a number field it is compared with the number's text.
//! * Matching is case-sensitive ("Filter patterns are case sensitive").
//! * `IS NULL` is true only for `null`; `NOT EXISTS` only for an absent path; `IS TRUE`/`IS FALSE`
//!   only for JSON booleans.
//!
//! Evaluation ([`Pattern::matches`]) does not allocate and never panics.

pub mod ast;
mod document;
mod error;
mod eval;
pub mod glob;
pub mod number;
mod parser;

#[cfg(test)]
mod tests;

pub use document::{Document, Lookup, Number, PathStep};
pub use error::{Found, ParseError, ParseErrorKind};

use ast::Node;
use parser::Parser;
use std::fmt;
use std::str::FromStr;

/// A compiled CloudWatch Logs JSON filter pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: Box<str>,
    root: Node,
}

/// One leaf term of a pattern and whether it held for a document (see [`Pattern::explain`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermOutcome {
    /// The term as written in the pattern, e.g. `$.eventName = "ConsoleLogin"`.
    pub term: String,
    /// Whether the term was true for the document.
    pub matched: bool,
}

impl Pattern {
    /// Parses and compiles a JSON filter pattern.
    ///
    /// # Errors
    /// A [`ParseError`] with the kind of problem, its byte offset and a hint.
    pub fn parse(src: &str) -> Result<Pattern, ParseError> {
        let root = Parser::new(src).parse_pattern()?;
        Ok(Pattern {
            source: src.into(),
            root,
        })
    }

    /// The compiled expression (for the EventBridge and SQL compilers, which translate it).
    pub fn ast(&self) -> &Node {
        &self.root
    }

    /// The pattern text exactly as given to [`Pattern::parse`].
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the document matches. Allocation-free.
    pub fn matches<D: Document + ?Sized>(&self, doc: &D) -> bool {
        self.root.eval(doc)
    }

    /// For indexing: the exact values the field at `selector` (e.g. `"$.eventName"`) must equal for the
    /// pattern to possibly match, sorted and deduplicated; `None` when the pattern can match with any
    /// value there (an `||` branch without such a term, a wildcard or numeric value, or an invalid
    /// selector). `Some(vec![])` means the pattern can never match.
    ///
    /// The values are string values: a record whose field is not a JSON string (e.g. a number that a
    /// quoted value might still match through its text) must be evaluated without the index.
    pub fn required_values(&self, selector: &str) -> Option<Vec<&str>> {
        let path = Parser::new(selector).parse_selector_only()?;
        self.required_at(&path)
    }

    /// [`Pattern::required_values`] for a parsed path.
    fn required_at(&self, path: &[PathStep]) -> Option<Vec<&str>> {
        let mut values = self.root.required_values(path)?;
        values.sort_unstable();
        values.dedup();
        Some(values)
    }

    /// For indexing: prefixes one of which the string at `path` must start with for the pattern to possibly
    /// match (exact values count as their own prefix; a wildcard value `P*` gives `P`), sorted and
    /// deduplicated; `None` when the pattern does not constrain the field so. As with
    /// [`Pattern::required_values`], only a string value is covered.
    pub fn required_prefixes(&self, path: &[PathStep]) -> Option<Vec<&str>> {
        let mut prefixes = self.root.required_prefixes(path)?;
        prefixes.sort_unstable();
        prefixes.dedup();
        Some(prefixes)
    }

    /// For indexing: each field the pattern limits to a finite set of exact string values, with those values
    /// (as [`Pattern::required_values`] gives them), in the order the fields first appear in the pattern.
    /// Fields compared only with wildcards, numbers, `!=` or the `IS`/`NOT EXISTS` tests are not listed; nor
    /// is a field that only some `||` branches constrain.
    pub fn required_fields(&self) -> Vec<(&[PathStep], Vec<&str>)> {
        let mut paths: Vec<&[PathStep]> = Vec::new();
        self.root.for_each_term(&mut |term| {
            let exact = matches!(&term.test, ast::Test::Equals(lit) if lit.is_exact());
            if exact && !paths.contains(&&*term.path) {
                paths.push(&term.path);
            }
        });
        paths
            .into_iter()
            .filter_map(|path| Some((path, self.required_at(path)?)))
            .collect()
    }

    /// Evaluates every leaf term (no short-circuit) and reports each, in source order.
    pub fn explain<D: Document + ?Sized>(&self, doc: &D) -> Vec<TermOutcome> {
        let mut out = Vec::new();
        self.root.for_each_term(&mut |term| {
            out.push(TermOutcome {
                term: self.source.get(term.span.clone()).unwrap_or("").to_owned(),
                matched: term.eval(doc),
            });
        });
        out
    }
}

impl FromStr for Pattern {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Pattern, ParseError> {
        Pattern::parse(s)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}
