//! The compiled form of a pattern.

use super::document::PathStep;
use super::glob::Glob;
use super::number::{parse_number, Num};
use std::ops::Range;

/// An expression: `||` of `&&` of terms, as the precedence `() > && > ||` groups them.
#[derive(Debug, Clone)]
pub enum Node {
    /// At least two alternatives.
    Or(Box<[Node]>),
    /// At least two conjuncts.
    And(Box<[Node]>),
    /// A leaf.
    Term(Term),
}

/// A leaf: `selector operator value`, or `selector IS …` / `selector NOT EXISTS`.
#[derive(Debug, Clone)]
pub struct Term {
    pub path: Box<[PathStep]>,
    pub test: Test,
    /// Byte range of the term in the pattern source (for `explain`).
    pub span: Range<usize>,
}

/// What a term checks.
#[derive(Debug, Clone)]
pub enum Test {
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
pub enum NumericOp {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl NumericOp {
    pub fn text(self) -> &'static str {
        match self {
            NumericOp::Less => "<",
            NumericOp::LessOrEqual => "<=",
            NumericOp::Greater => ">",
            NumericOp::GreaterOrEqual => ">=",
        }
    }

    /// Whether `field <op> literal` holds, given `field.compare(literal)`.
    pub fn accepts(self, ordering: std::cmp::Ordering) -> bool {
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
pub struct Literal {
    /// The value with quotes removed and escapes resolved.
    pub text: Box<str>,
    /// Set when the value contains `*`.
    pub glob: Option<Glob>,
    /// Set when the value is an unquoted NUMBER without wildcards.
    pub number: Option<Num>,
}

impl Literal {
    pub fn new(text: String, quoted: bool) -> Literal {
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
    pub fn is_exact(&self) -> bool {
        self.glob.is_none() && self.number.is_none()
    }
}
