//! Evaluating a compiled pattern against a [`Document`]. Nothing here allocates.

use super::ast::{Literal, Node, Term, Test};
use super::document::{Document, Lookup, PathStep};
use super::number::{parse_number, Num, NumText};
use std::cmp::Ordering;

impl Node {
    pub fn eval<D: Document + ?Sized>(&self, doc: &D) -> bool {
        match self {
            Node::Or(items) => items.iter().any(|n| n.eval(doc)),
            Node::And(items) => items.iter().all(|n| n.eval(doc)),
            Node::Term(term) => term.eval(doc),
        }
    }

    /// Visits every leaf in source order.
    pub fn for_each_term<'a>(&'a self, f: &mut impl FnMut(&'a Term)) {
        match self {
            Node::Or(items) | Node::And(items) => {
                for item in items.iter() {
                    item.for_each_term(f);
                }
            }
            Node::Term(term) => f(term),
        }
    }

    /// The exact string values `path` must equal for this expression to possibly be true;
    /// `None` when the expression does not constrain `path` to a finite set.
    pub fn required_values<'a>(&'a self, path: &[PathStep]) -> Option<Vec<&'a str>> {
        match self {
            Node::Term(term) => match &term.test {
                Test::Equals(lit) if *term.path == *path && lit.is_exact() => {
                    Some(vec![&*lit.text])
                }
                _ => None,
            },
            Node::And(items) => {
                // Each constrained conjunct narrows the set; unconstrained ones don't widen it.
                let mut acc: Option<Vec<&str>> = None;
                for item in items.iter() {
                    if let Some(values) = item.required_values(path) {
                        acc = Some(match acc {
                            None => values,
                            Some(prev) => prev.into_iter().filter(|v| values.contains(v)).collect(),
                        });
                    }
                }
                acc
            }
            Node::Or(items) => {
                // Any unconstrained alternative leaves the whole disjunction unconstrained.
                let mut all = Vec::new();
                for item in items.iter() {
                    all.extend(item.required_values(path)?);
                }
                Some(all)
            }
        }
    }
}

impl Node {
    /// Prefixes one of which the string at `path` must start with for this expression to possibly be true
    /// (an exact value counts as its own prefix, a wildcard value `P*` with no other `*` as `P`); `None`
    /// when the expression does not constrain `path` so (a `!=`, another wildcard, a branch without it).
    pub fn required_prefixes<'a>(&'a self, path: &[PathStep]) -> Option<Vec<&'a str>> {
        match self {
            Node::Term(term) => match &term.test {
                Test::Equals(lit) if *term.path == *path && lit.number.is_none() => {
                    let text = &*lit.text;
                    match &lit.glob {
                        None => Some(vec![text]),
                        Some(_) => {
                            let prefix = text.strip_suffix('*')?;
                            (!prefix.is_empty() && !prefix.contains('*')).then(|| vec![prefix])
                        }
                    }
                }
                _ => None,
            },
            // Every conjunct must hold: any constrained one is a requirement (the first is taken).
            Node::And(items) => items.iter().find_map(|n| n.required_prefixes(path)),
            Node::Or(items) => {
                let mut all = Vec::new();
                for item in items.iter() {
                    all.extend(item.required_prefixes(path)?);
                }
                Some(all)
            }
        }
    }
}

impl Term {
    pub fn eval<D: Document + ?Sized>(&self, doc: &D) -> bool {
        self.test_value(doc.lookup(&self.path))
    }

    /// The test on the value at this term's path.
    fn test_value(&self, value: Lookup<'_>) -> bool {
        match &self.test {
            Test::Equals(lit) => lit.equals(value) == Some(true),
            // `!=` holds only for a present string or number that differs; see `Literal::equals`.
            Test::NotEquals(lit) => lit.equals(value) == Some(false),
            Test::Compare(op, n) => field_number(value)
                .and_then(|field| field.compare(*n))
                .is_some_and(|ordering| op.accepts(ordering)),
            Test::IsNull => matches!(value, Lookup::Null),
            Test::IsTrue => matches!(value, Lookup::Bool(true)),
            Test::IsFalse => matches!(value, Lookup::Bool(false)),
            Test::NotExists => matches!(value, Lookup::Missing),
        }
    }
}

impl Literal {
    /// Whether a field equals this value; `None` when the field is not a string or number ("value
    /// node"), in which case neither `=` nor `!=` matches.
    fn equals(&self, value: Lookup<'_>) -> Option<bool> {
        match value {
            Lookup::String(s) => Some(if let Some(glob) = &self.glob {
                glob.matches(&self.text, s)
            } else if let Some(n) = self.number {
                // An unquoted number against a string: equal when the string is that number.
                parse_number(s).and_then(|field| field.compare(n)) == Some(Ordering::Equal)
            } else {
                *s == *self.text
            }),
            Lookup::Number(n) => Some(if let Some(glob) = &self.glob {
                glob.matches(&self.text, NumText::new(n).as_str())
            } else if let Some(lit) = self.number {
                Num::from_document(n).and_then(|field| field.compare(lit)) == Some(Ordering::Equal)
            } else {
                // A quoted or non-numeric value against a number: compare the number's text.
                NumText::new(n).as_str() == &*self.text
            }),
            Lookup::Missing | Lookup::Null | Lookup::Bool(_) | Lookup::Compound => None,
        }
    }
}

/// The field as a number for `<`, `<=`, `>`, `>=`: a JSON number, or a string that is entirely a
/// NUMBER; anything else does not compare.
fn field_number(value: Lookup<'_>) -> Option<Num> {
    match value {
        Lookup::Number(n) => Num::from_document(n),
        Lookup::String(s) => parse_number(s),
        _ => None,
    }
}
