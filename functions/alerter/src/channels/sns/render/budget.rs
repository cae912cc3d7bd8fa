//! The size budget: an alert must fit in one SNS message ([`MAX_SNS_BYTES`], measured with the SNS adapter's
//! own encoding, [`crate::adapters::sns::sns_size`]). Over budget, a record is cut to a prefix whose size after
//! JSON escaping is known in advance; as a last resort every field is capped.

use crate::adapters::sns::{sns_size, MAX_SNS_BYTES};
use crate::channels::sns::render::text::cut_chars;
use crate::ports::OutgoingAlert;

/// A trimmed message aims below the limit by this much (the size is measured, this is only headroom).
pub(crate) const TRIM_MARGIN: usize = 8 * 1024;
/// Last resort when a message is too large even without its record: every text field is cut to this many
/// characters.
pub(crate) const FIELD_CAP: usize = 256;
const CUT_MARK: &str = " [cut by trailwarden]";

/// The bytes an alert takes in one SNS message.
pub(crate) fn size(alert: &OutgoingAlert) -> usize {
    sns_size(alert)
}

/// Whether an alert fits in one SNS message.
pub(crate) fn fits(alert: &OutgoingAlert) -> bool {
    size(alert) <= MAX_SNS_BYTES
}

/// The size a trimmed alert aims at: the limit minus [`TRIM_MARGIN`].
pub(crate) const TRIM_TARGET: usize = MAX_SNS_BYTES - TRIM_MARGIN;

pub(crate) fn cap_in_place(s: &mut String, cap: usize) {
    if s.chars().count() > cap {
        let keep = cut_chars(s, cap).len();
        s.truncate(keep);
        s.push_str(CUT_MARK);
    }
}

/// Bytes a character takes in a JSON string after `times` rounds of escaping (as serde_json escapes:
/// `"`, `\` and control characters below U+0020).
pub(crate) fn escaped_char_len(c: char, times: u32) -> usize {
    let once = match c {
        '"' | '\\' => return 1 << times,
        '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
        '\u{0}'..='\u{1f}' => 6,
        c => return c.len_utf8(),
    };
    // The escape sequence starts with one backslash; each further round doubles it.
    once + (1usize << (times.saturating_sub(1))) - 1
}

pub(crate) fn escaped_len(s: &str, times: u32) -> usize {
    s.chars().map(|c| escaped_char_len(c, times)).sum()
}

/// The longest prefix length (bytes, at a char boundary) whose escaped size is within `budget`.
pub(crate) fn prefix_within(s: &str, budget: usize, times: u32) -> usize {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += escaped_char_len(c, times);
        if used > budget {
            return i;
        }
    }
    s.len()
}

/// Like [`prefix_within`] (escaped once), ending at a line end when one is near.
pub(crate) fn line_prefix_within(s: &str, budget: usize) -> usize {
    let n = prefix_within(s, budget, 1);
    if n >= s.len() || s.as_bytes().get(n) == Some(&b'\n') {
        return n;
    }
    match s[..n].rfind('\n') {
        Some(i) if n - i <= 4096 => i,
        _ => n,
    }
}

/// `s[..n]`, moved back to a char boundary.
pub(crate) fn prefix_at(s: &str, n: usize) -> &str {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_lengths_match_serde_json() {
        let s = "a\"b\\c\nd\u{1}é日本\t";
        let once = serde_json::to_string(s).unwrap();
        assert_eq!(escaped_len(s, 1), once.len() - 2);
        let twice = serde_json::to_string(&once[1..once.len() - 1]).unwrap();
        assert_eq!(escaped_len(s, 2), twice.len() - 2);
    }

    #[test]
    fn prefixes_stop_at_char_boundaries() {
        let s = "日本語";
        assert_eq!(prefix_within(s, 4, 1), 3);
        assert_eq!(prefix_at(s, 4), "日");
        assert_eq!(prefix_at(s, 100), s);
        assert_eq!(line_prefix_within("ab\ncd\nef", 7), 5);
    }
}
