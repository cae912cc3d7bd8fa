//! Numbers: the filter syntax's NUMBER grammar, exact integer comparison, and allocation-free rendering
//! of a document's number as text (for wildcard values such as `4*`).

use super::document::Number;
use std::cmp::Ordering;
use std::fmt::{self, Write as _};

/// A number from a pattern or a document. Integers that fit in 128 bits compare exactly;
/// everything else compares as `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An integer; `negative` is false for zero.
    Int { negative: bool, magnitude: u128 },
    /// A decimal or scientific-notation number, or an integer too large for `Int`.
    Float(f64),
}

impl Num {
    pub fn to_f64(self) -> f64 {
        match self {
            // `as` is the intended conversion here: nearest f64, saturating to infinity.
            Num::Int {
                negative,
                magnitude,
            } => {
                let m = magnitude as f64;
                if negative {
                    -m
                } else {
                    m
                }
            }
            Num::Float(f) => f,
        }
    }

    /// Numeric ordering; `None` when either side is NaN.
    pub fn compare(self, other: Num) -> Option<Ordering> {
        match (self, other) {
            (
                Num::Int {
                    negative: a_neg,
                    magnitude: a,
                },
                Num::Int {
                    negative: b_neg,
                    magnitude: b,
                },
            ) => Some(match (a_neg, b_neg) {
                (false, false) => a.cmp(&b),
                (true, true) => b.cmp(&a),
                (false, true) => Ordering::Greater,
                (true, false) => Ordering::Less,
            }),
            _ => self.to_f64().partial_cmp(&other.to_f64()),
        }
    }

    /// A document's number; `None` for text that is not a NUMBER.
    pub fn from_document(n: Number<'_>) -> Option<Num> {
        match n {
            Number::Text(text) => parse_number(text),
            Number::U64(u) => Some(Num::Int {
                negative: false,
                magnitude: u128::from(u),
            }),
            Number::I64(i) => Some(Num::Int {
                negative: i < 0,
                magnitude: u128::from(i.unsigned_abs()),
            }),
            Number::F64(f) => Some(Num::Float(f)),
        }
    }
}

/// Parses the filter syntax's NUMBER: "An integer with an optional + or - sign, a decimal with an
/// optional + or - sign, or a number in scientific notation, which is an integer or a decimal with an
/// optional + or - sign, followed by 'e', followed by an integer with an optional + or - sign"
/// (FilterAndPatternSyntax.md, "Numeric Comparisons"). `E` is accepted as well as `e`.
/// The whole of `text` must be the number.
pub fn parse_number(text: &str) -> Option<Num> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    let int_start = i;
    if !digits(&mut i) {
        return None;
    }
    let int_end = i;
    let mut integral = true;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
        integral = false;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
        integral = false;
    }
    if i != bytes.len() {
        return None;
    }
    if integral {
        if let Some(magnitude) = text
            .get(int_start..int_end)
            .and_then(|d| d.parse::<u128>().ok())
        {
            return Some(Num::Int {
                negative: negative && magnitude != 0,
                magnitude,
            });
        }
    }
    // Rust's f64 parser accepts exactly this grammar (plus forms excluded above).
    text.parse::<f64>().ok().map(Num::Float)
}

/// A document number as text, for matching against wildcard values. Borrowed when the document kept
/// the number's text; otherwise rendered into a fixed stack buffer (no heap allocation).
pub enum NumText<'a> {
    Borrowed(&'a str),
    Rendered(StackText),
}

impl<'a> NumText<'a> {
    /// Integers render in decimal; floats in Rust's shortest round-trip form (`200.5`, `200` for
    /// 200.0), switching to exponent form (`1e300`) when the decimal form would not fit.
    pub fn new(n: Number<'a>) -> NumText<'a> {
        let mut buf = StackText::new();
        let rendered = match n {
            Number::Text(text) => return NumText::Borrowed(text),
            Number::U64(u) => write!(buf, "{u}"),
            Number::I64(i) => write!(buf, "{i}"),
            Number::F64(f) => write!(buf, "{f}").or_else(|_| {
                buf = StackText::new();
                write!(buf, "{f:e}")
            }),
        };
        if rendered.is_err() {
            buf = StackText::new();
        }
        NumText::Rendered(buf)
    }

    pub fn as_str(&self) -> &str {
        match self {
            NumText::Borrowed(text) => text,
            NumText::Rendered(buf) => buf.as_str(),
        }
    }
}

/// A small fixed-capacity string buffer; a write that doesn't fit fails and leaves it unchanged.
pub struct StackText {
    buf: [u8; 64],
    len: usize,
}

impl StackText {
    fn new() -> StackText {
        StackText {
            buf: [0; 64],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dest = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dest.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_grammar() {
        for ok in [
            "0", "200", "+1000", "-1", "55.5", "-0.5", "10e3", "10e-3", "1e+3", "1E3", "2.5e-2",
        ] {
            assert!(parse_number(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "+",
            "-",
            ".5",
            "5.",
            "1e",
            "1e+",
            "123.123.*",
            "abc",
            "1_000",
            " 1",
            "1 ",
            "inf",
            "NaN",
            "0x10",
            "1.2.3",
        ] {
            assert!(parse_number(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn exact_integer_comparison() {
        let big_a = parse_number("9007199254740993").unwrap();
        let big_b = parse_number("9007199254740992").unwrap();
        // Equal as f64, different as integers.
        assert_eq!(big_a.compare(big_b), Some(Ordering::Greater));
        assert_eq!(
            parse_number("-0")
                .unwrap()
                .compare(parse_number("0").unwrap()),
            Some(Ordering::Equal)
        );
        assert_eq!(
            parse_number("-5")
                .unwrap()
                .compare(parse_number("3").unwrap()),
            Some(Ordering::Less)
        );
        assert_eq!(
            parse_number("-5")
                .unwrap()
                .compare(parse_number("-7").unwrap()),
            Some(Ordering::Greater)
        );
        assert_eq!(
            parse_number("200")
                .unwrap()
                .compare(parse_number("200.0").unwrap()),
            Some(Ordering::Equal)
        );
        assert_eq!(
            parse_number("1e3")
                .unwrap()
                .compare(parse_number("1000").unwrap()),
            Some(Ordering::Equal)
        );
        assert_eq!(Num::Float(f64::NAN).compare(Num::Float(1.0)), None);
    }

    #[test]
    fn rendering_numbers() {
        assert_eq!(NumText::new(Number::U64(404)).as_str(), "404");
        assert_eq!(NumText::new(Number::I64(-12)).as_str(), "-12");
        assert_eq!(NumText::new(Number::F64(200.5)).as_str(), "200.5");
        assert_eq!(NumText::new(Number::F64(200.0)).as_str(), "200");
        assert_eq!(NumText::new(Number::F64(1e300)).as_str(), "1e300");
        assert_eq!(NumText::new(Number::Text("2.50")).as_str(), "2.50");
    }
}
