//! A validating, borrowing JSON parser for one record at a time: the fast path of the pipeline.
//!
//! `serde_json::Value` builds a `BTreeMap` per object and a `String` per key and value, then drops it all: on
//! CloudTrail's ~1.4 KB records that was over half the pipeline's CPU. [`Dom`] parses into a flat "tape" of
//! fixed-size entries that it reuses from record to record, so a record costs no allocation once the buffers
//! have grown. Strings point into the record's text; only a string with escapes is decoded, into an arena that is
//! also reused. Numbers keep their JSON text (as CloudWatch sees them).
//!
//! The structure is RFC 8259, checked in full (like `serde_json`): one value, no trailing data, no trailing
//! commas, valid escapes, no raw control characters in strings. Nesting deeper than [`MAX_DEPTH`] is an error,
//! so hostile input cannot exhaust anything. Duplicate keys are allowed and the last one wins, as in
//! `serde_json::Value` and Python's `json.loads`.
//!
//! String *contents* are read leniently, because that is where an attacker's text goes (their user agent, a
//! role session name, request parameters) and a record that fails to parse would otherwise escape evaluation:
//! a lone surrogate escape (`\ud800` not followed by a trailing one, or a lone `\udc00`), which JavaScript's
//! `JSON.parse` and Python's `json` accept, decodes to U+FFFD; bytes that are not UTF-8 (CloudTrail passes some
//! caller-supplied bytes through) also read as U+FFFD. Valid UTF-8, the normal case, pays nothing for this: the
//! text is checked once with `simdutf8` and only a failing record is copied (lossily) and parsed again.

use std::fmt;

/// Deepest nesting accepted (the same limit as `serde_json`'s recursion limit).
pub const MAX_DEPTH: usize = 128;

/// [`DomError::reason`] of a value nested deeper than [`MAX_DEPTH`] (see [`DomError::is_too_deep`]).
pub const TOO_DEEP: &str = "nesting too deep";

/// The largest root object that gets a hash index: CloudTrail's have 15 to 30 members. Larger ones are walked
/// (linear per lookup). Keys crafted to share a hash make building the index quadratic in the members; this
/// cap keeps that to at most `ROOT_INDEX_MAX / 2` probes per member, so no input makes it worse than linear.
/// (A probe limit inside the insertion loop would do the same, but it cost 8 % of the whole parse: the loop
/// is inlined into the parser and its shape matters.)
const ROOT_INDEX_MAX: u32 = 256;

/// Why a record's bytes are not one valid JSON value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at byte {offset}")]
pub struct DomError {
    /// Byte offset in the record's text.
    pub offset: usize,
    pub reason: &'static str,
}

impl DomError {
    /// Whether the value is nested deeper than [`MAX_DEPTH`] (the rest of it was not looked at).
    pub fn is_too_deep(&self) -> bool {
        self.reason == TOO_DEEP
    }
}

/// What kind of JSON value a [`Node`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Null,
    True,
    False,
    /// `a..b` is the number's text.
    Number,
    /// `a..b` is the string's content in the record's text (no escapes).
    Str,
    /// `a..b` is the decoded string in the arena.
    StrArena,
    /// `a` = index after the last entry of the array; `b` = element count.
    Array,
    /// `a` = index after the last entry; `b` = member count; `c` = index of the last key.
    Object,
}

/// One tape entry. A key entry (a string directly inside an object, before its value) uses `c` for the index of
/// the previous key of the same object, so lookups walk members from the last one (last duplicate wins) and stop
/// at the first hit.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: Tag,
    a: u32,
    b: u32,
    c: u32,
}

impl Entry {
    /// The text this string entry's `a..b` indexes: the arena for a decoded string, else the record's text.
    #[inline(always)]
    fn source<'s, S: ?Sized>(self, arena: &'s S, text: &'s S) -> &'s S {
        if self.tag == Tag::StrArena {
            arena
        } else {
            text
        }
    }

    /// The bytes of this string entry (a key or a string value).
    #[inline(always)]
    fn bytes<'s>(self, arena: &'s [u8], text: &'s [u8]) -> &'s [u8] {
        self.source(arena, text)
            .get(self.a as usize..self.b as usize)
            .unwrap_or_default()
    }
}

const NONE: u32 = u32::MAX;

/// A reusable parser and the parsed form of the last record it was given.
#[derive(Debug, Default)]
pub struct Dom {
    entries: Vec<Entry>,
    arena: String,
    /// Open containers while parsing.
    stack: Vec<Open>,
    /// Hash index of the root object's keys (open addressing; key entry indices, `NONE` = empty slot), built
    /// after each parse when the root has [`ROOT_INDEX_MIN`] to [`ROOT_INDEX_MAX`] members. Rules look up top-level
    /// members many times per record; without it each lookup walks the member list.
    root_slots: Vec<u32>,
    /// Whether the parser skipped any whitespace: `false` means the text is already compact JSON.
    spaced: bool,
    /// The lossy UTF-8 copy of the last record when it was not valid UTF-8 (see [`Dom::root`]); reused.
    lossy: String,
}

/// A container being parsed: its entry, whether it is an object, its last key so far and its child count
/// (kept here and written to the entry when it closes, so the hot loop touches only the top of this stack).
#[derive(Debug, Clone, Copy)]
struct Open {
    index: u32,
    object: bool,
    last_key: u32,
    count: u32,
}

/// The smallest root object that gets a hash index (smaller ones are walked).
const ROOT_INDEX_MIN: u32 = 8;

/// A value inside a parsed record. Cheap to copy; borrows the [`Dom`] and the record's text.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    dom: &'a Dom,
    text: &'a str,
    index: u32,
}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            Kind::Object => f.debug_map().entries(self.members()).finish(),
            Kind::Array => f.debug_list().entries(self.elements()).finish(),
            Kind::String => fmt::Debug::fmt(self.as_str().unwrap_or_default(), f),
            Kind::Number => f.write_str(self.as_number_text().unwrap_or_default()),
            Kind::Bool => fmt::Debug::fmt(&self.as_bool().unwrap_or_default(), f),
            Kind::Null => f.write_str("null"),
        }
    }
}

