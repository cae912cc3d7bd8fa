//! What a pattern is evaluated against: a JSON-like document looked up by selector path.

use cloudtrail::{Kind, Node};
use serde_json::Value;

/// One step of a selector path: `$.a[0].b` is `[Key("a"), Index(0), Key("b")]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An object member, `.name`.
    Key(Box<str>),
    /// An array element, `[n]` (zero-based).
    Index(usize),
}

/// A JSON number as a [`Document`] holds it.
///
/// Representations that keep the number's source text (a borrowed parser) use [`Number::Text`];
/// `serde_json::Value` has already decoded it and uses one of the other three.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number<'a> {
    /// The number's JSON text, e.g. `200`, `-1.5e3`.
    Text(&'a str),
    /// A non-negative integer.
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// Any other number.
    F64(f64),
}

/// What a selector path points to in a document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lookup<'a> {
    /// The path does not exist (a member is absent, an index is out of range, or a step
    /// goes through something that is not an object/array).
    Missing,
    /// JSON `null`.
    Null,
    /// JSON `true` / `false`.
    Bool(bool),
    /// A JSON number.
    Number(Number<'a>),
    /// A JSON string.
    String(&'a str),
    /// A JSON object or array.
    Compound,
}

/// A document that patterns can be evaluated against.
///
/// Implementations must be total: any path that cannot be followed is [`Lookup::Missing`].
pub trait Document {
    /// Follows `path` from the document's root.
    fn lookup(&self, path: &[PathStep]) -> Lookup<'_>;
}

impl<T: Document + ?Sized> Document for &T {
    fn lookup(&self, path: &[PathStep]) -> Lookup<'_> {
        (**self).lookup(path)
    }
}

impl Document for Node<'_> {
    fn lookup(&self, path: &[PathStep]) -> Lookup<'_> {
        let mut current = *self;
        for step in path {
            let next = match step {
                PathStep::Key(key) => current.get(key),
                PathStep::Index(index) => current.at(*index),
            };
            match next {
                Some(node) => current = node,
                None => return Lookup::Missing,
            }
        }
        match current.kind() {
            Kind::Null => Lookup::Null,
            Kind::Bool => Lookup::Bool(current.as_bool().unwrap_or_default()),
            Kind::Number => {
                Lookup::Number(Number::Text(current.as_number_text().unwrap_or_default()))
            }
            Kind::String => Lookup::String(current.as_str().unwrap_or_default()),
            Kind::Array | Kind::Object => Lookup::Compound,
        }
    }
}

impl Document for Value {
    fn lookup(&self, path: &[PathStep]) -> Lookup<'_> {
        let mut current = self;
        for step in path {
            let next = match (step, current) {
                (PathStep::Key(key), Value::Object(map)) => map.get(&**key),
                (PathStep::Index(index), Value::Array(items)) => items.get(*index),
                _ => None,
            };
            match next {
                Some(value) => current = value,
                None => return Lookup::Missing,
            }
        }
        match current {
            Value::Null => Lookup::Null,
            Value::Bool(b) => Lookup::Bool(*b),
            Value::Number(n) => Lookup::Number(if let Some(u) = n.as_u64() {
                Number::U64(u)
            } else if let Some(i) = n.as_i64() {
                Number::I64(i)
            } else {
                Number::F64(n.as_f64().unwrap_or(f64::NAN))
            }),
            Value::String(s) => Lookup::String(s),
            Value::Array(_) | Value::Object(_) => Lookup::Compound,
        }
    }
}
