//! What can be said about a record that cannot be evaluated: a cheap scan of its top-level members.
//!
//! A record that does not parse (broken structure, nesting over [`crate::dom::MAX_DEPTH`]) or that is over the
//! reader's per-record cap still becomes a finding of its own, and the finding is more useful with the event's
//! name, source, id and caller. [`Recoverer`] finds them without parsing: it tracks strings and nesting like
//! the reader's boundary scan, looks only at the root object's members and at those of its `userIdentity`
//! object, and keeps a string value only when its key is one of those fields, up to [`MAX_FIELD_BYTES`]. Other
//! values are skipped, never recursed into. It runs over chunks, so the reader feeds it a record it streams
//! past without holding it: the fields before and after a huge member are both found. Time is linear in the
//! input and memory is bounded, whatever the bytes; it never fails.

use serde::Serialize;

/// The longest value kept, in bytes of its JSON text (the decoded value is cut to this too, at a character
/// boundary).
pub const MAX_FIELD_BYTES: usize = 1024;

/// Keys longer than this are none of the fields looked for.
const MAX_KEY_BYTES: usize = 32;

/// Top-level fields of a record that could not be evaluated, found by [`recover_fields`]: each one only when it
/// is a string where CloudTrail puts it. Values are decoded leniently (bad escapes and bytes read as U+FFFD) and
/// cut to [`MAX_FIELD_BYTES`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recovered {
    pub event_name: Option<String>,
    pub event_source: Option<String>,
    pub event_id: Option<String>,
    /// `userIdentity.arn`.
    pub user_arn: Option<String>,
}

/// Scans `bytes` (a record's JSON text, possibly broken or cut) for the fields of [`Recovered`].
///
/// ```
/// let r = cloudtrail::recover_fields(br#"{"eventName":"StopLogging","userIdentity":{"arn":"arn:x"},"bad":tru"#);
/// assert_eq!(r.event_name.as_deref(), Some("StopLogging"));
/// assert_eq!(r.user_arn.as_deref(), Some("arn:x"));
/// ```
pub fn recover_fields(bytes: &[u8]) -> Recovered {
    let mut r = Recoverer::new();
    r.feed(bytes);
    r.finish()
}

/// Which member a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Other,
    EventName,
    EventSource,
    EventId,
    UserIdentity,
    Arn,
}

/// What the string being scanned is kept as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    Nothing,
    Key,
    Value(Field),
}

/// [`recover_fields`] over a record that arrives in pieces: [`feed`](Self::feed) each piece in order, then
/// [`finish`](Self::finish).
#[derive(Debug)]
pub struct Recoverer {
    /// Nesting depth: 1 inside the root object.
    depth: usize,
    /// Whether the first byte that is not whitespace has been seen, and whether it opened an object.
    started: bool,
    root_object: bool,
    /// The root object has closed: nothing after it belongs to the record.
    done: bool,
    in_str: bool,
    escaped: bool,
    /// At depth 1 (or 2 inside `userIdentity`): the next string is a key.
    expect_key: bool,
    /// Depth 2 and deeper are inside the root's `userIdentity` object.
    in_identity: bool,
    /// The last key read at the current level.
    current: Field,
    capture: Capture,
    /// The JSON text of the string being kept (escapes not yet decoded), at most [`MAX_FIELD_BYTES`].
    text: Vec<u8>,
    out: Recovered,
}

impl Default for Recoverer {
    fn default() -> Self {
        Recoverer::new()
    }
}

impl Recoverer {
    pub fn new() -> Recoverer {
        Recoverer {
            depth: 0,
            started: false,
            root_object: false,
            done: false,
            in_str: false,
            escaped: false,
            expect_key: false,
            in_identity: false,
            current: Field::Other,
            capture: Capture::Nothing,
            text: Vec::new(),
            out: Recovered::default(),
        }
    }

    /// Whether the member strings at the current depth are ones this scan reads.
    fn at_member_level(&self) -> bool {
        self.root_object && (self.depth == 1 || (self.depth == 2 && self.in_identity))
    }

