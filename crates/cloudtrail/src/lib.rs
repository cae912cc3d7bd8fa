//! CloudTrail log files for trailwarden: the record model, a streaming log-file reader and S3 key handling.
//!
//! Pure and synchronous: no AWS SDK, no async. The Lambda and the CLI both feed bytes into [`LogReader`] and get
//! one record at a time, never the whole decompressed file.

pub mod dom;
pub mod keys;
pub mod model;
pub mod reader;
pub mod recover;
mod string_scan;
pub mod vocab;

pub use dom::{Dom, DomError, Elements, Kind, Members, Node, Parsed};
pub use keys::{
    classify_key, classify_object, decode_s3_key, encode_s3_key, key_date, KeyDate, KeyError,
    KeyKind, LogKey, S3Uri, S3UriError, SkipReason,
};
pub use model::{Record, SessionContext, UserIdentity};
pub use reader::{
    LogReader, ParsedRecord, RawRecord, ReadError, ReaderOptions, RecordError,
    DEFAULT_MAX_RECORD_BYTES,
};
pub use recover::{recover_fields, Recovered};
