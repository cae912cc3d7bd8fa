//! Streaming CloudTrail log-file reader.
//!
//! A log file is one JSON object, `{"Records":[{…},{…},…]}`, usually gzipped (sometimes as several concatenated
//! gzip members). It cannot be framed line by line, and parsing the whole object with serde would hold the
//! decompressed file (tens of MB for busy accounts) in memory. So the reader decompresses as it goes and walks
//! the top-level structure itself: it finds the `Records` array and hands out one element at a time as the
//! exact bytes of that element (kept for the alert), in a buffer it reuses. Memory is bounded by the largest
//! single record, not by the file.
//!
//! What is a file-level error (the whole object is unusable: [`ReadError`]) and what is a record-level one (one
//! element that cannot be evaluated: [`RecordError`], which the caller reports before going on) is decided
//! here: the reader only tracks strings and nesting to find element boundaries, and each element is then
//! parsed on its own, so one malformed record cannot hide the rest of the file.
//!
//! Memory is bounded per record too, whatever the input: a record over [`ReaderOptions::max_record_bytes`] is
//! not buffered but streamed past (its first bytes kept, the fields of [`Recovered`] picked up on the way) and
//! reported as [`RecordError::Oversized`]; the reader goes on with the next record.

use crate::dom::{Dom, DomError, Node, MAX_DEPTH};
use crate::recover::{recover_fields, Recovered, Recoverer};
use flate2::bufread::MultiGzDecoder;
use std::io::{self, BufRead, BufReader, Read};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Buffer for the object's bytes as read (compressed, for a gzip file).
const BUF_CAPACITY: usize = 64 * 1024;

/// Buffer for the decompressed text. Records are parsed in place in it; one cut by its end is copied and
/// parsed from the copy instead (see [`LogReader::next_parsed`]), so a larger buffer means fewer copies:
/// with ~1.4 KB records, 256 KiB leaves about 0.5 % of them on the slower path (64 KiB left 2 %).
pub const DECODED_BUFFER_BYTES: usize = 256 * 1024;

/// The default of [`ReaderOptions::max_record_bytes`]: 1 MiB.
///
/// Real CloudTrail events are a few KB (the bench's generated mix averages 1.4 KB) and CloudTrail bounds them:
/// AWS's "Quotas in AWS CloudTrail" page (userguide/WhatIsCloudTrail-Limits.html, row "Event size") gives
/// "event version 1.05 and newer: total event size limit of 256 KB", and says CloudTrail does not send events
/// over 256 KB to CloudWatch Logs or EventBridge, whose limit that is. Large request parameters and response
/// elements are what CloudTrail cuts or omits to stay within it (an AWS re:Post answer cites about 100 KB for
/// `responseElements`, pointing to the "CloudTrail record contents" page). 1 MiB is four times the documented
/// limit: no real event comes near it, and a record over it is a hostile or broken one.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// How many of an oversized record's first bytes [`RawRecord::bytes`] keeps (fewer under a smaller cap).
pub const OVERSIZED_PREFIX_BYTES: usize = 4 * 1024;

/// Options for [`LogReader`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ReaderOptions {
    /// Maximum number of decompressed bytes to read from one object (a decompression-bomb cap).
    pub max_uncompressed_bytes: Option<u64>,
    /// Maximum size of one record's JSON text; `None` is [`DEFAULT_MAX_RECORD_BYTES`]. A record over it is
    /// skipped without being held in memory and comes out as [`RecordError::Oversized`].
    pub max_record_bytes: Option<usize>,
}

