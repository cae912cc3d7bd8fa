//! Reading one log file record by record for the commands that look at records rather than findings
//! (`hunt`, `rules test`, `rules explain`): each record parsed, checked against the time window, and kept
//! or not by the command.

use crate::location::LogFile;
use crate::parallel_read::{Item, Progress};
use crate::s3::S3;
use crate::source;
use crate::window::Window;
use serde_json::Value;

/// Malformed records reported one by one per file; the rest are only counted.
pub const MALFORMED_WARNINGS: usize = 20;

/// A record type the reader can parse.
pub trait Parse: Sized {
    fn parse(bytes: &[u8]) -> Result<Self, String>;
    fn event_time(&self) -> Option<&str>;
}

/// A record's JSON as a value, read as leniently as `scan` reads it: serde_json first (the fast path), and
/// when it refuses (a lone surrogate escape, invalid UTF-8 inside a string), the reader's own parser, which
/// reads those as U+FFFD. Only what neither accepts is an error.
fn lenient_value(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice::<Value>(bytes).or_else(|strict| {
        cloudtrail::Parsed::new(bytes)
            .map(|parsed| parsed.root().to_value())
            .map_err(|_| strict.to_string())
    })
}

impl Parse for Value {
    fn parse(bytes: &[u8]) -> Result<Value, String> {
        match lenient_value(bytes)? {
            v if v.is_object() => Ok(v),
            _ => Err("the element is not a JSON object".to_owned()),
        }
    }
    fn event_time(&self) -> Option<&str> {
        self.get("eventTime").and_then(Value::as_str)
    }
}

impl Parse for cloudtrail::Record {
    fn parse(bytes: &[u8]) -> Result<cloudtrail::Record, String> {
        serde_json::from_slice(bytes).or_else(|strict| match lenient_value(bytes) {
            Ok(v) => serde_json::from_value(v).map_err(|e| e.to_string()),
            Err(_) => Err(strict.to_string()),
        })
    }
    fn event_time(&self) -> Option<&str> {
        self.event_time.as_deref()
    }
}

/// What reading one file gave.
#[derive(Debug)]
pub struct FileRecords<K> {
    /// Records read (malformed and outside the window included).
    pub records: u64,
    /// Records outside the window.
    pub outside: u64,
    pub malformed: u64,
    /// `malformed record I at decompressed byte O skipped: why`, for the first [`MALFORMED_WARNINGS`].
    pub malformed_samples: Vec<String>,
    /// What the command kept, in record order.
    pub kept: Vec<K>,
    /// Why the file could not be read (to the end); what was kept before the error stays.
    pub error: Option<String>,
}

/// Reads every record of `file`; `keep` sees each well-formed record inside the window, with its index in
/// the `Records` array.
pub fn read<T: Parse, K>(
    file: &LogFile,
    s3: Option<&S3>,
    window: Window,
    mut keep: impl FnMut(usize, T) -> Option<K>,
) -> FileRecords<K> {
    let mut out = FileRecords {
        records: 0,
        outside: 0,
        malformed: 0,
        malformed_samples: Vec::new(),
        kept: Vec::new(),
        error: None,
    };
    let mut reader = match source::open(file, s3) {
        Ok(reader) => reader,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    loop {
        let rec = match reader.next_record() {
            Ok(Some(rec)) => rec,
            Ok(None) => break,
            Err(e) => {
                out.error = Some(e.to_string());
                break;
            }
        };
        out.records += 1;
        let parsed = match rec.oversized {
            // Only the record's first bytes are kept: say why rather than how they fail to parse.
            Some(size) => Err(format!(
                "{size} bytes, over the per-record limit of {} bytes",
                cloudtrail::DEFAULT_MAX_RECORD_BYTES
            )),
            None => T::parse(rec.bytes),
        };
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(why) => {
                out.malformed += 1;
                if out.malformed_samples.len() < MALFORMED_WARNINGS {
                    out.malformed_samples.push(format!(
                        "malformed record {} at decompressed byte {} skipped: {why}",
                        rec.index, rec.offset
                    ));
                }
                continue;
            }
        };
        if !window.contains_event_time(parsed.event_time()) {
            out.outside += 1;
            continue;
        }
        if let Some(k) = keep(rec.index, parsed) {
            out.kept.push(k);
        }
    }
    out
}

/// What the record commands (`hunt`, `rules test`) count over their inputs.
#[derive(Debug, Default)]
pub struct ReadCounts {
    pub records: u64,
    pub outside: u64,
    pub files: u64,
    pub malformed: u64,
    pub skipped: u64,
    pub failed: u64,
}

