//! `trailwarden rules test PATTERN PATH…`: a filter pattern evaluated on every record of log files, so users
//! can paste their CloudWatch metric-filter patterns and see what they match.

use crate::cli::TestArgs;
use crate::commands::inputs;
use crate::exit;
use crate::output::{Format, JsonArray};
use crate::parallel_read::{self, Progress};
use crate::records::{self, ReadCounts};
use crate::source::Sources;
use anyhow::{anyhow, Context};
use comfy_table::{presets, ContentArrangement, Table};
use rules::{ParseError, Pattern};
use serde::Serialize;
use serde_json::Value;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: TestArgs) -> anyhow::Result<ExitCode> {
    let pattern = Pattern::parse(&args.pattern).map_err(|e| pattern_error(&args.pattern, &e))?;
    let sources = inputs::sources(&args.input)?;
    let format = args.format.unwrap_or_else(Format::for_stdout);
    let stdout = io::stdout().lock();
    let mut out: Box<dyn RecordWriter> = match format {
        Format::Jsonl => Box::new(JsonLines(io::BufWriter::new(stdout))),
        Format::Json => Box::new(JsonArray::new(stdout)),
        Format::Table => Box::new(TableWriter {
            out: stdout,
            rows: Vec::new(),
            explain: args.explain,
        }),
    };
    let mut counts = Counts::default();
    let progress = Progress::new();
    let written = test_all(
        &sources,
        &pattern,
        args.explain,
        out.as_mut(),
        &mut counts,
        &progress,
    );
    progress.finish();
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e).context("writing records to stdout failed"),
    }
    counts.print();
    Ok(if counts.read.failed > 0 {
        ExitCode::from(exit::ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every input, in parallel, printed in input order; problems with inputs are reported on stderr and
/// counted, only a failure to write is returned.
fn test_all(
    sources: &Sources,
    pattern: &Pattern,
    explain: bool,
    out: &mut dyn RecordWriter,
    counts: &mut Counts,
    progress: &Progress,
) -> io::Result<()> {
    let (window, s3) = (sources.window, sources.s3());
    parallel_read::run(
        parallel_read::counted(sources.discovery(), progress),
        sources.jobs,
        |file| {
            records::read::<Value, _>(file, s3, window, |index, value| {
                let is_match = pattern.matches(&value);
                (is_match || explain).then(|| {
                    let field = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
                    let terms = explain.then(|| {
                        pattern
                            .explain(&value)
                            .into_iter()
                            .map(|t| Term {
                                term: t.term,
                                matched: t.matched,
                            })
                            .collect()
                    });
                    (
                        is_match,
                        Record {
                            file: String::new(),
                            index,
                            event_id: field("eventID"),
                            event_name: field("eventName"),
                            event_time: field("eventTime"),
                            matched: explain.then_some(is_match),
                            terms,
                        },
                    )
                })
            })
        },
        |item| {
            let matched = &mut counts.matched;
            counts.read.tally(item, progress, |name, kept| {
                for (is_match, mut record) in kept {
                    if is_match {
                        *matched += 1;
                    }
                    record.file = name.to_owned();
                    out.write(record)?;
                }
                out.flush()
            })?;
            progress.done(|| format!("{} matched", counts.matched));
            Ok::<(), io::Error>(())
        },
    )?;
    // The bar goes before a table is printed, so clearing it cannot erase the table's last lines.
    progress.finish();
    out.finish()
}

/// The parse error with the pattern line it is on and a caret under the offending character:
///
/// ```text
/// invalid filter pattern: unexpected `}` at 8: expected a value after `=` (hint: …)
///   { $.a = }
///           ^
/// ```
fn pattern_error(pattern: &str, e: &ParseError) -> anyhow::Error {
    let mut pos = e.position.min(pattern.len());
    while !pattern.is_char_boundary(pos) {
        pos -= 1;
    }
    let (before, after) = pattern.split_at(pos);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = after.find('\n').map_or(pattern.len(), |i| pos + i);
    let line = pattern[line_start..line_end].trim_end_matches('\r');
    // Keep tabs so the caret lines up under them.
    let pad: String = pattern[line_start..pos]
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    anyhow!("invalid filter pattern: {e}\n  {line}\n  {pad}^")
}

/// What `rules test` prints for a record.
#[derive(Debug, Serialize)]
struct Record {
    /// The log file, as given on the command line or found in a directory, or `s3://bucket/key`.
    file: String,
    /// Position in the file's `Records` array.
    index: usize,
    event_id: Option<String>,
    event_name: Option<String>,
    event_time: Option<String>,
    /// With `--explain` only: whether the pattern matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    matched: Option<bool>,
    /// With `--explain` only: each term of the pattern, in source order, and whether it held.
    #[serde(skip_serializing_if = "Option::is_none")]
    terms: Option<Vec<Term>>,
}

#[derive(Debug, Serialize)]
struct Term {
    term: String,
    matched: bool,
}

/// Counters of a run, printed on stderr at the end.
#[derive(Debug, Default)]
struct Counts {
    matched: u64,
    read: ReadCounts,
}

impl Counts {
    /// The counters on stderr, after a warning when no log file was found.
    #[allow(
        clippy::print_stderr,
        reason = "the counters go to stderr, apart from the records on stdout"
    )]
    fn print(&self) {
        if self.read.files == 0 && self.read.failed == 0 {
            eprintln!("warning: no log files (.json.gz or .json) found in the given paths");
        }
        eprintln!("{self}");
    }
}

/// `matched 3 of 8 records in 1 file`, then the problems, if any.
impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.read;
        let plural =
            |n: u64, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        write!(
            f,
            "matched {} of {} {} in {} {}",
            self.matched,
            r.records,
            plural(r.records, "record", "records"),
            r.files,
            plural(r.files, "file", "files")
        )?;
        for (n, one, many) in [
            (r.malformed, "malformed record", "malformed records"),
            (
                r.outside,
                "record outside the window",
                "records outside the window",
            ),
            (r.skipped, "file skipped", "files skipped"),
            (r.failed, "file failed", "files failed"),
        ] {
            if n > 0 {
                write!(f, "; {n} {}", plural(n, one, many))?;
            }
        }
        Ok(())
    }
}

