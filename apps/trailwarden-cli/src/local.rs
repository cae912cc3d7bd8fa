//! Local inputs: PATH arguments turned into the log files to scan (named files as given, directories walked
//! recursively in sorted order, so output is deterministic, with non-log files skipped and counted), and
//! opening a local log file.
//!
//! The walk is lazy: files are handed out as they are found, so scanning a large `AWSLogs/` tree starts at
//! once and only the listing of the directories being walked is held in memory.

use crate::location::{OpenError, Skip};
use cloudtrail::{classify_key, KeyKind, LogReader, ReaderOptions, SkipReason};
use std::collections::HashSet;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// One item of the walk.
#[derive(Debug)]
pub enum Input {
    /// A file to scan; `named` when it was named on the command line rather than found in a directory.
    File { path: PathBuf, named: bool },
    /// A file found in a directory that is not scanned.
    Skipped { path: PathBuf, reason: Skip },
    /// A path that could not be examined: it does not exist, or a directory cannot be listed.
    Error { path: PathBuf, error: io::Error },
}

struct Pending {
    path: PathBuf,
    /// Named on the command line (always scanned if a file) rather than found in a directory.
    named: bool,
}

/// Iterator over the [`Input`]s for a list of PATH arguments, in argument order.
pub struct Inputs {
    /// Paths still to visit, next one last.
    pending: Vec<Pending>,
    /// Directories already listed (canonical paths): a symlink loop, or a directory named twice, is walked
    /// once.
    visited: HashSet<PathBuf>,
}

impl Inputs {
    pub fn new(paths: &[PathBuf]) -> Inputs {
        Inputs {
            pending: paths
                .iter()
                .rev()
                .map(|path| Pending {
                    path: path.clone(),
                    named: true,
                })
                .collect(),
            visited: HashSet::new(),
        }
    }

    /// Queues one more PATH argument, visited after the ones already queued.
    pub fn push(&mut self, path: PathBuf) {
        self.pending.insert(0, Pending { path, named: true });
    }

    /// Queues a directory's entries, sorted, unless it was already walked.
    fn expand(&mut self, dir: &Path) -> io::Result<()> {
        if !self.visited.insert(fs::canonicalize(dir)?) {
            return Ok(());
        }
        let mut children = fs::read_dir(dir)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<io::Result<Vec<_>>>()?;
        children.sort();
        self.pending.extend(
            children
                .into_iter()
                .rev()
                .map(|path| Pending { path, named: false }),
        );
        Ok(())
    }
}

impl Iterator for Inputs {
    type Item = Input;

    fn next(&mut self) -> Option<Input> {
        while let Some(Pending { path, named }) = self.pending.pop() {
            // `metadata` follows symlinks: a link to a log file is scanned, a link to a directory walked.
            let meta = match fs::metadata(&path) {
                Ok(meta) => meta,
                // A dangling link or a file removed during the walk is only an error if it would have
                // been scanned.
                Err(error) if named || has_log_extension(&path) => {
                    return Some(Input::Error { path, error })
                }
                Err(_) => {
                    return Some(Input::Skipped {
                        path,
                        reason: Skip::OtherExtension,
                    })
                }
            };
            if meta.is_dir() {
                if let Err(error) = self.expand(&path) {
                    return Some(Input::Error { path, error });
                }
                continue;
            }
            if named {
                return Some(Input::File { path, named });
            }
            let skip = if meta.is_file() {
                skip_reason(&path)
            } else {
                Some(Skip::NotRegularFile)
            };
            return Some(match skip {
                None => Input::File { path, named },
                Some(reason) => Input::Skipped { path, reason },
            });
        }
        None
    }
}

/// Opens a log file (.json.gz or .json) for reading record by record.
pub fn open_log(path: &Path, options: ReaderOptions) -> Result<LogReader<'static>, OpenError> {
    let file = File::open(path).map_err(OpenError::Open)?;
    LogReader::new(file, options).map_err(OpenError::Read)
}

