//! A minimal JSON writer that keeps keys in the order written (CloudTrail's own order), without building a
//! `serde_json::Value` (whose maps would sort the keys) for every generated record.

use std::fmt::Write as _;

/// Appends `s` as a JSON string literal.
pub fn push_str_lit(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An object being written; `{` is written on creation, `}` by [`Obj::end`] (or by the closures of
/// [`Obj::obj`]).
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    /// Starts an object at the end of `out`.
    pub fn start(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str_lit(self.out, k);
        self.out.push(':');
    }

    /// `"k":"v"`.
    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        push_str_lit(self.out, v);
        self
    }

    /// `"k":"v"` when `v` is `Some`.
    pub fn opt_str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        if let Some(v) = v {
            self.str(k, v);
        }
        self
    }

    /// `"k":<raw JSON>` (a number, `true`, `null`, or already-serialized JSON).
    pub fn raw(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        self.out.push_str(v);
        self
    }

    /// `"k":<integer>`.
    pub fn num(&mut self, k: &str, v: u64) -> &mut Self {
        self.key(k);
        let _ = write!(self.out, "{v}");
        self
    }

    /// `"k":true|false`.
    pub fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.raw(k, if v { "true" } else { "false" })
    }

    /// `"k":{…}`, filled by `f`.
    pub fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj<'_>)) -> &mut Self {
        self.key(k);
        let mut inner = Obj::start(self.out);
        f(&mut inner);
        inner.end();
        self
    }

    /// `"k":[…]`, filled by `f`.
    pub fn arr(&mut self, k: &str, f: impl FnOnce(&mut Arr<'_>)) -> &mut Self {
        self.key(k);
        let mut inner = Arr::start(self.out);
        f(&mut inner);
        inner.end();
        self
    }

    /// Writes the closing `}`.
    pub fn end(self) {
        self.out.push('}');
    }
}

/// An array being written.
pub struct Arr<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Arr<'a> {
    fn start(out: &'a mut String) -> Arr<'a> {
        out.push('[');
        Arr { out, first: true }
    }

    fn sep(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    /// A string element.
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.sep();
        push_str_lit(self.out, v);
        self
    }

    /// An object element, filled by `f`.
    pub fn obj(&mut self, f: impl FnOnce(&mut Obj<'_>)) -> &mut Self {
        self.sep();
        let mut inner = Obj::start(self.out);
        f(&mut inner);
        inner.end();
        self
    }

    fn end(self) {
        self.out.push(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_ordered_json() {
        let mut s = String::new();
        let mut o = Obj::start(&mut s);
        o.str("b", "x\"y\\z\n")
            .num("a", 3)
            .bool("t", true)
            .raw("n", "null")
            .obj("o", |o| {
                o.arr("items", |a| {
                    a.str("1").obj(|o| {
                        o.str("k", "v");
                    });
                });
            });
        o.end();
        assert_eq!(
            s,
            r#"{"b":"x\"y\\z\n","a":3,"t":true,"n":null,"o":{"items":["1",{"k":"v"}]}}"#
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["b"], "x\"y\\z\n");
    }
}