    /// Scans the next piece of the record.
    pub fn feed(&mut self, chunk: &[u8]) {
        let mut i = 0;
        while i < chunk.len() && !self.done {
            if self.in_str {
                if self.escaped {
                    self.escaped = false;
                    self.keep(&chunk[i..i + 1]);
                    i += 1;
                    continue;
                }
                // Most of a record is string content: jump to the next quote or backslash.
                let stop = crate::string_scan::string_stop(chunk, i, false);
                self.keep(&chunk[i..stop]);
                match chunk.get(stop) {
                    Some(b'\\') => {
                        self.escaped = true;
                        self.keep(b"\\");
                    }
                    Some(_) => {
                        self.in_str = false;
                        self.end_string();
                    }
                    None => return,
                }
                i = stop + 1;
                continue;
            }
            let b = chunk[i];
            i += 1;
            if !self.started {
                if b.is_ascii_whitespace() {
                    continue;
                }
                self.started = true;
                self.root_object = b == b'{';
                if !self.root_object {
                    // Only an object has the fields looked for.
                    self.done = true;
                    return;
                }
                self.depth = 1;
                self.expect_key = true;
                continue;
            }
            match b {
                b'"' => {
                    self.in_str = true;
                    self.text.clear();
                    self.capture = if !self.at_member_level() {
                        Capture::Nothing
                    } else if self.expect_key {
                        Capture::Key
                    } else {
                        match (self.depth, self.current) {
                            (1, f @ (Field::EventName | Field::EventSource | Field::EventId)) => {
                                Capture::Value(f)
                            }
                            (2, Field::Arn) => Capture::Value(Field::Arn),
                            _ => Capture::Nothing,
                        }
                    };
                }
                b'{' | b'[' => {
                    let identity = b == b'{'
                        && self.depth == 1
                        && !self.expect_key
                        && self.current == Field::UserIdentity;
                    self.depth += 1;
                    if identity {
                        self.in_identity = true;
                        self.expect_key = true;
                    }
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth <= 1 {
                        self.in_identity = false;
                    }
                    if self.depth == 0 {
                        self.done = true;
                    }
                }
                b',' if self.at_member_level() => self.expect_key = true,
                b':' if self.at_member_level() => self.expect_key = false,
                _ => {}
            }
        }
    }