impl ReadCounts {
    /// Takes one input in order, the same way in every record command: the file's malformed-record warnings,
    /// then `consume` with the file's name and what the command kept, then the counters and the file's error
    /// (printed). Skipped inputs are counted, failed ones printed and counted.
    pub fn tally<K, E>(
        &mut self,
        item: Item<FileRecords<K>>,
        progress: &Progress,
        consume: impl FnOnce(&str, Vec<K>) -> Result<(), E>,
    ) -> Result<(), E> {
        match item {
            Item::File(file, read) => {
                let name = file.name();
                for line in malformed_warnings(&name, &read) {
                    progress.println(line);
                }
                consume(&name, read.kept)?;
                self.records += read.records;
                self.outside += read.outside;
                self.malformed += read.malformed;
                match read.error {
                    None => self.files += 1,
                    Some(e) => {
                        progress.println(format!("error: {name}: {e}"));
                        self.failed += 1;
                    }
                }
            }
            Item::Skipped(_) => self.skipped += 1,
            Item::Failed { name, error } => {
                progress.println(format!("error: {name}: {error}"));
                self.failed += 1;
            }
        }
        Ok(())
    }
}

/// The per-file warnings for malformed records: the samples, then a count of the others.
pub fn malformed_warnings<K>(name: &str, file: &FileRecords<K>) -> Vec<String> {
    let mut lines: Vec<String> = file
        .malformed_samples
        .iter()
        .map(|m| format!("warning: {name}: {m}"))
        .collect();
    let more = file.malformed - file.malformed_samples.len() as u64;
    if more > 0 {
        lines.push(format!(
            "warning: {name}: {more} more malformed records skipped"
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::Bound;

    #[test]
    fn reads_keeps_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(
            &path,
            r#"{"Records":[{"eventTime":"2024-01-01T00:00:00Z","eventName":"A"},"x",
                {"eventTime":"2024-02-01T00:00:00Z","eventName":"B"},{"eventTime":7}]}"#,
        )
        .unwrap();
        let file = LogFile::Local(path);
        let window = Window::new(None, Some(Bound::parse("2024-01-31").unwrap())).unwrap();
        let got = read::<cloudtrail::Record, _>(&file, None, window, |index, r| {
            Some((index, r.event_name))
        });
        assert_eq!(got.kept, [(0, Some("A".to_owned()))]);
        assert_eq!(got.records, 4);
        assert_eq!(got.outside, 1);
        // "x" is not a record, and eventTime 7 does not fit the model.
        assert_eq!(got.malformed, 2);
        assert!(got.error.is_none());
        let lines = malformed_warnings("x.json", &got);
        assert!(lines[0].starts_with("warning: x.json: malformed record 1 at decompressed byte"));

        let values = read::<Value, _>(&file, None, Window::default(), |_, v| Some(v));
        assert_eq!(values.kept.len(), 3);
        assert_eq!(values.malformed, 1);

        // Read as scan reads them: lone surrogates and invalid UTF-8 as U+FFFD; an oversized record is warned.
        let mut text = br#"{"Records":[{"eventName":"A\ud800","eventTime":"2024-01-01T00:00:00Z"},{"eventName":"B"#.to_vec();
        text.extend_from_slice(b"\xff\"},");
        text.extend_from_slice(
            format!(
                r#"{{"eventName":"{}"}}]}}"#,
                "c".repeat(cloudtrail::DEFAULT_MAX_RECORD_BYTES)
            )
            .as_bytes(),
        );
        let lenient = dir.path().join("lenient.json");
        std::fs::write(&lenient, text).unwrap();
        let file = LogFile::Local(lenient);
        let names =
            read::<cloudtrail::Record, _>(&file, None, Window::default(), |_, r| r.event_name);
        assert_eq!(names.kept, ["A\u{FFFD}", "B\u{FFFD}"]);
        assert_eq!(names.malformed, 1);
        assert!(
            names.malformed_samples[0].contains("over the per-record limit"),
            "{:?}",
            names.malformed_samples
        );
        let values = read::<Value, _>(&file, None, Window::default(), |_, v| Some(v));
        assert_eq!(values.kept.len(), 2);
        assert_eq!(values.kept[0]["eventName"], "A\u{FFFD}");

        let missing = read::<Value, ()>(
            &LogFile::Local(dir.path().join("no")),
            None,
            Window::default(),
            |_, _| None,
        );
        assert!(missing.error.unwrap().starts_with("cannot open: "));
    }
}
