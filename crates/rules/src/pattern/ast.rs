//! The compiled form of a pattern.

use super::document::PathStep;
use super::glob::Glob;
use super::number::{parse_number, Num};
use std::ops::Range;

/// An expression: `||` of `&&` of terms, as the precedence `() > && > ||` groups them.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// At least two alternatives.
    Or(Box<[Node]>),
    /// At least two conjuncts.
    And(Box<[Node]>),
    /// A leaf.
    Term(Term),
}

/// A leaf: `selector operator value`, or `selector IS …` / `selector NOT EXISTS`.
#[derive(Debug, Clone)]
pub(crate) struct Term {
    pub(crate) path: Box<[PathStep]>,
    pub(crate) test: Test,
    /// Byte range of the term in the pattern source (for `explain`).
    pub(crate) span: Range<usize>,
}

/// What a term checks.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    Equals(Literal),
    NotEquals(Literal),
    Compare(NumericOp, Num),
    IsNull,
    IsTrue,
    IsFalse,
    NotExists,
}

/// `<`, `<=`, `>`, `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumericOp {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl NumericOp {
    pub(crate) fn text(self) -> &'static str {
        match self {
            NumericOp::Less => "<",
            NumericOp::LessOrEqual => "<=",
            NumericOp::Greater => ">",
            NumericOp::GreaterOrEqual => ">=",
        }
    }

    /// Whether `field <op> literal` holds, given `field.compare(literal)`.
    pub(crate) fn accepts(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        match self {
            NumericOp::Less => ordering == Less,
            NumericOp::LessOrEqual => ordering != Greater,
            NumericOp::Greater => ordering == Greater,
            NumericOp::GreaterOrEqual => ordering != Less,
        }
    }
}

/// The value of an `=` / `!=` term.
#[derive(Debug, Clone)]
pub(crate) struct Literal {
    /// The value with quotes removed and escapes resolved.
    pub(crate) text: Box<str>,
    /// Set when the value contains `*`.
    pub(crate) glob: Option<Glob>,
    /// Set when the value is an unquoted NUMBER without wildcards.
    pub(crate) number: Option<Num>,
}

impl Literal {
    pub(crate) fn new(text: String, quoted: bool) -> Literal {
        let glob = Glob::compile(&text);
        let number = if quoted || glob.is_some() {
            None
        } else {
            parse_number(&text)
        };
        Literal {
            text: text.into_boxed_str(),
            glob,
            number,
        }
    }

    /// Whether `=` with this value matches exactly one string (no wildcard, not compared as a number): the
    /// values the rule index can key on.
    pub(crate) fn is_exact(&self) -> bool {
        self.glob.is_none() && self.number.is_none()
    }
}