/// Where printed records go.
trait RecordWriter {
    fn write(&mut self, record: Record) -> io::Result<()>;
    /// After each file, so JSON Lines reach a pipe file by file.
    fn flush(&mut self) -> io::Result<()>;
    /// Once, after the last file.
    fn finish(&mut self) -> io::Result<()>;
}

struct JsonLines<W: Write>(io::BufWriter<W>);

impl<W: Write> RecordWriter for JsonArray<W> {
    fn write(&mut self, record: Record) -> io::Result<()> {
        self.push(&record)
    }
    fn flush(&mut self) -> io::Result<()> {
        JsonArray::flush(self)
    }
    fn finish(&mut self) -> io::Result<()> {
        JsonArray::finish(self)
    }
}

impl<W: Write> RecordWriter for JsonLines<W> {
    fn write(&mut self, record: Record) -> io::Result<()> {
        serde_json::to_writer(&mut self.0, &record)?;
        self.0.write_all(b"\n")
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

struct TableWriter<W: Write> {
    out: W,
    rows: Vec<Record>,
    explain: bool,
}

impl<W: Write> RecordWriter for TableWriter<W> {
    fn write(&mut self, record: Record) -> io::Result<()> {
        self.rows.push(record);
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            writeln!(self.out, "no matching records")?;
            return self.out.flush();
        }
        let mut header = vec!["file", "index", "event id", "event name", "event time"];
        if self.explain {
            header.extend(["matched", "terms"]);
        }
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(header);
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
        for r in self.rows.drain(..) {
            // The file name only: full paths into an `AWSLogs/` tree would take the whole width.
            let file = Path::new(&r.file)
                .file_name()
                .map_or_else(|| r.file.clone(), |n| n.to_string_lossy().into_owned());
            let mut cells = vec![
                file,
                r.index.to_string(),
                or_dash(r.event_id),
                or_dash(r.event_name),
                or_dash(r.event_time),
            ];
            if self.explain {
                cells.push(if r.matched == Some(true) { "yes" } else { "no" }.to_owned());
                let terms: Vec<String> = r
                    .terms
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| format!("{} {}", if t.matched { "✓" } else { "✗" }, t.term))
                    .collect();
                cells.push(terms.join("\n"));
            }
            table.add_row(cells);
        }
        writeln!(self.out, "{table}")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_text(pattern: &str) -> String {
        let e = Pattern::parse(pattern).unwrap_err();
        pattern_error(pattern, &e).to_string()
    }

    #[test]
    fn caret_points_at_the_error() {
        let text = error_text("{ $.a = }");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("invalid filter pattern: "), "{text}");
        assert!(lines[0].contains("hint: "), "{text}");
        assert_eq!(lines[1], "  { $.a = }");
        assert_eq!(lines[2], "          ^");
    }

    #[test]
    fn caret_on_the_right_line_of_a_multi_line_pattern() {
        let text = error_text("{\n\t($.a = 1) &&\n\t($.b = )\n}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "  \t($.b = )");
        assert_eq!(lines[2], "  \t       ^");
    }

    #[test]
    fn caret_at_the_end() {
        let text = error_text("{ $.a = \"é");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "  { $.a = \"é");
        assert!(lines[2].ends_with('^'), "{text}");
    }

    #[test]
    fn counts_read_naturally() {
        let mut c = Counts {
            matched: 1,
            read: ReadCounts {
                records: 1,
                files: 1,
                ..ReadCounts::default()
            },
        };
        assert_eq!(c.to_string(), "matched 1 of 1 record in 1 file");
        c.read.records = 8;
        c.read.files = 2;
        c.read.failed = 1;
        c.read.malformed = 2;
        assert_eq!(
            c.to_string(),
            "matched 1 of 8 records in 2 files; 2 malformed records; 1 file failed"
        );
    }
}