/// Why a whole log file could not be read. Each variant is a distinct, named failure.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Zero bytes: nothing to read.
    #[error("the object is empty (0 bytes)")]
    Empty,
    /// The first bytes are neither the gzip magic number nor the start of a JSON object.
    #[error(
        "not a CloudTrail log file: neither gzip (1f 8b) nor a JSON object (first bytes: {found})"
    )]
    UnrecognizedFormat { found: String },
    /// The gzip stream is corrupt or ends early.
    #[error("gzip stream is corrupt or truncated (after {offset} decompressed bytes): {source}")]
    Decompress {
        offset: u64,
        #[source]
        source: io::Error,
    },
    /// The decompressed bytes are not the expected JSON structure.
    #[error("invalid log-file JSON at decompressed byte {offset}: {reason}")]
    Json { offset: u64, reason: String },
    /// The JSON text ends before the top-level object is closed.
    #[error("log file ends early at decompressed byte {offset}, inside {inside}")]
    Truncated { offset: u64, inside: &'static str },
    /// A JSON object without a `Records` array, e.g. a CloudTrail digest file.
    #[error("the JSON object has no \"Records\" array (a digest file or another kind of JSON?)")]
    MissingRecords,
    /// More decompressed bytes than [`ReaderOptions::max_uncompressed_bytes`].
    #[error("the decompressed object exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// Reading the underlying object failed (network, file system).
    #[error("reading the object failed: {0}")]
    Io(#[source] io::Error),
}

/// One element of the `Records` array: its position and its exact JSON bytes.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    /// 0-based position in the `Records` array.
    pub index: usize,
    /// Decompressed byte offset where the element starts.
    pub offset: u64,
    /// The element's JSON text, byte for byte as in the file (not yet validated). For an oversized record
    /// (see [`RawRecord::oversized`]) only its first bytes, at most [`OVERSIZED_PREFIX_BYTES`].
    pub bytes: &'a [u8],
    /// The element's whole size in bytes when it was over [`ReaderOptions::max_record_bytes`] and skipped.
    pub oversized: Option<u64>,
}

/// A record with its parse (see [`LogReader::next_parsed`]). A parse error is the record's own problem: the
/// reader has still found where it ends and goes on with the next one.
#[derive(Debug)]
pub struct ParsedRecord<'a> {
    /// For an oversized record, `bytes` is its first bytes (at most [`OVERSIZED_PREFIX_BYTES`]).
    pub raw: RawRecord<'a>,
    pub parsed: Result<Node<'a>, RecordError>,
    /// Filled only when `parsed` is `Err` (the fast path pays nothing): top-level fields found by a cheap scan
    /// ([`recover_fields`]; for an oversized record, while streaming past it).
    pub recovered: Option<Recovered>,
}

/// Why one record cannot be evaluated. The file goes on: the next record is read as usual.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RecordError {
    /// The element is not one valid JSON value (structure broken).
    #[error("not valid JSON: {0}")]
    Syntax(DomError),
    /// Nested deeper than [`MAX_DEPTH`](crate::dom::MAX_DEPTH).
    #[error("nested deeper than {limit} levels")]
    TooDeep { limit: usize },
    /// Over [`ReaderOptions::max_record_bytes`]: skipped unread.
    #[error("{bytes} bytes, over the per-record limit of {limit} bytes")]
    Oversized { bytes: u64, limit: usize },
}

impl RecordError {
    /// A stable, machine-readable name: `syntax`, `too_deep` or `oversized`.
    pub fn reason(&self) -> &'static str {
        match self {
            RecordError::Syntax(_) => "syntax",
            RecordError::TooDeep { .. } => "too_deep",
            RecordError::Oversized { .. } => "oversized",
        }
    }
}

impl From<DomError> for RecordError {
    fn from(e: DomError) -> Self {
        if e.is_too_deep() {
            RecordError::TooDeep { limit: MAX_DEPTH }
        } else {
            RecordError::Syntax(e)
        }
    }
}

/// How [`LogReader::scan_value`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scanned {
    /// The whole value is in `buf` (when kept).
    Whole,
    /// Over the cap: `buf` holds its first bytes, [`LogReader::recovered`] what was found on the way.
    Oversized { bytes: u64 },
}

impl RawRecord<'_> {
    /// The element as UTF-8 text, if it is.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.bytes).ok()
    }
}

