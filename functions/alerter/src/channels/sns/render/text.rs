//! Text helpers shared by the finding and storm digest renderers: the body schema version, JSON, email fields,
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

/// Message attributes: absent or empty values left out, the others [`visible`] (record text cannot carry
/// hidden characters into a subscription filter's or a mail client's view).
pub(crate) fn attributes<const N: usize>(
    items: [(&'static str, Option<&str>); N],
) -> Vec<(&'static str, String)> {
    items
        .into_iter()
        .filter_map(|(k, v)| Some((k, visible(v.filter(|v| !v.is_empty())?).into_owned())))
        .collect()
}

/// `value`, or "unknown" when absent or empty.
pub(crate) fn known(v: Option<&str>) -> &str {
    or(v, UNKNOWN)
}

pub(crate) fn or<'v>(v: Option<&'v str>, fallback: &'v str) -> &'v str {
    v.filter(|v| !v.is_empty()).unwrap_or(fallback)
}

/// One `  Label:          value` line of the email; hidden characters in the value are shown escaped
/// ([`visible`]), so text from a record (a user agent, a key) cannot add lines of its own or reorder the line.
pub(crate) fn field(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {:<16}{}", format!("{label}:"), visible(value));
}

/// Whether a character can change how the text around it reads without being seen: the one definition every
/// rendered body and attribute is sanitised with.
///
/// - control characters (C0, DEL, C1: newlines, escape sequences…);
/// - bidirectional controls: embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, the marks
///   U+200E/U+200F and U+061C (they can show `txt.exe` as `exe.txt`);
/// - zero-width and invisible characters: U+200B–U+200D, U+2060–U+2064 (word joiner, invisible operators),
///   U+206A–U+206F (deprecated format controls), U+FEFF, U+00AD (soft hyphen), U+034F, U+180B–U+180F,
///   the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), U+FFF9–U+FFFB, and the tag and variation-selector
///   planes U+E0000–U+E0FFF (invisible text that can smuggle words);
/// - the line and paragraph separators U+2028/U+2029 (line breaks to mail clients).
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Text for people (email lines, message attribute values): [hidden](is_hidden) characters as `\n`,
/// `\u{1b}`, `\u{202e}`…; everything else, other non-ASCII included, unchanged.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_hidden(c) {
            let _ = write!(out, "{}", c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`visible`] for text of several lines written by the deployer (a rule's rationale): the line breaks stay.
pub(crate) fn visible_lines(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_hidden(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.split('\n').map(visible).collect::<Vec<_>>().join("\n"))
}

/// JSON or TOML text (the pretty-printed record, the suggested exclusion) with every [hidden](is_hidden)
/// character written as a `\uXXXX` escape (UTF-16 pairs above U+FFFF), except the line breaks between
/// lines, outside strings. Both languages read the escape inside a string back as the same character, so the
/// text means what it meant (the exclusion still matches the record); outside strings these characters are
/// not valid anyway.
pub(crate) fn escape_hidden_in_strings(s: &str) -> std::borrow::Cow<'_, str> {
    // Allocates only from the first character that needs an escape.
    let mut out: Option<String> = None;
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if is_hidden(c) && (in_str || c != '\n') {
            let out = out.get_or_insert_with(|| {
                let mut o = String::with_capacity(s.len() + 16);
                o.push_str(&s[..i]);
                o
            });
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04X}");
            }
            escaped = false;
            continue;
        }
        if let Some(out) = out.as_mut() {
            out.push(c);
        }
        if escaped {
            escaped = false;
        } else if in_str && c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_str = !in_str;
        }
    }
    match out {
        Some(o) => std::borrow::Cow::Owned(o),
        None => std::borrow::Cow::Borrowed(s),
    }
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

/// Whitespace runs (U+2028/U+2029 included) as one space, other [hidden](is_hidden) characters as `?`.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if is_hidden(c) { '?' } else { c })
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
    fn hidden_characters() {
        for c in [
            '\n',
            '\u{1b}',
            '\u{85}',
            '\u{202a}',
            '\u{202e}',
            '\u{2066}',
            '\u{2069}',
            '\u{200b}',
            '\u{200f}',
            '\u{2060}',
            '\u{feff}',
            '\u{2028}',
            '\u{2029}',
            '\u{061c}',
            '\u{e0041}',
        ] {
            assert!(is_hidden(c), "U+{:04X}", c as u32);
        }
        for c in [
            'a', ' ', 'é', '日', '\u{2010}', '\u{2030}', '\u{fffd}', '🙂',
        ] {
            assert!(!is_hidden(c), "U+{:04X}", c as u32);
        }
        assert_eq!(visible("a\u{202e}b\nc"), "a\\u{202e}b\\nc");
        assert!(matches!(visible("plain é"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(one_line("a\u{2028}b\u{200b}c"), "a b?c");
        assert_eq!(
            visible_lines("line one\u{202e}\nline two\t"),
            "line one\\u{202e}\nline two\\t"
        );
    }

    #[test]
    fn hidden_characters_in_json_and_toml_strings_become_escapes() {
        let value = "a\u{202e}b\u{e0041}\n\"";
        let pretty = pretty_json(&serde_json::json!({ "k": value, "n": [1] }).to_string());
        let escaped = escape_hidden_in_strings(&pretty);
        assert_eq!(
            escaped,
            "{\n  \"k\": \"a\\u202Eb\\uDB40\\uDC41\\n\\\"\",\n  \"n\": [\n    1\n  ]\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back["k"], value);
        // A raw line break inside a string (not valid JSON, but the text may come from anywhere) is escaped;
        // the ones between lines stay.
        assert_eq!(
            escape_hidden_in_strings("\"a\nb\"\n\"c\""),
            "\"a\\u000Ab\"\n\"c\""
        );
        assert_eq!(
            escape_hidden_in_strings("k = \"x\\\"\u{2066}\""),
            "k = \"x\\\"\\u2066\""
        );
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