    /// Keeps `bytes` of the string being scanned, if it is kept, up to the limit.
    fn keep(&mut self, bytes: &[u8]) {
        let limit = match self.capture {
            Capture::Nothing => return,
            Capture::Key => MAX_KEY_BYTES + 1,
            Capture::Value(_) => MAX_FIELD_BYTES,
        };
        let room = limit.saturating_sub(self.text.len());
        self.text.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn end_string(&mut self) {
        match self.capture {
            Capture::Nothing => {}
            Capture::Key => {
                self.current = if self.text.len() > MAX_KEY_BYTES {
                    Field::Other
                } else {
                    let key = decode(&self.text);
                    match (self.depth, key.as_str()) {
                        (1, "eventName") => Field::EventName,
                        (1, "eventSource") => Field::EventSource,
                        (1, "eventID") => Field::EventId,
                        (1, "userIdentity") => Field::UserIdentity,
                        (2, "arn") => Field::Arn,
                        _ => Field::Other,
                    }
                };
            }
            Capture::Value(field) => {
                let value = Some(decode(&self.text));
                // The last occurrence wins, as in the parser.
                match field {
                    Field::EventName => self.out.event_name = value,
                    Field::EventSource => self.out.event_source = value,
                    Field::EventId => self.out.event_id = value,
                    Field::Arn => self.out.user_arn = value,
                    Field::Other | Field::UserIdentity => {}
                }
            }
        }
        self.capture = Capture::Nothing;
        self.text.clear();
    }

    /// The fields found so far. A string value still open when the input ends is not kept.
    pub fn finish(self) -> Recovered {
        self.out
    }
}

/// Decodes a JSON string's text (without its quotes), leniently: an invalid or cut escape and bytes that are
/// not UTF-8 read as U+FFFD, a lone surrogate too. The result is cut to [`MAX_FIELD_BYTES`].
fn decode(text: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut i = 0;
    let push_char = |out: &mut Vec<u8>, c: char| {
        let mut b = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
    };
    while let Some(&b) = text.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let c = match text.get(i + 1).copied() {
            Some(b'u') => {
                let (c, len) = unicode_escape(text, i);
                push_char(&mut out, c);
                i += len;
                continue;
            }
            next => next
                .and_then(crate::string_scan::short_escape)
                .unwrap_or(char::REPLACEMENT_CHARACTER),
        };
        push_char(&mut out, c);
        i += 2;
    }
    let s = String::from_utf8_lossy(&out);
    let mut end = s.len().min(MAX_FIELD_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The `\uXXXX` escape at `text[at]` (a surrogate pair when one follows): the character (U+FFFD when it is not
/// a valid one) and how many bytes it takes.
fn unicode_escape(text: &[u8], at: usize) -> (char, usize) {
    let hex = |from: usize| -> Option<u32> {
        let digits = text.get(from..from + 4)?;
        digits
            .iter()
            .try_fold(0u32, |acc, &d| Some(acc * 16 + (d as char).to_digit(16)?))
    };
    let Some(hi) = hex(at + 2) else {
        return (char::REPLACEMENT_CHARACTER, 2);
    };
    if (0xD800..0xDC00).contains(&hi) && text.get(at + 6..at + 8) == Some(b"\\u") {
        if let Some(lo @ 0xDC00..=0xDFFF) = hex(at + 8) {
            let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            return (
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                12,
            );
        }
    }
    (char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER), 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:x",
        "arn":"arn:aws:sts::111122223333:assumed-role/R/s","sessionContext":{"sessionIssuer":{"arn":"not this"}}},
        "eventTime":"2024-01-01T00:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging",
        "requestParameters":{"eventName":"not this","arn":"nor this","name":"t"},"eventID":"e-1"}"#;

    fn want() -> Recovered {
        Recovered {
            event_name: Some("StopLogging".into()),
            event_source: Some("cloudtrail.amazonaws.com".into()),
            event_id: Some("e-1".into()),
            user_arn: Some("arn:aws:sts::111122223333:assumed-role/R/s".into()),
        }
    }

    #[test]
    fn finds_the_top_level_fields_and_nothing_nested() {
        assert_eq!(recover_fields(RECORD.as_bytes()), want());
    }

    #[test]
    fn any_split_into_pieces_gives_the_same_result() {
        let bytes = RECORD.as_bytes();
        for cut in 0..bytes.len() {
            let mut r = Recoverer::new();
            r.feed(&bytes[..cut]);
            r.feed(&bytes[cut..]);
            assert_eq!(r.finish(), want(), "cut at {cut}");
        }
        let mut r = Recoverer::new();
        for b in bytes.chunks(1) {
            r.feed(b);
        }
        assert_eq!(r.finish(), want());
    }

    #[test]
    fn broken_records_give_what_came_before_the_damage() {
        let r = recover_fields(br#"{"eventName":"StopLogging","x":tru,"eventSource":"s"#);
        assert_eq!(r.event_name.as_deref(), Some("StopLogging"));
        assert_eq!(r.event_source, None, "a value cut by the end is not kept");
        // Escapes, a lone surrogate, a byte that is not UTF-8, an invalid escape, an escaped key.
        let r = recover_fields(b"{\"event\\u004eame\":\"Stop\\ud800\\\"\\u0041\xff\\q\",\"eventID\":\"\\ud83d\\ude00\"}");
        assert_eq!(
            r.event_name.as_deref(),
            Some("Stop\u{fffd}\"A\u{fffd}\u{fffd}")
        );
        assert_eq!(r.event_id.as_deref(), Some("😀"));
        // Not an object; a field that is not a string; userIdentity that is not an object.
        assert_eq!(
            recover_fields(br#"["eventName","x"]"#),
            Recovered::default()
        );
        assert_eq!(
            recover_fields(br#"{"eventName":5,"userIdentity":["arn","a"],"arn":"b"}"#),
            Recovered::default()
        );
        // Nothing after the root object counts.
        assert_eq!(
            recover_fields(br#"{"a":1} {"eventName":"x"}"#),
            Recovered::default()
        );
    }

    #[test]
    fn values_are_cut_and_keys_bounded() {
        let long = "é".repeat(2000);
        let text = format!(
            r#"{{"eventName":"{long}","{}":"x","eventID":"i"}}"#,
            "k".repeat(5000)
        );
        let r = recover_fields(text.as_bytes());
        let name = r.event_name.unwrap();
        assert!(name.len() <= MAX_FIELD_BYTES && name.len() > MAX_FIELD_BYTES - 4);
        assert!(name.chars().all(|c| c == 'é'));
        assert_eq!(r.event_id.as_deref(), Some("i"));
    }

    #[test]
    fn deep_nesting_is_only_counted() {
        let text = format!(
            r#"{{"eventName":"A","x":{}1{},"eventID":"B"}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let r = recover_fields(text.as_bytes());
        assert_eq!(
            (r.event_name.as_deref(), r.event_id.as_deref()),
            (Some("A"), Some("B"))
        );
    }
}