/// Marks errors coming from the caller's reader, to tell them apart from gzip errors after flate2.
#[derive(Debug)]
struct SourceIo(io::Error);
impl std::fmt::Display for SourceIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
impl std::error::Error for SourceIo {}

struct TagSource<R>(R);
impl<R: Read> Read for TagSource<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), SourceIo(e)))
    }
}

#[derive(Debug)]
struct LimitExceeded;
impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed size limit exceeded")
    }
}
impl std::error::Error for LimitExceeded {}

/// Counts decompressed bytes and enforces the cap.
struct Counted<R> {
    inner: R,
    count: u64,
    limit: Option<u64>,
}
impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if let Some(limit) = self.limit {
            if self.count > limit {
                return Err(io::Error::other(LimitExceeded));
            }
        }
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Keys { first: bool },
    Records { first: bool },
    End,
    Done,
}

/// Reads a CloudTrail log file (gzip or plain JSON) one record at a time.
///
/// ```
/// use cloudtrail::LogReader;
/// let mut r = LogReader::new(&br#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#[..], Default::default()).unwrap();
/// let mut names = Vec::new();
/// while let Some(rec) = r.next_record().unwrap() {
///     names.push(rec.text().unwrap().to_owned());
/// }
/// assert_eq!(names, [r#"{"eventName":"A"}"#, r#"{"eventName":"B"}"#]);
/// ```
pub struct LogReader<'a> {
    input: BufReader<Counted<Box<dyn Read + Send + 'a>>>,
    gzip: bool,
    limit: Option<u64>,
    state: State,
    offset: u64,
    index: usize,
    seen_records: bool,
    buf: Vec<u8>,
    /// Bytes of the last record parsed in place, still in the input buffer until the next call.
    pending: usize,
    /// [`ReaderOptions::max_record_bytes`], resolved.
    max_record: usize,
    /// Size of the last record handed out, when it was oversized.
    last_oversized: Option<u64>,
    /// What the last oversized record's scan found.
    recovered: Option<Recovered>,
}