fn has_log_extension(path: &Path) -> bool {
    path.file_name()
        .map(|name| name.to_string_lossy())
        .is_some_and(|name| name.ends_with(".json.gz") || name.ends_with(".json"))
}

/// Why a regular file found in a directory is not scanned, if it is not.
///
/// Only digests and Insights files are recognized by their place in the tree (what `classify_key` calls
/// them). Every other `.json.gz` / `.json` file is scanned even if its path is not CloudTrail's layout:
/// exported or renamed log files (like the stratus-red-team corpus) are common, and a file that is not a
/// log file fails loudly rather than being ignored.
fn skip_reason(path: &Path) -> Option<Skip> {
    if !has_log_extension(path) {
        return Some(Skip::OtherExtension);
    }
    // `classify_key` expects S3-style keys with `/` separators.
    let key = path
        .to_string_lossy()
        .replace(std::path::MAIN_SEPARATOR, "/");
    match classify_key(&key) {
        KeyKind::Skip(SkipReason::Digest) => Some(Skip::Digest),
        KeyKind::Skip(SkipReason::Insight) => Some(Skip::Insight),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) -> PathBuf {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"{}").unwrap();
        path
    }

    /// The walk as `scan <relative path>`, `skip <reason>`, `error <relative path>`, for readable assertions.
    fn walk(root: &Path, args: &[PathBuf]) -> Vec<String> {
        Inputs::new(args)
            .map(|input| match input {
                Input::File { path, .. } => format!("scan {}", rel(root, &path)),
                Input::Skipped { reason, .. } => format!("skip {reason}"),
                Input::Error { path, .. } => format!("error {}", rel(root, &path)),
            })
            .collect()
    }

    fn rel(root: &Path, p: &Path) -> String {
        p.strip_prefix(root).unwrap_or(p).display().to_string()
    }

    #[test]
    fn walks_directories_sorted_and_skips_non_logs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let a = "AWSLogs/111122223333";
        touch(
            root,
            &format!("{a}/CloudTrail/us-east-1/2024/01/02/b.json.gz"),
        );
        touch(
            root,
            &format!("{a}/CloudTrail/us-east-1/2024/01/01/a.json.gz"),
        );
        touch(
            root,
            &format!("{a}/CloudTrail-Digest/us-east-1/2024/01/01/d.json.gz"),
        );
        touch(
            root,
            &format!("{a}/CloudTrail-Insight/us-east-1/2024/01/01/i.json.gz"),
        );
        touch(root, "exports/plain.json");
        touch(root, "exports/README.md");
        let named = touch(root, "named.txt");

        let got = walk(root, &[root.to_path_buf(), named]);
        assert_eq!(
            got,
            [
                format!("scan {a}/CloudTrail/us-east-1/2024/01/01/a.json.gz"),
                format!("scan {a}/CloudTrail/us-east-1/2024/01/02/b.json.gz"),
                "skip digest".to_owned(),
                "skip insight".to_owned(),
                "skip other_extension".to_owned(), // exports/README.md
                "scan exports/plain.json".to_owned(),
                "skip other_extension".to_owned(), // named.txt, found in the directory
                // Named explicitly: scanned whatever its name.
                "scan named.txt".to_owned(),
            ]
        );
    }

    #[test]
    fn missing_paths_are_errors_and_the_walk_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let file = touch(root, "x.json");
        let got = walk(root, &[root.join("nope"), file]);
        assert_eq!(got, ["error nope", "scan x.json"]);
    }

    #[test]
    fn a_directory_named_twice_is_walked_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "x.json");
        let got = walk(root, &[root.to_path_buf(), root.join(".")]);
        assert_eq!(got, ["scan x.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_end() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "sub/x.json");
        std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("gone.json"), root.join("sub/dangling.json")).unwrap();
        std::os::unix::fs::symlink(root.join("gone"), root.join("sub/dangling")).unwrap();
        let got = walk(root, &[root.to_path_buf()]);
        assert_eq!(
            got,
            [
                "skip other_extension", // sub/dangling
                "error sub/dangling.json",
                "scan sub/x.json"
            ]
        );
    }
}
