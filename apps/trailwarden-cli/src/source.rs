//! Where log files come from: PATH arguments that are local files and directories or `s3://bucket/prefix`
//! URLs, turned into one ordered stream of [`Found`] items, and opened for reading.

use crate::cli::InputArgs;
use crate::inputs::{self, Input, Inputs, OpenError, Skip};
use crate::s3::S3;
use crate::window::{key_date, DatePosition, Window};
use cloudtrail::LogReader;
use std::ffi::OsString;
use std::fmt;
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
    /// Parses a PATH argument (for clap): `s3://…` is an S3 location, anything else a local path.
    pub fn parse(arg: OsString) -> Result<Location, String> {
        let Some(url) = arg.to_str().and_then(|s| s.strip_prefix("s3://")) else {
            return Ok(Location::Local(PathBuf::from(arg)));
        };
        let (bucket, prefix) = url.split_once('/').unwrap_or((url, ""));
        if bucket.is_empty() {
            return Err("an S3 location needs a bucket: s3://BUCKET/PREFIX".to_owned());
        }
        Ok(Location::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
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

    /// Opens the file for reading record by record (S3 objects through `s3`, required for them).
    pub fn open(&self, s3: Option<&S3>) -> Result<LogReader<'static>, OpenError> {
        match self {
            LogFile::Local(path) => inputs::open_log(path),
            LogFile::S3 { bucket, key } => match s3 {
                Some(s3) => s3.open(bucket, key),
                None => Err(OpenError::Fetch("no S3 access configured".to_owned())),
            },
        }
    }
}

/// The inputs of a run, ready to read: the locations, the time window, S3 access when a location needs it,
/// and the number of files read at once.
pub struct Sources {
    pub locations: Vec<Location>,
    pub window: Window,
    pub jobs: usize,
    s3: Option<S3>,
}

impl Sources {
    /// Checks the window and, when a location is in S3, loads the AWS configuration.
    pub fn new(args: &InputArgs) -> anyhow::Result<Sources> {
        let window = Window::new(args.since, args.until)?;
        let any_s3 = args.paths.iter().any(Location::is_s3);
        let s3 = if any_s3 {
            Some(S3::connect(args.aws_profile.as_deref())?)
        } else {
            None
        };
        Ok(Sources {
            locations: args.paths.clone(),
            window,
            jobs: crate::pipeline::jobs(args.jobs.map(usize::from), any_s3),
            s3,
        })
    }

    /// The S3 access, when a location is in S3.
    pub fn s3(&self) -> Option<&S3> {
        self.s3.as_ref()
    }

    /// Every item of the inputs, in order.
    pub fn discovery(&self) -> Discovery<'_> {
        Discovery::new(&self.locations, self.s3.as_ref(), self.window)
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

/// Every [`Found`] item of the PATH arguments, lazily: directories are walked and S3 prefixes listed as the
/// items are consumed. Files whose key date is outside the window (with a day of margin) are left out, except
/// files named on the command line.
pub struct Discovery<'a> {
    locations: std::slice::Iter<'a, Location>,
    local: Inputs,
    listing: Option<Box<dyn Iterator<Item = Found> + Send + 'a>>,
    s3: Option<&'a S3>,
    window: Window,
}

impl<'a> Discovery<'a> {
    pub fn new(locations: &'a [Location], s3: Option<&'a S3>, window: Window) -> Self {
        Discovery {
            locations: locations.iter(),
            local: Inputs::new(&[]),
            listing: None,
            s3,
            window,
        }
    }

    /// Whether a file found in a directory is pruned by the date in its path.
    fn pruned(&self, path: &std::path::Path) -> bool {
        if !self.window.is_set() {
            return false;
        }
        let key = path
            .to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "/");
        key_date(&key).is_some_and(|(_, day)| self.window.position(day) != DatePosition::Inside)
    }
}

impl Iterator for Discovery<'_> {
    type Item = Found;

    fn next(&mut self) -> Option<Found> {
        loop {
            if let Some(listing) = &mut self.listing {
                match listing.next() {
                    Some(found) => return Some(found),
                    None => self.listing = None,
                }
            }
            if let Some(input) = self.local.next() {
                match input {
                    Input::File { path, named } => {
                        if named || !self.pruned(&path) {
                            return Some(Found::File(LogFile::Local(path)));
                        }
                    }
                    Input::Skipped { path, reason } => {
                        if !self.pruned(&path) {
                            return Some(Found::Skipped(reason));
                        }
                    }
                    Input::Error { path, error } => {
                        return Some(Found::Failed {
                            name: path.display().to_string(),
                            error: error.to_string(),
                        })
                    }
                }
                continue;
            }
            match self.locations.next()? {
                Location::Local(path) => self.local.push(path.clone()),
                location @ Location::S3 { bucket, prefix } => match self.s3 {
                    Some(s3) => self.listing = Some(Box::new(s3.list(bucket, prefix, self.window))),
                    None => {
                        return Some(Found::Failed {
                            name: location.to_string(),
                            error: "no S3 access configured".to_owned(),
                        })
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::Bound;

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

    #[test]
    fn local_files_are_pruned_by_key_date_unless_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let day = |d: &str| {
            let p = root.join(format!(
                "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/{d}/f{d}.json.gz"
            ));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, b"{}").unwrap();
            p
        };
        let old = day("01");
        day("09");
        day("10");
        let window = Window::new(Some(Bound::parse("2024-01-10").unwrap()), None).unwrap();
        let locations = [Location::Local(root.to_path_buf()), Location::Local(old)];
        let names: Vec<String> = Discovery::new(&locations, None, window)
            .map(|f| match f {
                Found::File(f) => f.short_name(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["f09.json.gz", "f10.json.gz", "f01.json.gz"]);
    }

    #[test]
    fn s3_without_access_is_a_failure() {
        let locations = [Location::S3 {
            bucket: "b".into(),
            prefix: String::new(),
        }];
        let found: Vec<Found> = Discovery::new(&locations, None, Window::default()).collect();
        assert!(matches!(&found[..], [Found::Failed { name, .. }] if name == "s3://b/"));
    }
}