impl<'a> LogReader<'a> {
    /// Opens a log file, detecting gzip by its magic number.
    pub fn new<R: Read + Send + 'a>(input: R, options: ReaderOptions) -> Result<Self, ReadError> {
        let mut raw = BufReader::with_capacity(BUF_CAPACITY, TagSource(input));
        let head = raw.fill_buf().map_err(classify_io_plain)?;
        if head.is_empty() {
            return Err(ReadError::Empty);
        }
        let gzip = head.starts_with(&GZIP_MAGIC) || (head.len() == 1 && head[0] == GZIP_MAGIC[0]);
        let decoded: Box<dyn Read + Send + 'a> = if gzip {
            Box::new(MultiGzDecoder::new(raw))
        } else {
            Box::new(raw)
        };
        let limit = options.max_uncompressed_bytes;
        let input = BufReader::with_capacity(
            DECODED_BUFFER_BYTES,
            Counted {
                inner: decoded,
                count: 0,
                limit,
            },
        );
        Ok(LogReader {
            input,
            gzip,
            limit,
            state: State::Start,
            offset: 0,
            index: 0,
            seen_records: false,
            buf: Vec::with_capacity(4096),
            pending: 0,
            max_record: options.max_record_bytes.unwrap_or(DEFAULT_MAX_RECORD_BYTES),
            last_oversized: None,
            recovered: None,
        })
    }

    /// Bytes the reader holds in its buffers now: the decompressed-text buffer and the record buffer, which
    /// never grows beyond [`ReaderOptions::max_record_bytes`] (gzip's own fixed state aside). For tests that
    /// check memory stays bounded.
    pub fn buffered_capacity(&self) -> usize {
        self.input.capacity() + self.buf.capacity()
    }

    /// Whether the input was gzip.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// Decompressed bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// The next record, `Ok(None)` at the end of a well-formed file. After an error the reader stays finished.
    /// A record over the cap comes out with [`RawRecord::oversized`] set and only its first bytes.
    pub fn next_record(&mut self) -> Result<Option<RawRecord<'_>>, ReadError> {
        Ok(self.advance(false)?.map(|(index, offset)| RawRecord {
            index,
            offset,
            bytes: &self.buf,
            oversized: self.last_oversized,
        }))
    }

    /// The next record, parsed: [`next_record`](Self::next_record) and [`Dom::parse`] in one pass. A record that
    /// lies whole in the decompression buffer (nearly all of them) is parsed where it is, and the parse itself
    /// finds where it ends: no separate boundary scan, no copy. A record cut by the buffer's end, or one that does
    /// not parse, takes the copying path, so a malformed record still ends at the right place.
    pub fn next_parsed<'r>(
        &'r mut self,
        dom: &'r mut Dom,
    ) -> Result<Option<ParsedRecord<'r>>, ReadError> {
        let Some((index, offset)) = self.advance(true)? else {
            return Ok(None);
        };
        let buffer = self.input.buffer();
        // `end < len`: a value that reaches the buffer's end may go on (a number, or the rest of the record).
        // A record over the cap (only possible with a cap below the buffer's size) takes the copying path,
        // which streams past it.
        let in_place = match dom.parse_bytes(buffer, true) {
            Ok(end) if end < buffer.len() && end <= self.max_record => Some(end),
            _ => None,
        };
        if let Some(end) = in_place {
            self.offset += end as u64;
            self.pending = end;
            let bytes = &self.input.buffer()[..end];
            let raw = RawRecord {
                index,
                offset,
                bytes,
                oversized: None,
            };
            return Ok(Some(match dom.root(bytes) {
                Ok(root) => ParsedRecord {
                    raw,
                    parsed: Ok(root),
                    recovered: None,
                },
                Err(e) => failed(raw, e.into(), None),
            }));
        }
        self.next_copied(dom, index, offset)
    }

    /// [`next_parsed`](Self::next_parsed) for a record that is not whole in the buffer, does not parse, or is
    /// over the cap: copied into `buf` (or streamed past), then parsed from there.
    #[inline(never)]
    fn next_copied<'r>(
        &'r mut self,
        dom: &'r mut Dom,
        index: usize,
        offset: u64,
    ) -> Result<Option<ParsedRecord<'r>>, ReadError> {
        let scanned = match self.scan_value(true) {
            Ok(scanned) => scanned,
            Err(e) => {
                self.state = State::Done;
                return Err(e);
            }
        };
        let mut raw = RawRecord {
            index,
            offset,
            bytes: &self.buf,
            oversized: None,
        };
        Ok(Some(match scanned {
            Scanned::Whole => match dom.parse(raw.bytes) {
                Ok(root) => ParsedRecord {
                    raw,
                    parsed: Ok(root),
                    recovered: None,
                },
                Err(e) => failed(raw, e.into(), None),
            },
            Scanned::Oversized { bytes } => {
                raw.oversized = Some(bytes);
                let error = RecordError::Oversized {
                    bytes,
                    limit: self.max_record,
                };
                failed(raw, error, self.recovered.take())
            }
        }))
    }

    /// Moves to the next record (see [`step`](Self::step)), first consuming the record parsed in place last
    /// time. At the end of the file, or after an error, the reader stays finished.
    fn advance(&mut self, at_record: bool) -> Result<Option<(usize, u64)>, ReadError> {
        if self.pending > 0 {
            self.input.consume(self.pending);
            self.pending = 0;
        }
        let next = self.step(at_record);
        if !matches!(next, Ok(Some(_))) {
            self.state = State::Done;
        }
        next
    }

    /// Advances to the next record. Without `at_record`, the record is copied into `buf`; with it, the reader
    /// stops at the record's first byte (the caller consumes it).
    fn step(&mut self, at_record: bool) -> Result<Option<(usize, u64)>, ReadError> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Start => {
                    self.skip_bom()?;
                    self.skip_ws("the file")?;
                    match self.peek()? {
                        Some(b'{') => {
                            self.bump();
                            self.state = State::Keys { first: true };
                        }
                        Some(_) if !self.gzip => {
                            let head = self.input.buffer();
                            let found = head
                                .iter()
                                .take(8)
                                .map(|b| format!("{b:02x}"))
                                .collect::<Vec<_>>()
                                .join(" ");
                            return Err(ReadError::UnrecognizedFormat { found });
                        }
                        Some(b) => {
                            return Err(self.json_err(format!("expected `{{`, found {}", show(b))))
                        }
                        None => {
                            return Err(ReadError::Truncated {
                                offset: self.offset,
                                inside: "the file",
                            })
                        }
                    }
                }
                State::Keys { first } => {
                    self.skip_ws("the top-level object")?;
                    let b = self.expect_byte("the top-level object")?;
                    let b = match (first, b) {
                        (_, b'}') => {
                            self.state = State::End;
                            continue;
                        }
                        (true, b) => b,
                        (false, b',') => {
                            self.skip_ws("the top-level object")?;
                            self.expect_byte("the top-level object")?
                        }
                        (false, b) => {
                            return Err(
                                self.json_err(format!("expected `,` or `}}`, found {}", show(b)))
                            )
                        }
                    };
                    if b != b'"' {
                        return Err(self.json_err(format!("expected a key, found {}", show(b))));
                    }
                    let is_records = self.read_key_is_records()?;
                    self.skip_ws("the top-level object")?;
                    let b = self.expect_byte("the top-level object")?;
                    if b != b':' {
                        return Err(self.json_err(format!("expected `:`, found {}", show(b))));
                    }
                    self.skip_ws("the top-level object")?;
                    if is_records {
                        let b = self.expect_byte("the Records array")?;
                        if b != b'[' {
                            return Err(self.json_err(format!(
                                "\"Records\" is not an array (found {})",
                                show(b)
                            )));
                        }
                        self.seen_records = true;
                        self.state = State::Records { first: true };
                    } else {
                        self.scan_value(false)?;
                        self.state = State::Keys { first: false };
                    }
                }
                State::Records { first } => {
                    self.skip_ws("the Records array")?;
                    match self.peek()? {
                        None => {
                            return Err(ReadError::Truncated {
                                offset: self.offset,
                                inside: "the Records array",
                            })
                        }
                        Some(b']') => {
                            self.bump();
                            self.state = State::Keys { first: false };
                            continue;
                        }
                        Some(b',') if !first => {
                            self.bump();
                            self.skip_ws("the Records array")?;
                            if self.peek()? == Some(b']') {
                                return Err(
                                    self.json_err("trailing comma in the Records array".into())
                                );
                            }
                        }
                        Some(b) if !first => {
                            return Err(self.json_err(format!(
                                "expected `,` or `]` in the Records array, found {}",
                                show(b)
                            )))
                        }
                        Some(_) => {}
                    }
                    let start = self.offset;
                    self.last_oversized = None;
                    if !at_record {
                        if let Scanned::Oversized { bytes } = self.scan_value(true)? {
                            self.last_oversized = Some(bytes);
                            self.recovered = None;
                        }
                    }
                    let index = self.index;
                    self.index += 1;
                    self.state = State::Records { first: false };
                    return Ok(Some((index, start)));
                }
                State::End => {
                    self.skip_ws_opt()?;
                    if let Some(b) = self.peek()? {
                        return Err(self.json_err(format!(
                            "unexpected data after the top-level object: {}",
                            show(b)
                        )));
                    }
                    if !self.seen_records {
                        return Err(ReadError::MissingRecords);
                    }
                    return Ok(None);
                }
            }
        }
    }

    fn json_err(&self, reason: String) -> ReadError {
        ReadError::Json {
            offset: self.offset,
            reason,
        }
    }

    fn io_err(&self, e: io::Error) -> ReadError {
        let from_source = e.get_ref().is_some_and(|inner| inner.is::<SourceIo>());
        let over_limit = e.get_ref().is_some_and(|inner| inner.is::<LimitExceeded>());
        if over_limit {
            ReadError::TooLarge {
                limit: self.limit.unwrap_or(0),
            }
        } else if from_source {
            classify_io_plain(e)
        } else if self.gzip {
            ReadError::Decompress {
                offset: self.offset,
                source: e,
            }
        } else {
            ReadError::Io(e)
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, ReadError> {
        match self.input.fill_buf() {
            Ok(b) => Ok(b.first().copied()),
            Err(e) => Err(self.io_err(e)),
        }
    }

    fn bump(&mut self) {
        self.input.consume(1);
        self.offset += 1;
    }

    fn expect_byte(&mut self, inside: &'static str) -> Result<u8, ReadError> {
        match self.peek()? {
            Some(b) => {
                self.bump();
                Ok(b)
            }
            None => Err(ReadError::Truncated {
                offset: self.offset,
                inside,
            }),
        }
    }

    fn skip_bom(&mut self) -> Result<(), ReadError> {
        let buf = match self.input.fill_buf() {
            Ok(b) => b,
            Err(e) => return Err(self.io_err(e)),
        };
        if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.input.consume(3);
            self.offset += 3;
        }
        Ok(())
    }

    /// Skips whitespace; the end of input is allowed.
    fn skip_ws_opt(&mut self) -> Result<(), ReadError> {
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) => return Err(self.io_err(e)),
            };
            if buf.is_empty() {
                return Ok(());
            }
            let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let all = n == buf.len();
            self.input.consume(n);
            self.offset += n as u64;
            if !all {
                return Ok(());
            }
        }
    }

    /// Skips whitespace; the end of input here means the file is truncated.
    fn skip_ws(&mut self, inside: &'static str) -> Result<(), ReadError> {
        self.skip_ws_opt()?;
        if self.peek()?.is_none() {
            return Err(ReadError::Truncated {
                offset: self.offset,
                inside,
            });
        }
        Ok(())
    }

    /// Reads a key after its opening quote; true when it is exactly `Records`.
    fn read_key_is_records(&mut self) -> Result<bool, ReadError> {
        self.buf.clear();
        let mut escaped = false;
        loop {
            let b = self.expect_byte("a key")?;
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                return Ok(self.buf == b"Records");
            }
            // Keys longer than this are not `Records`; keep the buffer small.
            if self.buf.len() < 16 {
                self.buf.push(b);
            } else {
                self.buf.push(b'!');
                self.buf.truncate(16);
            }
        }
    }

    /// Consumes one JSON value, copying its bytes into `self.buf` when `keep`. Only strings and nesting are
    /// tracked; the value's own validity is checked later, record by record. A kept value that grows past the
    /// per-record cap is streamed past instead: `buf` keeps its first [`OVERSIZED_PREFIX_BYTES`], a
    /// [`Recoverer`] sees every byte, and the result is [`Scanned::Oversized`] (its finds in `self.recovered`).
    fn scan_value(&mut self, keep: bool) -> Result<Scanned, ReadError> {
        self.buf.clear();
        let start = self.offset;
        let mut skipping: Option<Recoverer> = None;
        let first = match self.peek()? {
            Some(b) => b,
            None => {
                return Err(ReadError::Truncated {
                    offset: self.offset,
                    inside: "a value",
                })
            }
        };
        let scalar = !matches!(first, b'{' | b'[' | b'"');
        let mut depth: usize = 0;
        let mut in_str = false;
        let mut escaped = false;
        let mut started = false;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) => return Err(self.io_err(e)),
            };
            if chunk.is_empty() {
                return Err(ReadError::Truncated {
                    offset: self.offset,
                    inside: if keep { "a record" } else { "a value" },
                });
            }
            let end = if scalar {
                chunk
                    .iter()
                    .position(|&b| matches!(b, b',' | b']' | b'}') || b.is_ascii_whitespace())
            } else {
                scan_compound(chunk, &mut depth, &mut in_str, &mut escaped, &mut started)
            };
            let take = end.unwrap_or(chunk.len());
            if keep {
                let piece = &chunk[..take];
                if let Some(recoverer) = &mut skipping {
                    recoverer.feed(piece);
                } else if self.buf.len() + take <= self.max_record {
                    push_bounded(&mut self.buf, piece, self.max_record);
                } else {
                    // Over the cap: from here on the record is only scanned, never held.
                    let mut recoverer = Recoverer::new();
                    recoverer.feed(&self.buf);
                    recoverer.feed(piece);
                    let keep_first = OVERSIZED_PREFIX_BYTES.min(self.max_record);
                    let prefix = self.buf.len().min(keep_first);
                    if prefix < keep_first {
                        let more = (keep_first - prefix).min(take);
                        push_bounded(&mut self.buf, &piece[..more], self.max_record);
                    } else {
                        self.buf.truncate(prefix);
                    }
                    skipping = Some(recoverer);
                }
            }
            self.input.consume(take);
            self.offset += take as u64;
            if end.is_some() {
                return Ok(match skipping {
                    None => Scanned::Whole,
                    Some(recoverer) => {
                        self.recovered = Some(recoverer.finish());
                        Scanned::Oversized {
                            bytes: self.offset - start,
                        }
                    }
                });
            }
        }
    }
}

