//! Where log files come from: PATH arguments that are local files and directories or `s3://bucket/prefix`
//! URLs, turned into one ordered stream of [`Found`] items, and opened for reading; and how many are read at
//! once.

use crate::local::{self, Input, Inputs};
use crate::location::{Found, Location, LogFile, OpenError};
use crate::s3::S3;
use crate::window::{DatePosition, Window};
use cloudtrail::{key_date, LogReader, ReaderOptions};

/// Opens a log file for reading record by record (S3 objects through `s3`, required for them), with the
/// reader's default options.
pub fn open(file: &LogFile, s3: Option<&S3>) -> Result<LogReader<'static>, OpenError> {
    open_with(file, s3, ReaderOptions::default())
}

/// [`open`] with reader `options` (e.g. `scan --max-record-bytes`).
pub fn open_with(
    file: &LogFile,
    s3: Option<&S3>,
    options: ReaderOptions,
) -> Result<LogReader<'static>, OpenError> {
    match file {
        LogFile::Local(path) => local::open_log(path, options),
        LogFile::S3 { bucket, key } => match s3 {
            Some(s3) => s3.open(bucket, key, options),
            None => Err(OpenError::Fetch("no S3 access configured".to_owned())),
        },
    }
}

/// The number of workers: `--jobs`, else one per core (at least 2); S3 reads wait on the network, so with S3
/// inputs there are at least 8.
pub fn jobs(requested: Option<usize>, s3: bool) -> usize {
    if let Some(n) = requested {
        return n.max(1);
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    if s3 {
        (cores * 2).max(8)
    } else {
        cores.max(2)
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
    /// The inputs `locations` within `window`, read by `jobs` workers (see [`jobs`]); when a location is in
    /// S3, loads the AWS configuration (credentials of the `aws_profile` profile, else the default chain).
    pub fn new(
        locations: Vec<Location>,
        window: Window,
        aws_profile: Option<&str>,
        jobs: Option<usize>,
    ) -> anyhow::Result<Sources> {
        let any_s3 = locations.iter().any(Location::is_s3);
        let s3 = if any_s3 {
            Some(S3::connect(aws_profile)?)
        } else {
            None
        };
        Ok(Sources {
            locations,
            window,
            jobs: self::jobs(jobs, any_s3),
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
        key_date(&key).is_some_and(|k| self.window.position(k.date) != DatePosition::Inside)
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
