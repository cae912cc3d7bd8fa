//! Text helpers shared by the finding and summary renderers: the body schema version, JSON, email fields,
//! the subject and SMS lines (with their length limits), the console link, and the record pretty-printer.

use rules::Severity;
use serde::Serialize;
use std::fmt::Write as _;

/// Version of the JSON body. Bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;
/// SMS body length, in characters (one GSM-7 segment holds 160; the bodies stay ASCII when the data is).
pub const MAX_SMS_CHARS: usize = 140;
/// SNS limits a Subject to 100 printable ASCII characters, without newlines.
pub const MAX_SUBJECT_CHARS: usize = 100;

pub(crate) const UNKNOWN: &str = "unknown";

/// Serializes structures of strings, numbers and raw JSON, which cannot fail.
pub(crate) fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| String::from("{}"))
}

pub(crate) fn attributes<const N: usize>(
    items: [(&'static str, Option<&str>); N],
) -> Vec<(&'static str, String)> {
    items
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.filter(|v| !v.is_empty())?.to_owned())))
        .collect()
}

/// `value`, or "unknown" when absent or empty.
pub(crate) fn known(v: Option<&str>) -> &str {
    or(v, UNKNOWN)
}

pub(crate) fn or<'v>(v: Option<&'v str>, fallback: &'v str) -> &'v str {
    v.filter(|v| !v.is_empty()).unwrap_or(fallback)
}

/// One `  Label:          value` line of the email; control characters in the value are shown escaped, so
/// text from a record (a user agent, a key) cannot add lines of its own.
pub(crate) fn field(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {:<16}{}", format!("{label}:"), visible(value));
}

/// Control characters (newlines included) as `\n`, `\u{1b}`…; everything else, non-ASCII included, unchanged.
pub(crate) fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// `[SEVERITY] title - place`: printable ASCII, at most [`MAX_SUBJECT_CHARS`]; the title is shortened first
/// so the place stays.
pub(crate) fn subject_line(severity: Severity, title: &str, place: &str) -> String {
    let head = format!("[{}] ", severity.as_str().to_ascii_uppercase());
    let tail = format!(" - {}", ascii_printable(cut_chars(place, 40)));
    let title = ascii_printable(title);
    let room = MAX_SUBJECT_CHARS.saturating_sub(head.len() + tail.len());
    if room >= 12 {
        sanitize_subject(&format!("{head}{}{tail}", shorten_words(&title, room)))
    } else {
        sanitize_subject(&format!("{head}{title}{tail}"))
    }
}

/// Printable ASCII only (common typographic characters transliterated, anything else `?`, whitespace runs
/// one space), cut to [`MAX_SUBJECT_CHARS`]; never empty.
pub fn sanitize_subject(s: &str) -> String {
    let mut out = ascii_printable(s);
    out.truncate(MAX_SUBJECT_CHARS);
    let end = out.trim_end().len();
    out.truncate(end);
    if out.trim().is_empty() {
        return String::from("trailwarden alert");
    }
    out
}

pub(crate) fn ascii_printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let mapped: &str = match c {
            ' '..='~' => {
                out.push(c);
                continue;
            }
            c if c.is_whitespace() || c.is_control() => " ",
            '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{2032}' => "'",
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2033}' => "\"",
            '\u{2026}' => "...",
            '\u{2022}' | '\u{00b7}' => "*",
            _ => "?",
        };
        if mapped == " " && out.ends_with(' ') {
            continue;
        }
        out.push_str(mapped);
    }
    out
}

/// `SEVERITY: title{who}{extra}{place}` within [`MAX_SMS_CHARS`]: drops `extra` first, then shortens the
/// title, then cuts the whole line.
pub(crate) fn sms_line(
    severity: Severity,
    title: &str,
    who: &str,
    extra: Option<&str>,
    place: &str,
) -> String {
    let sev = severity.as_str().to_ascii_uppercase();
    let title = one_line(title);
    // Principal and place get at most 44 characters each, so the title always keeps 40 or more.
    let who = shorten_words(&one_line_keep_edges(who), 44);
    let place = shorten_words(&one_line_keep_edges(place), 44);
    let extra = extra.map(one_line_keep_edges).unwrap_or_default();
    let full = format!("{sev}: {title}{who}{extra}{place}");
    if full.chars().count() <= MAX_SMS_CHARS {
        return full;
    }
    let without = format!("{sev}: {title}{who}{place}");
    if without.chars().count() <= MAX_SMS_CHARS {
        return without;
    }
    let fixed = sev.chars().count() + 2 + who.chars().count() + place.chars().count();
    let room = MAX_SMS_CHARS.saturating_sub(fixed);
    if room >= 12 {
        return format!("{sev}: {}{who}{place}", shorten_words(&title, room));
    }
    shorten_words(&without, MAX_SMS_CHARS)
}