/// A record that cannot be evaluated, with the fields a cheap scan finds (`recovered` when the scan already ran
/// while streaming past it).
#[cold]
#[inline(never)]
fn failed<'a>(
    raw: RawRecord<'a>,
    error: RecordError,
    recovered: Option<Recovered>,
) -> ParsedRecord<'a> {
    ParsedRecord {
        recovered: Some(recovered.unwrap_or_else(|| recover_fields(raw.bytes))),
        raw,
        parsed: Err(error),
    }
}

/// Appends `bytes` to `buf`, growing it to at most `cap` bytes of capacity (the caller keeps `buf.len() +
/// bytes.len()` within `cap`; a `Vec`'s own doubling could otherwise overshoot to twice the cap).
fn push_bounded(buf: &mut Vec<u8>, bytes: &[u8], cap: usize) {
    let needed = buf.len() + bytes.len();
    if needed > buf.capacity() {
        let target = (buf.capacity() * 2).min(cap).max(needed);
        buf.reserve_exact(target - buf.len());
    }
    buf.extend_from_slice(bytes);
}

/// Finds the end of a compound value (or a string) in `chunk`, carrying the scan state across chunks: the index
/// one past its closing byte, or `None` if it goes on in the next chunk. Only strings and nesting are tracked.
fn scan_compound(
    chunk: &[u8],
    depth: &mut usize,
    in_str: &mut bool,
    escaped: &mut bool,
    started: &mut bool,
) -> Option<usize> {
    let mut i = 0;
    while i < chunk.len() {
        if *in_str {
            if *escaped {
                *escaped = false;
                i += 1;
                continue;
            }
            // Most of a record is string content: jump to the next quote or backslash.
            i = crate::string_scan::string_stop(chunk, i, false);
            match chunk.get(i) {
                Some(b'\\') => *escaped = true,
                Some(_) => {
                    *in_str = false;
                    if *depth == 0 {
                        return Some(i + 1);
                    }
                }
                None => return None,
            }
            i += 1;
            continue;
        }
        match chunk[i] {
            b'"' => *in_str = true,
            b'{' | b'[' => {
                *depth += 1;
                *started = true;
            }
            b'}' | b']' => {
                *depth = depth.saturating_sub(1);
                if *started && *depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn classify_io_plain(e: io::Error) -> ReadError {
    // Unwrap our marker so callers see the original error.
    if !e.get_ref().is_some_and(|inner| inner.is::<SourceIo>()) {
        return ReadError::Io(e);
    }
    let kind = e.kind();
    match e.into_inner().map(|inner| inner.downcast::<SourceIo>()) {
        Some(Ok(src)) => ReadError::Io(src.0),
        Some(Err(other)) => ReadError::Io(io::Error::new(kind, other)),
        None => ReadError::Io(io::Error::from(kind)),
    }
}

fn show(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}