impl Dom {
    pub fn new() -> Dom {
        Dom::default()
    }

    /// Parses `text` (exactly one JSON value, surrounding whitespace allowed) and returns its root. Bytes that
    /// are not UTF-8 read as U+FFFD (the root's text is then a lossy copy, see [`Node::document_text`]).
    pub fn parse<'a>(&'a mut self, text: &'a [u8]) -> Result<Node<'a>, DomError> {
        self.parse_bytes(text, false)?;
        self.root(text)
    }

    /// Parses the JSON value at the start of `bytes` (leading whitespace allowed) and stops right after it,
    /// whatever follows: returns the root and the index one past the value's last byte. This is how the log
    /// reader parses a record in place while finding where it ends. An error whose offset is `bytes.len()`
    /// means the input ended inside the value (it may be complete in a longer buffer).
    pub fn parse_prefix<'a>(&'a mut self, bytes: &'a [u8]) -> Result<(Node<'a>, usize), DomError> {
        let end = self.parse_bytes(bytes, true)?;
        Ok((self.root(&bytes[..end])?, end))
    }

    pub(crate) fn parse_bytes(&mut self, bytes: &[u8], prefix: bool) -> Result<usize, DomError> {
        if bytes.len() >= NONE as usize {
            return Err(DomError {
                offset: 0,
                reason: "record larger than 4 GiB",
            });
        }
        self.entries.clear();
        self.arena.clear();
        self.stack.clear();
        self.root_slots.clear();
        self.spaced = false;
        let end = Parser {
            bytes,
            pos: 0,
            dom: self,
        }
        .run(prefix)?;
        self.index_root(bytes);
        Ok(end)
    }

    /// Builds [`Dom::root_slots`]. The keys are visited from the last one back (the `c` links), so the first
    /// insertion of a repeated key is its last occurrence, and the index agrees with the walk (last duplicate
    /// wins). This runs for every record, so it works on split borrows and does no value-kind dispatch.
    fn index_root(&mut self, bytes: &[u8]) {
        let Some(&root) = self.entries.first() else {
            return;
        };
        if root.tag != Tag::Object || root.b < ROOT_INDEX_MIN || root.b > ROOT_INDEX_MAX {
            return;
        }
        let capacity = (root.b as usize * 2).next_power_of_two();
        self.root_slots.resize(capacity, NONE);
        let mask = capacity - 1;
        let (entries, slots, arena) = (&self.entries, &mut self.root_slots, self.arena.as_bytes());
        let mut k = root.c;
        while let Some(&e) = entries.get(k as usize) {
            let key = e.bytes(arena, bytes);
            let mut slot = key_hash_at(e.source(arena, bytes), e.a as usize, key.len()) & mask;
            loop {
                let current = slots[slot];
                if current == NONE {
                    slots[slot] = k;
                    break;
                }
                if entries
                    .get(current as usize)
                    .is_some_and(|&c| short_eq(c.bytes(arena, bytes), key))
                {
                    // A later occurrence of this key is already indexed.
                    break;
                }
                slot = (slot + 1) & mask;
            }
            k = e.c;
        }
    }

    /// The bytes of the key entry `k` (content in `text`, or decoded in the arena).
    fn key_bytes<'s>(&'s self, k: u32, text: &'s [u8]) -> &'s [u8] {
        self.entries[k as usize].bytes(self.arena.as_bytes(), text)
    }

    /// The root of the value just parsed from `bytes` (the whole value, nothing after it). The parser only looks
    /// at ASCII bytes, so one check of the whole text here covers every string. Text that is not UTF-8 is copied
    /// with each invalid sequence replaced by U+FFFD and parsed again from the copy (a byte of 0x80 or more is
    /// never JSON structure, so the copy has the same structure): the cost falls on that record only.
    pub(crate) fn root<'a>(&'a mut self, bytes: &'a [u8]) -> Result<Node<'a>, DomError> {
        match simdutf8::basic::from_utf8(bytes) {
            Ok(text) => Ok(Node {
                dom: self,
                text,
                index: 0,
            }),
            Err(_) => self.reparse_lossy(bytes),
        }
    }

    #[cold]
    #[inline(never)]
    fn reparse_lossy(&mut self, bytes: &[u8]) -> Result<Node<'_>, DomError> {
        let mut lossy = std::mem::take(&mut self.lossy);
        lossy.clear();
        lossy.push_str(&String::from_utf8_lossy(bytes));
        let parsed = self.parse_bytes(lossy.as_bytes(), false);
        self.lossy = lossy;
        parsed?;
        Ok(Node {
            dom: self,
            text: &self.lossy,
            index: 0,
        })
    }
}