/// Whitespace runs as one space, other control characters as `?`.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// [`one_line`], keeping one leading space (the parts of an SMS line start with one).
pub(crate) fn one_line_keep_edges(s: &str) -> String {
    let inner = one_line(s);
    if s.starts_with(' ') {
        format!(" {inner}")
    } else {
        inner
    }
}

/// At most `max` characters: cut at a word boundary when one is near, with `...`.
pub(crate) fn shorten_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let keep = max.saturating_sub(3);
    let cut = cut_chars(s, keep);
    let at_word = cut
        .rfind(' ')
        .filter(|&i| cut[..i].chars().count() * 3 >= keep * 2);
    let base = match at_word {
        Some(i) => &cut[..i],
        None => cut,
    };
    format!("{}...", base.trim_end())
}

/// The first `n` characters.
pub(crate) fn cut_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The event in the CloudTrail console's event history, when region and event id are safe to put in a URL.
pub(crate) fn console_link(region: Option<&str>, event_id: Option<&str>) -> Option<String> {
    let region = region.filter(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })?;
    let event_id = event_id.filter(|e| {
        !e.is_empty()
            && e.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })?;
    let domain = if region.starts_with("cn-") {
        "console.amazonaws.cn"
    } else if region.starts_with("us-gov-") {
        "console.amazonaws-us-gov.com"
    } else {
        "console.aws.amazon.com"
    };
    Some(format!(
        "https://{region}.{domain}/cloudtrailv2/home?region={region}#/events/{event_id}"
    ))
}

/// Reindents compact JSON text (2 spaces), keeping key order, numbers and escapes exactly as written.
pub fn pretty_json(compact: &str) -> String {
    fn newline(out: &mut String, depth: usize) {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
    let mut out = String::with_capacity(compact.len() + compact.len() / 2);
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                while chars.peek().is_some_and(char::is_ascii_whitespace) {
                    chars.next();
                }
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_keeps_order_and_strings() {
        let compact = r#"{"b":1,"a":[],"c":{},"d":["x,y",{"k":"v:\"}"}],"e":1.50}"#;
        let pretty = pretty_json(compact);
        assert_eq!(
            pretty,
            "{\n  \"b\": 1,\n  \"a\": [],\n  \"c\": {},\n  \"d\": [\n    \"x,y\",\n    {\n      \"k\": \"v:\\\"}\"\n    }\n  ],\n  \"e\": 1.50\n}"
        );
        let a: serde_json::Value = serde_json::from_str(compact).unwrap();
        let b: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn subject_sanitizing() {
        let s = sanitize_subject("[HIGH] Root — “x” …\nnext\té日本");
        assert_eq!(s, "[HIGH] Root - \"x\" ... next ???");
        assert_eq!(sanitize_subject(" \n "), "trailwarden alert");
        let long = subject_line(
            Severity::High,
            &"word ".repeat(50),
            "111122223333/us-east-1",
        );
        assert!(long.len() <= MAX_SUBJECT_CHARS, "{long}");
        assert!(long.ends_with("... - 111122223333/us-east-1"), "{long}");
    }

    #[test]
    fn console_links() {
        assert_eq!(
            console_link(Some("eu-west-1"), Some("abc-1")).as_deref(),
            Some("https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/abc-1")
        );
        assert!(console_link(Some("cn-north-1"), Some("e"))
            .unwrap()
            .contains("console.amazonaws.cn"));
        assert_eq!(console_link(None, Some("e")), None);
        assert_eq!(console_link(Some("us-east-1"), Some("a/../b")), None);
    }
}
