//! `trailwarden hunt QUERY [ARG] PATH…`: one of the investigation questions of [`crate::hunts`] over the
//! inputs, as a table or one JSON array.

use super::inputs;
use crate::cli::HuntQuery;
use crate::exit;
use crate::hunt::Report;
use crate::output::{HuntFormat, JsonArray};
use crate::parallel_read::{self, Progress};
use crate::records::{self, ReadCounts};
use crate::ruleset::Config;
use anyhow::Context;
use comfy_table::{presets, ContentArrangement, Table};
use std::io::{self, Write};
use std::process::ExitCode;

pub fn run(args: HuntQuery) -> anyhow::Result<ExitCode> {
    let common = &args.common;
    let config = Config::load(common.config.as_deref())?;
    let query = (args.hunt.start)(&args.matches, &config.rules)?;
    inputs::local(&common.athena, &common.input)?;
    let sources = inputs::sources(&common.input)?;
    let progress = Progress::new();
    let mut tally = query.tally();
    let mut counts = Counts::default();
    let (window, s3) = (sources.window, sources.s3());
    let done: Result<(), std::convert::Infallible> = parallel_read::run(
        parallel_read::counted(sources.discovery(), &progress),
        sources.jobs,
        |file| {
            records::read::<cloudtrail::Record, _>(file, s3, window, |_, r| {
                query.wants(&r).then_some(r)
            })
        },
        |item| {
            counts.read.tally(item, &progress, |_, kept| {
                for r in &kept {
                    tally.add(r);
                }
                Ok::<(), std::convert::Infallible>(())
            })?;
            progress.done(|| format!("{} records", counts.read.records));
            Ok(())
        },
    );
    let Ok(()) = done;
    progress.finish();
    let report = tally.finish();
    counts.rows = report.len();
    let format = common.format.unwrap_or_else(HuntFormat::for_stdout);
    match print(&report, format, &mut io::stdout().lock()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e).context("writing rows to stdout failed"),
    }
    counts.print(window.is_set());
    Ok(if counts.read.failed > 0 {
        ExitCode::from(exit::ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// Counters of a hunt, printed on stderr.
#[derive(Debug, Default)]
struct Counts {
    rows: usize,
    read: ReadCounts,
}

impl Counts {
    /// The counters on stderr, after a warning when no log file was found.
    #[allow(
        clippy::print_stderr,
        reason = "the counters go to stderr, apart from the rows on stdout"
    )]
    fn print(&self, window: bool) {
        if self.read.files == 0 && self.read.failed == 0 {
            eprintln!("warning: no log files (.json.gz or .json) found in the given paths");
        }
        eprintln!("{}", self.line(window));
    }

    /// `12 rows from 331 records in 37 files`, then the other counters when not zero.
    fn line(&self, window: bool) -> String {
        let r = &self.read;
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut s = format!(
            "{} from {} in {}",
            plural(self.rows as u64, "row", "rows"),
            plural(r.records, "record", "records"),
            plural(r.files, "file", "files")
        );
        if window {
            s.push_str(&format!("; {} outside the window", r.outside));
        }
        for (n, one, many) in [
            (r.malformed, "malformed record", "malformed records"),
            (r.skipped, "file skipped", "files skipped"),
            (r.failed, "file failed", "files failed"),
        ] {
            if n > 0 {
                s.push_str("; ");
                s.push_str(&plural(n, one, many));
            }
        }
        s
    }
}

/// The rows on `out` (also the Athena engine's, `commands::athena`).
pub(super) fn print(report: &Report, format: HuntFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        HuntFormat::Json => {
            let mut array = JsonArray::new(&mut *out);
            for row in &report.json {
                array.push(row)?;
            }
            array.finish()
        }
        HuntFormat::Table => {
            if report.cells.is_empty() {
                writeln!(out, "no rows")?;
                return out.flush();
            }
            let mut table = Table::new();
            table
                .load_style(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(report.header.clone());
            for row in &report.cells {
                table.add_row(row.clone());
            }
            writeln!(out, "{table}")?;
            out.flush()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_naturally() {
        let mut c = Counts {
            rows: 1,
            read: ReadCounts {
                records: 1,
                files: 1,
                ..ReadCounts::default()
            },
        };
        assert_eq!(c.line(false), "1 row from 1 record in 1 file");
        c.rows = 0;
        c.read.records = 9;
        c.read.skipped = 2;
        c.read.outside = 3;
        assert_eq!(
            c.line(true),
            "0 rows from 9 records in 1 file; 3 outside the window; 2 files skipped"
        );
    }

    #[test]
    fn empty_reports_print_an_empty_array_or_no_rows() {
        let mut out = Vec::new();
        print(&Report::default(), HuntFormat::Json, &mut out).unwrap();
        assert_eq!(out, b"[]\n");
        let mut out = Vec::new();
        print(&Report::default(), HuntFormat::Table, &mut out).unwrap();
        assert_eq!(out, b"no rows\n");
    }
}