struct Parser<'p> {
    bytes: &'p [u8],
    pos: usize,
    dom: &'p mut Dom,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> DomError {
        DomError {
            offset: self.pos,
            reason,
        }
    }

    fn skip_ws(&mut self) {
        let from = self.pos;
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        if self.pos != from {
            self.dom.spaced = true;
        }
    }

    #[inline(always)]
    fn push(&mut self, tag: Tag, a: usize, b: usize, c: u32) {
        self.dom.entries.push(Entry {
            tag,
            a: a as u32,
            b: b as u32,
            c,
        });
    }

    /// Parses one value; with `prefix`, stops after it and returns where it ends, else requires that only
    /// whitespace follows.
    ///
    /// Iterative: the innermost open container lives in locals (`cur`, `depth`), its parents in `Dom::stack`,
    /// so depth costs heap, bounded by [`MAX_DEPTH`], and the per-member work stays in registers. Compact JSON
    /// (CloudTrail's) takes the direct branches; whitespace is skipped only where a byte says it is there.
    fn run(mut self, prefix: bool) -> Result<usize, DomError> {
        let mut depth = 0usize;
        let mut cur = Open {
            index: 0,
            object: false,
            last_key: NONE,
            count: 0,
        };
        'value: loop {
            // Parse one value at `pos`.
            match self.bytes.get(self.pos) {
                Some(b'"') => self.string(NONE)?,
                Some(b'{' | b'[') => {
                    if depth >= MAX_DEPTH {
                        return Err(self.err(TOO_DEEP));
                    }
                    if depth > 0 {
                        self.dom.stack.push(cur);
                    }
                    depth += 1;
                    let object = self.bytes[self.pos] == b'{';
                    cur = Open {
                        index: self.dom.entries.len() as u32,
                        object,
                        last_key: NONE,
                        count: 0,
                    };
                    self.push(if object { Tag::Object } else { Tag::Array }, 0, 0, NONE);
                    self.pos += 1;
                    self.skip_ws();
                    let close = if object { b'}' } else { b']' };
                    if self.bytes.get(self.pos) == Some(&close) {
                        self.pos += 1;
                        self.close(&mut cur, &mut depth);
                    } else {
                        if object {
                            self.key(&mut cur)?;
                        }
                        continue 'value;
                    }
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal(b"true", Tag::True)?,
                Some(b'f') => self.literal(b"false", Tag::False)?,
                Some(b'n') => self.literal(b"null", Tag::Null)?,
                Some(b' ' | b'\n' | b'\r' | b'\t') => {
                    self.skip_ws();
                    continue 'value;
                }
                Some(_) => return Err(self.err("expected a value")),
                None => return Err(self.err("unexpected end of input, expected a value")),
            }
            // After a value: continue the enclosing container, or finish.
            loop {
                if depth == 0 {
                    if prefix {
                        return Ok(self.pos);
                    }
                    self.skip_ws();
                    if self.pos != self.bytes.len() {
                        return Err(self.err("trailing characters after the value"));
                    }
                    return Ok(self.pos);
                }
                cur.count += 1;
                if !matches!(self.bytes.get(self.pos), Some(b',' | b'}' | b']')) {
                    self.skip_ws();
                }
                match (self.bytes.get(self.pos), cur.object) {
                    (Some(b','), object) => {
                        self.pos += 1;
                        if object {
                            if self.bytes.get(self.pos) != Some(&b'"') {
                                self.skip_ws();
                            }
                            self.key(&mut cur)?;
                        }
                        continue 'value;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => {
                        self.pos += 1;
                        self.close(&mut cur, &mut depth);
                    }
                    (None, _) => return Err(self.err("unexpected end of input inside a container")),
                    (Some(_), true) => return Err(self.err("expected `,` or `}`")),
                    (Some(_), false) => return Err(self.err("expected `,` or `]`")),
                }
            }
        }
    }

    /// Closes the innermost container `cur`: writes its end, count and last key, and makes its parent current.
    #[inline(always)]
    fn close(&mut self, cur: &mut Open, depth: &mut usize) {
        let end = self.dom.entries.len() as u32;
        if let Some(entry) = self.dom.entries.get_mut(cur.index as usize) {
            entry.a = end;
            entry.b = cur.count;
            entry.c = cur.last_key;
        }
        *depth -= 1;
        if *depth > 0 {
            if let Some(parent) = self.dom.stack.pop() {
                *cur = parent;
            }
        }
    }

    /// A member's key and colon, in object `cur`; `pos` is at the key's opening quote (after whitespace).
    #[inline(always)]
    fn key(&mut self, cur: &mut Open) -> Result<(), DomError> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.err("expected a string key"));
        }
        let index = self.dom.entries.len() as u32;
        self.string(cur.last_key)?;
        cur.last_key = index;
        if self.bytes.get(self.pos) != Some(&b':') {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.err("expected `:` after a key"));
            }
        }
        self.pos += 1;
        Ok(())
    }

    fn literal(&mut self, word: &'static [u8], tag: Tag) -> Result<(), DomError> {
        let rest = &self.bytes[self.pos..];
        if rest.starts_with(word) {
            self.pos += word.len();
            self.push(tag, 0, 0, NONE);
            Ok(())
        } else if rest.len() < word.len() && word.starts_with(rest) {
            self.pos = self.bytes.len();
            Err(self.err("unexpected end of input inside a literal"))
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), DomError> {
        let start = self.pos;
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number: no digit after `.`"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number: no digit in the exponent"));
            }
        }
        self.push(Tag::Number, start, self.pos, NONE);
        Ok(())
    }

    /// A string; `pos` is at its opening quote. The common case, a string without escapes, stays inline in the
    /// parse loop; everything else goes to [`Parser::string_stopped`].
    /// `c` is the entry's `c` (for a key: the previous key of its object; else `NONE`).
    #[inline(always)]
    fn string(&mut self, c: u32) -> Result<(), DomError> {
        let start = self.pos + 1;
        let end = crate::string_scan::string_stop(self.bytes, start, true);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            self.push(Tag::Str, start, end, c);
            Ok(())
        } else {
            self.string_stopped(start, end, c)
        }
    }

    /// A string whose plain run from `start` stopped at `end` on something other than its closing quote.
    #[cold]
    #[inline(never)]
    fn string_stopped(&mut self, start: usize, end: usize, c: u32) -> Result<(), DomError> {
        match self.bytes.get(end) {
            Some(b'\\') => self.escaped_string(start, end, c),
            Some(_) => {
                self.pos = end;
                Err(self.err("control character in a string"))
            }
            None => {
                self.pos = end;
                Err(self.err("unexpected end of input inside a string"))
            }
        }
    }

    /// The slow path for a string with escapes: decode it into the arena. `plain_end` is the first backslash.
    fn escaped_string(&mut self, start: usize, plain_end: usize, c: u32) -> Result<(), DomError> {
        let bytes = self.bytes;
        let arena_start = self.dom.arena.len();
        let mut run_start = start;
        let mut i = plain_end;
        loop {
            // Run boundaries sit on ASCII bytes, so a run of valid UTF-8 text is valid text on its own. Text
            // that is not UTF-8 is parsed again from a lossy copy (see `Dom::root`); until then, read it lossily.
            match std::str::from_utf8(&bytes[run_start..i]) {
                Ok(run) => self.dom.arena.push_str(run),
                Err(_) => self
                    .dom
                    .arena
                    .push_str(&String::from_utf8_lossy(&bytes[run_start..i])),
            }
            match bytes.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    let end = self.dom.arena.len();
                    self.push(Tag::StrArena, arena_start, end, c);
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos = i;
                    let (c, len) = self.escape(i)?;
                    self.dom.arena.push(c);
                    i += len;
                }
                Some(_) => {
                    self.pos = i;
                    return Err(self.err("control character in a string"));
                }
                None => {
                    self.pos = i;
                    return Err(self.err("unexpected end of input inside a string"));
                }
            }
            run_start = i;
            i = crate::string_scan::string_stop(bytes, i, true);
        }
    }

    /// Decodes the escape at `at` (a backslash): the character and the escape's length in bytes.
    fn escape(&self, at: usize) -> Result<(char, usize), DomError> {
        let next = self.bytes.get(at + 1).copied();
        if let Some(c) = next.and_then(crate::string_scan::short_escape) {
            return Ok((c, 2));
        }
        match next {
            Some(b'u') => {
                let hi = self.hex4(at + 2)?;
                match hi {
                    0xD800..=0xDBFF => {
                        let next = self.bytes.get(at + 6..).unwrap_or_default();
                        let next = &next[..next.len().min(2)];
                        if next.len() < 2 && b"\\u".starts_with(next) {
                            return Err(DomError {
                                offset: self.bytes.len(),
                                reason: "unexpected end of input in a \\u escape",
                            });
                        }
                        if next != b"\\u" {
                            // A lone leading surrogate (JavaScript and Python accept it).
                            return Ok((char::REPLACEMENT_CHARACTER, 6));
                        }
                        let lo = self.hex4(at + 8)?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            // Not followed by a trailing surrogate: this one alone is replaced and the
                            // next escape is decoded on its own.
                            return Ok((char::REPLACEMENT_CHARACTER, 6));
                        }
                        let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        char::from_u32(code)
                            .map(|c| (c, 12))
                            .ok_or_else(|| self.err("invalid \\u escape"))
                    }
                    0xDC00..=0xDFFF => Ok((char::REPLACEMENT_CHARACTER, 6)),
                    _ => char::from_u32(hi)
                        .map(|c| (c, 6))
                        .ok_or_else(|| self.err("invalid \\u escape")),
                }
            }
            Some(_) => Err(self.err("invalid escape")),
            None => Err(DomError {
                offset: self.bytes.len(),
                reason: "unexpected end of input inside a string",
            }),
        }
    }

    fn hex4(&self, at: usize) -> Result<u32, DomError> {
        let digits = self.bytes.get(at..at + 4).ok_or(DomError {
            offset: self.bytes.len(),
            reason: "unexpected end of input in a \\u escape",
        })?;
        digits.iter().try_fold(0u32, |acc, &d| {
            let v = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid hex digit in a \\u escape"))?;
            Ok(acc * 16 + v)
        })
    }
}

