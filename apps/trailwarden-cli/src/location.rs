//! The vocabulary of inputs, shared by everything that finds or reads log files: a PATH argument
//! ([`Location`]), a log file to read ([`LogFile`]), one item of the inputs ([`Found`]), why a file is not read
//! ([`Skip`]) and why one could not be opened ([`OpenError`]).
//!
//! A leaf: it uses no other module of the CLI, so the local walk, the S3 listing, the source that combines
//! them and the parallel reading of files (`parallel_read`) all depend on it and not on one another.

use cloudtrail::{ReadError, S3Uri, S3UriError, SkipReason};
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// A PATH argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local file or directory.
    Local(PathBuf),
    /// `s3://bucket/prefix`: every object under the prefix (the prefix may be empty, or a whole key).
    S3 { bucket: String, prefix: String },
}

impl Location {
    /// Parses a PATH argument (for clap): `s3://…` is an S3 location ([`S3Uri`]), anything else a local path.
    pub fn parse(arg: OsString) -> Result<Location, String> {
        let Some(text) = arg.to_str() else {
            return Ok(Location::Local(PathBuf::from(arg)));
        };
        match S3Uri::parse(text) {
            Ok(S3Uri { bucket, key }) => Ok(Location::S3 {
                bucket,
                prefix: key,
            }),
            Err(S3UriError::NotS3(_)) => Ok(Location::Local(PathBuf::from(arg))),
            Err(S3UriError::NoBucket(_)) => {
                Err("an S3 location needs a bucket: s3://BUCKET/PREFIX".to_owned())
            }
        }
    }

    pub fn is_s3(&self) -> bool {
        matches!(self, Location::S3 { .. })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// A log file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFile {
    Local(PathBuf),
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    S3 {
        bucket: String,
        key: String,
    },
}

impl LogFile {
    /// The full name: the path as given or found, or `s3://bucket/key`.
    pub fn name(&self) -> String {
        match self {
            LogFile::Local(p) => p.to_string_lossy().into_owned(),
            LogFile::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }

    /// The last component of the name, for tables (full paths into an `AWSLogs/` tree take the whole width).
    pub fn short_name(&self) -> String {
        match self {
            LogFile::Local(p) => p
                .file_name()
                .unwrap_or(p.as_os_str())
                .to_string_lossy()
                .into_owned(),
            LogFile::S3 { key, .. } => key.rsplit('/').next().unwrap_or(key).to_owned(),
        }
    }
}

/// One item of the inputs, in argument order.
#[derive(Debug)]
pub enum Found {
    /// A log file to read.
    File(LogFile),
    /// A file or object that is not a log file.
    Skipped(Skip),
    /// A path that could not be examined, or an S3 prefix that could not be listed.
    Failed { name: String, error: String },
}

/// Why a file found in a directory, or an object listed under an S3 prefix, is not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// Under `CloudTrail-Digest/`: integrity digests, not events.
    Digest,
    /// Under `CloudTrail-Insight/`: Insights events, a different record schema.
    Insight,
    /// The name ends in neither `.json.gz` nor `.json`.
    OtherExtension,
    /// A FIFO, socket or device: reading it could block or never end.
    NotRegularFile,
    /// S3 only: a 0-byte object or a key ending in `/` (a console "folder"), as the Lambda skips it.
    EmptyObject,
    /// S3 only: a key that is not in CloudTrail's log-file layout, as the Lambda skips it.
    NotCloudTrail,
}

impl Skip {
    /// Stable snake_case name for the summary (the same names as the Lambda's skip reasons where they
    /// overlap).
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Digest => SkipReason::Digest.as_str(),
            Skip::Insight => SkipReason::Insight.as_str(),
            Skip::OtherExtension => "other_extension",
            Skip::NotRegularFile => "not_regular_file",
            Skip::EmptyObject => SkipReason::EmptyObject.as_str(),
            Skip::NotCloudTrail => SkipReason::NotCloudTrail.as_str(),
        }
    }
}

impl From<SkipReason> for Skip {
    fn from(reason: SkipReason) -> Skip {
        match reason {
            SkipReason::Digest => Skip::Digest,
            SkipReason::Insight => Skip::Insight,
            SkipReason::EmptyObject => Skip::EmptyObject,
            SkipReason::NotCloudTrail => Skip::NotCloudTrail,
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a log file could not be opened for reading.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file cannot be opened.
    #[error("cannot open: {0}")]
    Open(io::Error),
    /// The S3 object cannot be fetched (GetObject failed).
    #[error("cannot get the object: {0}")]
    Fetch(String),
    /// The file is not a readable log file (empty, neither gzip nor JSON, …).
    #[error(transparent)]
    Read(ReadError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locations() {
        assert_eq!(
            Location::parse("s3://bucket/AWSLogs/1/".into()).unwrap(),
            Location::S3 {
                bucket: "bucket".into(),
                prefix: "AWSLogs/1/".into()
            }
        );
        assert_eq!(
            Location::parse("s3://bucket".into()).unwrap(),
            Location::S3 {
                bucket: "bucket".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            Location::parse("logs/a.json.gz".into()).unwrap(),
            Location::Local(PathBuf::from("logs/a.json.gz"))
        );
        assert!(Location::parse("s3:///x".into()).is_err());
        assert_eq!(
            Location::parse("s3://b/p".into()).unwrap().to_string(),
            "s3://b/p"
        );
    }

    #[test]
    fn short_names() {
        let s3 = LogFile::S3 {
            bucket: "b".into(),
            key: "AWSLogs/x/f.json.gz".into(),
        };
        assert_eq!(s3.short_name(), "f.json.gz");
        assert_eq!(s3.name(), "s3://b/AWSLogs/x/f.json.gz");
        assert_eq!(
            LogFile::Local(PathBuf::from("a/b.json")).short_name(),
            "b.json"
        );
    }
}