impl<'a> Node<'a> {
    fn entry(&self) -> Entry {
        self.dom.entries[self.index as usize]
    }

    fn at_index(&self, index: u32) -> Node<'a> {
        Node {
            dom: self.dom,
            text: self.text,
            index,
        }
    }

    /// Index of the entry after this value's subtree.
    fn next_sibling(&self) -> u32 {
        let e = self.entry();
        match e.tag {
            Tag::Array | Tag::Object => e.a,
            _ => self.index + 1,
        }
    }

    fn entry_str(&self, e: Entry) -> &'a str {
        e.source(self.dom.arena.as_str(), self.text)
            .get(e.a as usize..e.b as usize)
            .unwrap_or_default()
    }

    /// The JSON text of the whole document this node is part of (for a record's root: the record).
    pub fn document_text(&self) -> &'a str {
        self.text
    }

    /// Whether [`Node::document_text`] has no whitespace outside strings, i.e. is already compact JSON (as
    /// CloudTrail writes it), so a finding can keep it as is.
    pub fn document_is_compact(&self) -> bool {
        !self.dom.spaced
    }

    pub fn kind(&self) -> Kind {
        match self.entry().tag {
            Tag::Null => Kind::Null,
            Tag::True | Tag::False => Kind::Bool,
            Tag::Number => Kind::Number,
            Tag::Str | Tag::StrArena => Kind::String,
            Tag::Array => Kind::Array,
            Tag::Object => Kind::Object,
        }
    }

    pub fn is_null(&self) -> bool {
        self.entry().tag == Tag::Null
    }
    pub fn is_object(&self) -> bool {
        self.entry().tag == Tag::Object
    }
    pub fn is_array(&self) -> bool {
        self.entry().tag == Tag::Array
    }

    /// The string, decoded, if this is a string.
    pub fn as_str(&self) -> Option<&'a str> {
        let e = self.entry();
        matches!(e.tag, Tag::Str | Tag::StrArena).then(|| self.entry_str(e))
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.entry().tag {
            Tag::True => Some(true),
            Tag::False => Some(false),
            _ => None,
        }
    }

    /// The number's JSON text (e.g. `-1.5e3`), if this is a number.
    pub fn as_number_text(&self) -> Option<&'a str> {
        let e = self.entry();
        (e.tag == Tag::Number).then(|| {
            self.text
                .get(e.a as usize..e.b as usize)
                .unwrap_or_default()
        })
    }

    /// Member or element count of an object or array; 0 for anything else.
    pub fn len(&self) -> usize {
        let e = self.entry();
        match e.tag {
            Tag::Array | Tag::Object => e.b as usize,
            _ => 0,
        }
    }

    /// Whether this is not an object or array with at least one member or element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The member `key` of an object (the last one if the key is repeated); `None` for anything else.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        let e = self.entry();
        if e.tag != Tag::Object {
            return None;
        }
        // The hot path of rule evaluation: the root's hash index, else a walk that compares lengths first
        // (most keys differ in length), then bytes.
        let key = key.as_bytes();
        let text = self.text.as_bytes();
        if self.index == 0 && !self.dom.root_slots.is_empty() {
            let slots = &self.dom.root_slots;
            let mask = slots.len() - 1;
            let mut slot = key_hash(key) & mask;
            loop {
                let k = slots[slot];
                if k == NONE {
                    return None;
                }
                if short_eq(self.dom.key_bytes(k, text), key) {
                    return Some(self.at_index(k + 1));
                }
                slot = (slot + 1) & mask;
            }
        }
        let mut k = e.c;
        while k != NONE {
            let ke = self.dom.entries[k as usize];
            if (ke.b - ke.a) as usize == key.len() && short_eq(self.dom.key_bytes(k, text), key) {
                return Some(self.at_index(k + 1));
            }
            k = ke.c;
        }
        None
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<Elements<'a>> {
        self.is_array().then(|| self.elements())
    }

    /// This node, if it is an object.
    pub fn as_object(&self) -> Option<Node<'a>> {
        self.is_object().then_some(*self)
    }

    /// The element at `index` of an array; `None` for anything else.
    pub fn at(&self, index: usize) -> Option<Node<'a>> {
        self.elements().nth(index)
    }

    /// An array's elements in order (nothing for anything else).
    pub fn elements(&self) -> Elements<'a> {
        let e = self.entry();
        let (next, end) = if e.tag == Tag::Array {
            (self.index + 1, e.a)
        } else {
            (0, 0)
        };
        Elements {
            node: *self,
            next,
            end,
        }
    }

    /// An object's members in document order, duplicates included (nothing for anything else).
    pub fn members(&self) -> Members<'a> {
        let e = self.entry();
        let (next, end) = if e.tag == Tag::Object {
            (self.index + 1, e.a)
        } else {
            (0, 0)
        };
        Members {
            node: *self,
            next,
            end,
        }
    }

    /// This value as `serde_json::Value` (for code outside the hot path that wants one).
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self.kind() {
            Kind::Null => Value::Null,
            Kind::Bool => Value::Bool(self.as_bool().unwrap_or_default()),
            Kind::Number => self
                .as_number_text()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Value::Null),
            Kind::String => Value::String(self.as_str().unwrap_or_default().to_owned()),
            Kind::Array => Value::Array(self.elements().map(|n| n.to_value()).collect()),
            Kind::Object => Value::Object(
                self.members()
                    .map(|(k, v)| (k.to_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// A cheap hash of a key: its length, its first eight bytes and its last eight (zero-padded below eight bytes).
/// That is every byte of a key of up to 16 bytes, which covers CloudTrail's top-level keys, in two loads and
/// one multiply (this runs for every key of every record). Hashing only the head let keys that share their
/// first bytes pile up in one run of slots. Keys that differ only in the middle of a longer one still collide,
/// and keys can be crafted to collide whatever the hash: [`ROOT_INDEX_MAX`] bounds what that costs.
#[inline(always)]
fn key_hash(key: &[u8]) -> usize {
    let n = key.len();
    match (key.get(..8), key.get(n.saturating_sub(8)..)) {
        (Some(first), Some(last)) if n > 8 => mix(word(first) ^ word(last).rotate_left(17), n),
        (Some(first), _) => mix(word(first), n),
        _ => {
            let mut w = [0u8; 8];
            for (to, from) in w.iter_mut().zip(key) {
                *to = *from;
            }
            mix(u64::from_le_bytes(w), n)
        }
    }
}

/// [`key_hash`] of the key at `source[a..a + n]`, reading the words where the source has them (the bytes after
/// a short key are masked off).
#[inline(always)]
fn key_hash_at(source: &[u8], a: usize, n: usize) -> usize {
    match source.get(a..a + 8) {
        Some(w) if n < 8 => mix(word(w) & ((1u64 << (8 * n)) - 1), n),
        Some(w) if n == 8 => mix(word(w), n),
        Some(w) => match source.get(a + n - 8..a + n) {
            Some(last) => mix(word(w) ^ word(last).rotate_left(17), n),
            None => key_hash(source.get(a..a + n).unwrap_or_default()),
        },
        None => key_hash(source.get(a..a + n).unwrap_or_default()),
    }
}

/// Mixes a key's hash and length so that the low bits of the result depend on all of them (the caller masks
/// the result to the table size). The fold brings bytes 4-7 down before the multiply, whose low bits would
/// otherwise never see them: many keys share their first five bytes (`eventName`, `eventTime`, …).
#[inline(always)]
fn mix(head: u64, n: usize) -> usize {
    let x = head ^ ((n as u64) << 56);
    ((x ^ (x >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
}

/// The first eight bytes of `s` (at least eight long) as a little-endian word.
#[inline(always)]
fn word(s: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[..8]);
    u64::from_le_bytes(w)
}

/// `a == b`, without a `memcmp` call for the short keys of CloudTrail records (overlapping 8-byte words: two
/// cover 8..=16 bytes, four cover 17..=32).
#[inline]
fn short_eq(a: &[u8], b: &[u8]) -> bool {
    let at = |s: &[u8], i: usize| word(&s[i..]);
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0..=7 => a.iter().zip(b).all(|(x, y)| x == y),
        8..=16 => at(a, 0) == at(b, 0) && at(a, n - 8) == at(b, n - 8),
        17..=32 => {
            at(a, 0) == at(b, 0)
                && at(a, 8) == at(b, 8)
                && at(a, n - 16) == at(b, n - 16)
                && at(a, n - 8) == at(b, n - 8)
        }
        _ => a == b,
    }
}

/// A parsed JSON text that owns its text and tape: for code outside the hot loop (tests, one-off lookups) that
/// wants a [`Node`] without managing a [`Dom`].
#[derive(Debug)]
pub struct Parsed {
    text: Box<str>,
    dom: Dom,
}

impl Parsed {
    /// Parses `text` (see [`Dom::parse`]; bytes that are not UTF-8 read as U+FFFD here too).
    pub fn new(text: &[u8]) -> Result<Parsed, DomError> {
        let text: Box<str> = match simdutf8::basic::from_utf8(text) {
            Ok(t) => t.into(),
            Err(_) => String::from_utf8_lossy(text).into(),
        };
        let mut dom = Dom::new();
        dom.parse_bytes(text.as_bytes(), false)?;
        Ok(Parsed { text, dom })
    }

    /// The document of a `serde_json::Value` (serialized, then parsed).
    pub fn from_value(value: &serde_json::Value) -> Parsed {
        let text = value.to_string();
        let mut dom = Dom::new();
        // serde_json writes valid JSON within the depth its own parser accepts; a failure would leave the tape
        // empty, which reads as `null`.
        if dom.parse(text.as_bytes()).is_err() {
            dom.entries.clear();
            dom.entries.push(Entry {
                tag: Tag::Null,
                a: 0,
                b: 0,
                c: NONE,
            });
        }
        Parsed {
            text: text.into(),
            dom,
        }
    }

    /// The root value.
    pub fn root(&self) -> Node<'_> {
        Node {
            dom: &self.dom,
            text: &self.text,
            index: 0,
        }
    }

    /// The JSON text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// See [`Node::elements`].
#[derive(Clone)]
pub struct Elements<'a> {
    node: Node<'a>,
    next: u32,
    end: u32,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Node<'a>;
    fn next(&mut self) -> Option<Node<'a>> {
        if self.next >= self.end {
            return None;
        }
        let item = self.node.at_index(self.next);
        self.next = item.next_sibling();
        Some(item)
    }
}

/// See [`Node::members`].
#[derive(Clone)]
pub struct Members<'a> {
    node: Node<'a>,
    next: u32,
    end: u32,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, Node<'a>);
    fn next(&mut self) -> Option<(&'a str, Node<'a>)> {
        if self.next >= self.end {
            return None;
        }
        let key = self
            .node
            .entry_str(self.node.dom.entries[self.next as usize]);
        let value = self.node.at_index(self.next + 1);
        self.next = value.next_sibling();
        Some((key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<serde_json::Value, DomError> {
        let mut dom = Dom::new();
        dom.parse(text.as_bytes()).map(|n| n.to_value())
    }

    #[test]
    fn parses_what_serde_json_parses() {
        for text in [
            r#"{"a":1,"b":[true,false,null,"x",{"c":-1.5e3}],"d":{}}"#,
            r#"  [ ]  "#,
            r#""\u00e9\ud83d\ude00\n\"\\\/\b\f\r\t""#,
            r#"{"k\u0041y":"v","kAy":"w"}"#,
            "0",
            "-0.0e+1",
            r#"{"nested":{"deeper":[[[]]]}}"#,
            r#""plain ascii longer than eight bytes, with é and 😀""#,
        ] {
            let ours = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
        }
    }

    #[test]
    fn rejects_what_json_rejects_with_a_position() {
        for (text, reason) in [
            ("", "unexpected end of input, expected a value"),
            ("{", "expected a string key"),
            (r#"{"a":1,}"#, "expected a string key"),
            ("[1,]", "expected a value"),
            (r#"{"a" 1}"#, "expected `:` after a key"),
            (r#"{"a":1"#, "unexpected end of input inside a container"),
            ("[1 2]", "expected `,` or `]`"),
            ("01", "trailing characters after the value"),
            ("1.", "invalid number: no digit after `.`"),
            ("1e", "invalid number: no digit in the exponent"),
            ("-", "invalid number"),
            ("tru", "unexpected end of input inside a literal"),
            ("trux", "invalid literal"),
            ("nul", "unexpected end of input inside a literal"),
            ("[nil]", "invalid literal"),
            ("\"abc", "unexpected end of input inside a string"),
            ("\"a\u{1}b\"", "control character in a string"),
            (r#""\x""#, "invalid escape"),
            (r#""\u12zz""#, "invalid hex digit in a \\u escape"),
            (r#""\u12""#, "unexpected end of input in a \\u escape"),
            (r#""\ud800\u00zz""#, "invalid hex digit in a \\u escape"),
            ("{} {}", "trailing characters after the value"),
        ] {
            let err = parse(text).expect_err(text);
            assert_eq!(err.reason, reason, "{text:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text:?}"
            );
        }
        let mut dom = Dom::new();
        assert_eq!(dom.parse(b"[1,\n x]").unwrap_err().offset, 5);
        // Structure stays strict where the text is not UTF-8: such a byte is never JSON structure.
        assert_eq!(
            dom.parse(b"[1,\xff]").unwrap_err().reason,
            "expected a value"
        );
        assert!(dom.parse(b"{\"a\xff\":1,}").is_err());
    }

    #[test]
    fn lone_surrogates_decode_to_the_replacement_character() {
        // What JavaScript's JSON.parse and Python's json.loads accept (Python keeps the surrogate; a Rust
        // string cannot hold one, so it is U+FFFD), while serde_json refuses.
        for (text, want) in [
            (r#""\ud800""#, "\u{fffd}"),
            (r#""\udc00""#, "\u{fffd}"),
            (r#""a\ud800b""#, "a\u{fffd}b"),
            (r#""\ud800\u0041""#, "\u{fffd}A"),
            (r#""\udbff\udbff\udfff""#, "\u{fffd}\u{10ffff}"),
            (r#""\udc00\ud800""#, "\u{fffd}\u{fffd}"),
            (r#""\ud83d\ude00\ude00""#, "😀\u{fffd}"),
            (r#""\ud800\n""#, "\u{fffd}\n"),
        ] {
            assert_eq!(parse(text).unwrap(), json!(want), "{text}");
        }
        // In a key and in a record with other members, which parse as before.
        let mut dom = Dom::new();
        let text =
            br#"{"eventName":"StopLogging","userAgent":"x\ud800y","k\udfff":1,"z":[1,"\udc00"]}"#;
        let root = dom.parse(text).unwrap();
        assert_eq!(root.get("eventName").unwrap().as_str(), Some("StopLogging"));
        assert_eq!(root.get("userAgent").unwrap().as_str(), Some("x\u{fffd}y"));
        assert_eq!(root.get("k\u{fffd}").unwrap().as_number_text(), Some("1"));
        assert_eq!(
            root.get("z").unwrap().at(1).unwrap().as_str(),
            Some("\u{fffd}")
        );
        // Cut inside a pair or just after a leading surrogate: the input ended early, as before.
        for cut in [r#""\ud800"#, r#""\ud800\"#, r#""\ud800\ud"#] {
            assert_eq!(
                dom.parse(cut.as_bytes()).unwrap_err().offset,
                cut.len(),
                "{cut}"
            );
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_read_as_the_replacement_character() {
        let mut dom = Dom::new();
        let text =
            b"{\"eventName\":\"StopLogging\",\"userAgent\":\"a\xffb\xc3\",\"e\":\"\\n\xe2\x82\"}";
        let root = dom.parse(text).unwrap();
        assert_eq!(root.get("eventName").unwrap().as_str(), Some("StopLogging"));
        assert_eq!(
            root.get("userAgent").unwrap().as_str(),
            Some("a\u{fffd}b\u{fffd}")
        );
        assert_eq!(root.get("e").unwrap().as_str(), Some("\n\u{fffd}"));
        assert_eq!(
            root.document_text(),
            String::from_utf8_lossy(text),
            "the text is the lossy copy"
        );
        // In a key, and through `Parsed`.
        let parsed = Parsed::new(b"{\"k\x80\":true}").unwrap();
        assert_eq!(
            parsed.root().get("k\u{fffd}").unwrap().as_bool(),
            Some(true)
        );
        // The next record is read from its own text again.
        let root = dom.parse(br#"{"a":"b"}"#).unwrap();
        assert_eq!(root.document_text(), r#"{"a":"b"}"#);
        assert_eq!(root.get("a").unwrap().as_str(), Some("b"));
    }

    #[test]
    fn prefix_parse_stops_after_the_value_and_flags_cut_input() {
        let text = br#"{"a":[1,true,null,"x\u00e9\ud83d\ude00y"],"b":-1.5e3} ,{"next":1}"#;
        let end = text.iter().position(|&b| b == b' ').unwrap();
        let mut dom = Dom::new();
        let (root, got) = dom.parse_prefix(text).unwrap();
        assert_eq!(got, end);
        assert_eq!(root.get("b").unwrap().as_number_text(), Some("-1.5e3"));
        // Cut anywhere inside the value: an error at the very end of the input ("incomplete").
        for cut in 0..end {
            let err = dom.parse_prefix(&text[..cut]).unwrap_err();
            assert_eq!(err.offset, cut, "cut at {cut}: {err}");
        }
        // A multi-byte character cut in the middle is also incomplete, not invalid.
        let e = "{\"k\":\"é\"}".as_bytes();
        assert_eq!(dom.parse_prefix(&e[..7]).unwrap_err().offset, 7);
        // A broken value is an error before the end.
        assert!(dom.parse_prefix(b"{\"a\":tx} ").unwrap_err().offset < 9);
    }

    #[test]
    fn depth_is_bounded() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().is_too_deep());
        let hostile = "[".repeat(1_000_000);
        assert_eq!(parse(&hostile).unwrap_err().reason, TOO_DEEP);
        assert!(!parse("[1,]").unwrap_err().is_too_deep());
    }

    /// The work of building the root's index and of looking every key up in it, counted in probes (slots
    /// looked at beyond the first), as the code walks them. `None` when the root has no index.
    fn root_index_probes(dom: &Dom, text: &[u8]) -> Option<(usize, usize)> {
        let slots = &dom.root_slots;
        if slots.is_empty() {
            return None;
        }
        let mask = slots.len() - 1;
        let (mut total, mut longest) = (0, 0);
        for (at, &k) in slots.iter().enumerate() {
            if k == NONE {
                continue;
            }
            let key = dom.key_bytes(k, text);
            // A key found at `at` was probed from its home slot: the build and a lookup both walk that far.
            let probes = at.wrapping_sub(key_hash(key)) & mask;
            total += probes;
            longest = longest.max(probes);
        }
        Some((total, longest))
    }

    /// A root object with `n` members whose keys are `key(i)`.
    fn object_with_keys(n: usize, key: impl Fn(usize) -> String) -> String {
        let mut text = String::from("{");
        for i in 0..n {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!("\"{}\":{i}", key(i)));
        }
        text.push('}');
        text
    }

    #[test]
    fn a_hundred_thousand_keys_sharing_a_long_prefix_are_walked_not_indexed() {
        // 100,000 keys of one length sharing their first 64 bytes. Hashing only the first eight bytes and the
        // length put them all in one run of slots: key i probed i slots, 5e9 probes in all. Past
        // `ROOT_INDEX_MAX` members there is no index: each lookup walks the members once.
        let n = 100_000;
        let long = "p".repeat(64);
        let key = |i: usize| format!("{long}{i:06}");
        let text = object_with_keys(n, key);
        let mut dom = Dom::new();
        dom.parse(text.as_bytes()).unwrap();
        assert_eq!(root_index_probes(&dom, text.as_bytes()), None);
        let root = dom.parse(text.as_bytes()).unwrap();
        assert_eq!(
            root.get(&key(54321)).unwrap().as_number_text(),
            Some("54321")
        );
        assert!(root.get(&key(n)).is_none());
    }

    #[test]
    fn keys_sharing_a_prefix_spread_over_the_root_index() {
        // The most keys that get an index, in families that share most of their bytes: a few probes per key at
        // most (0.1 to 2.4 with this hash; a hash of the head alone put each family in one run of slots:
        // n * (n - 1) / 2 = 32,640 probes).
        let n = ROOT_INDEX_MAX as usize;
        let long = "p".repeat(64);
        type Family<'a> = (&'a str, Box<dyn Fn(usize) -> String + 'a>);
        let families: [Family; 5] = [
            ("64-byte prefix", Box::new(|i| format!("{long}{i:06}"))),
            ("8-byte prefix", Box::new(|i| format!("userName{i:06}"))),
            ("hex suffix", Box::new(|i| format!("sharedprefix-{i:05x}"))),
            (
                "shared suffix",
                Box::new(|i| format!("{i:06}-sharedsuffix")),
            ),
            ("short", Box::new(|i| format!("k{i}"))),
        ];
        let mut dom = Dom::new();
        for (family, key) in &families {
            let text = object_with_keys(n, key);
            dom.parse(text.as_bytes()).unwrap();
            let (total, _) = root_index_probes(&dom, text.as_bytes())
                .unwrap_or_else(|| panic!("{family}: no index"));
            assert!(total <= 4 * n, "{family}: {total} probes for {n} keys");
            let root = dom.parse(text.as_bytes()).unwrap();
            for i in [0, 1, n / 2, n - 1] {
                let want = i.to_string();
                assert_eq!(
                    root.get(&key(i)).unwrap().as_number_text(),
                    Some(want.as_str()),
                    "{family}"
                );
            }
            assert!(root.get(&key(n)).is_none(), "{family}");
        }
    }

    #[test]
    fn keys_made_to_collide_cost_at_most_the_members_cap() {
        // Keys chosen to share one home slot, whatever the hash: every key probes past all the ones before it,
        // which the members cap bounds; one member more and there is no index at all.
        let n = ROOT_INDEX_MAX as usize;
        let mask = (n * 2).next_power_of_two() - 1;
        let mut keys = Vec::new();
        let mut i = 0u64;
        while keys.len() < n + 1 {
            let key = format!("k{i}");
            if key_hash(key.as_bytes()) & mask == 0 {
                keys.push(key);
            }
            i += 1;
        }
        let mut dom = Dom::new();
        let text = object_with_keys(n, |i| keys[i].clone());
        dom.parse(text.as_bytes()).unwrap();
        assert_eq!(
            root_index_probes(&dom, text.as_bytes()),
            Some((n * (n - 1) / 2, n - 1))
        );
        let root = dom.parse(text.as_bytes()).unwrap();
        let last = (n - 1).to_string();
        assert_eq!(
            root.get(&keys[n - 1]).unwrap().as_number_text(),
            Some(last.as_str())
        );
        let text = object_with_keys(n + 1, |i| keys[i].clone());
        let root = dom.parse(text.as_bytes()).unwrap();
        let last = n.to_string();
        assert_eq!(
            root.get(&keys[n]).unwrap().as_number_text(),
            Some(last.as_str())
        );
        assert_eq!(root_index_probes(&dom, text.as_bytes()), None);
    }

    #[test]
    fn key_hash_at_is_key_hash() {
        let source = b"abcdefghijklmnopqrstuvwxyz0123456789";
        for a in 0..source.len() {
            for n in 0..=source.len() - a {
                assert_eq!(
                    key_hash_at(source, a, n),
                    key_hash(&source[a..a + n]),
                    "{a} {n}"
                );
            }
        }
    }

    #[test]
    fn lookups_and_iteration() {
        let mut dom = Dom::new();
        let text = br#"{"eventName":"A","userIdentity":{"type":"Root","arn":"x"},"n":12.50,
            "items":[{"userId":"1"},{"group":"all"}],"dup":1,"dup":"last","t":true,"z":null}"#;
        let root = dom.parse(text).unwrap();
        assert_eq!(root.get("eventName").and_then(|n| n.as_str()), Some("A"));
        let identity = root.get("userIdentity").unwrap();
        assert_eq!(identity.get("type").unwrap().as_str(), Some("Root"));
        assert_eq!(identity.len(), 2);
        assert_eq!(root.get("n").unwrap().as_number_text(), Some("12.50"));
        assert_eq!(
            root.get("dup").unwrap().as_str(),
            Some("last"),
            "last duplicate wins"
        );
        assert_eq!(root.get("t").unwrap().as_bool(), Some(true));
        assert!(root.get("z").unwrap().is_null());
        assert!(root.get("missing").is_none());
        assert!(identity.get("type").unwrap().get("x").is_none());
        let items = root.get("items").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(
            items
                .at(1)
                .and_then(|i| i.get("group"))
                .and_then(|g| g.as_str()),
            Some("all")
        );
        assert!(items.at(2).is_none());
        let keys: Vec<&str> = root.members().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "eventName",
                "userIdentity",
                "n",
                "items",
                "dup",
                "dup",
                "t",
                "z"
            ]
        );
        assert_eq!(root.elements().count(), 0);
        assert_eq!(items.members().count(), 0);
        assert_eq!(
            root.to_value()["items"],
            json!([{"userId":"1"},{"group":"all"}])
        );
    }

    #[test]
    fn reuse_across_records_forgets_the_previous_one() {
        let mut dom = Dom::new();
        let first = dom.parse(br#"{"a":"\u0041 escaped"}"#).unwrap().to_value();
        assert_eq!(first, json!({"a": "A escaped"}));
        let second = dom.parse(br#"{"b":"\u0042"}"#).unwrap();
        assert!(second.get("a").is_none());
        assert_eq!(second.get("b").unwrap().as_str(), Some("B"));
    }

    #[test]
    fn short_eq_is_slice_equality() {
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for n in 0..=base.len() {
            let a = &base[..n];
            let copy = a.to_vec();
            assert!(short_eq(a, &copy), "{n}");
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] ^= 1;
                assert!(!short_eq(a, &b), "{n}, byte {i}");
            }
            if n > 0 {
                assert!(!short_eq(a, &a[..n - 1]), "{n}");
            }
        }
    }

    #[test]
    fn knows_whether_the_text_is_already_compact() {
        let mut dom = Dom::new();
        assert!(dom
            .parse(br#"{"a":"x y","b":[1,{"c":null}]}"#)
            .unwrap()
            .document_is_compact());
        for spaced in [
            &br#" {"a":1}"#[..],
            br#"{"a":1} "#,
            br#"{ "a":1}"#,
            br#"{"a" :1}"#,
            br#"{"a": 1}"#,
            br#"{"a":1 }"#,
            br#"{"a":[1, 2]}"#,
            b"[\n]",
        ] {
            let text = String::from_utf8_lossy(spaced).into_owned();
            assert!(!dom.parse(spaced).unwrap().document_is_compact(), "{text}");
        }
        // The flag belongs to the last parse.
        assert!(dom.parse(b"[1]").unwrap().document_is_compact());
    }
}
