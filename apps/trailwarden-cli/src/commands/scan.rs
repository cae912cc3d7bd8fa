//! `trailwarden scan PATH…`: every log file through the rules, findings on stdout, summary on stderr.
//!
//! Files are read by several threads (see [`crate::parallel_read`]); findings are printed in input order, those of the
//! file whose turn it is as they are found (in parts of [`FINDINGS_PER_PART`]), so memory does not grow with a
//! file's findings. Each file goes through [`rules::scan_log_windowed`], the Lambda's own per-file scan (one
//! [`rules::Windows`] for the whole command, so threshold rules count across files); a
//! `--since`/`--until` window only decides which records are evaluated.

use super::inputs;
use crate::cli::ScanArgs;
use crate::exit;
use crate::location::LogFile;
use crate::output::{self, FindingWriter, Format};
use crate::parallel_read::{self, Item, Progress, Streamed};
use crate::ruleset::{self, Config};
use crate::s3::S3;
use crate::source::{self, Sources};
use crate::summary::Summary;
use crate::window::Window;
use anyhow::Context;
use cloudtrail::ReaderOptions;
use rules::{scan_log_windowed, Engine, Finding, ScanError, ScanStats, Windows};
use std::convert::Infallible;
use std::io;
use std::process::ExitCode;

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(args.selection.config.as_deref())?;
    let flag = args.selection.profile;
    let today = rules::today_utc();
    let engine = config.engine(flag, &today)?;
    let engine = ruleset::narrow(engine, &args.rules, &config, config.profile(flag))?;
    warn_expired(&engine, &today);
    inputs::local(&args.athena, &args.input)?;
    let sources = inputs::sources(&args.input)?;
    let format = args.format.unwrap_or_else(Format::for_stdout);
    let mut out = output::writer(format, io::stdout().lock());
    let mut summary = Summary::new(&engine);
    let progress = Progress::new();

    let options = ReaderOptions {
        max_record_bytes: args
            .max_record_bytes
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        ..ReaderOptions::default()
    };
    let scanned = scan_all(
        &sources,
        options,
        &engine,
        out.as_mut(),
        &mut summary,
        &progress,
    );
    progress.finish();
    match scanned {
        Ok(()) => {}
        // The reader of our output went away (`trailwarden scan … | head`): it has what it wanted, so stop
        // quietly, like other command-line tools do when SIGPIPE ends them.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e).context("writing findings to stdout failed"),
    }

    print_summary(&summary);
    Ok(if summary.failed > 0 {
        ExitCode::from(exit::ERROR)
    } else if args.fail_on_findings && summary.total_findings() > 0 {
        ExitCode::from(exit::FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// The summary on stderr, after a warning when no log file was found.
#[allow(
    clippy::print_stderr,
    reason = "the summary goes to stderr, apart from the findings on stdout"
)]
fn print_summary(summary: &Summary) {
    if summary.files_scanned == 0 && summary.failed == 0 {
        eprintln!("warning: no log files (.json.gz or .json) found in the given paths");
    }
    eprint!("{summary}");
}

/// One warning per exclusion whose expiry date has passed: it no longer suppresses anything newer.
#[allow(clippy::print_stderr, reason = "warnings go to stderr")]
fn warn_expired(engine: &Engine, today: &str) {
    for x in engine.expired_exclusions(today) {
        eprintln!(
            "warning: exclusion {} expired on {} and no longer applies to later events",
            x.id,
            x.expires.as_deref().unwrap_or("?")
        );
    }
}

/// While a file is read, its findings are passed on in parts of this many.
const FINDINGS_PER_PART: usize = 256;

/// What reading one file gave (besides the parts already passed on).
struct FileScan {
    /// The findings after the last part.
    findings: Vec<Finding>,
    /// Counters, when the file was read to the end.
    stats: Option<ScanStats>,
    /// Records outside the window.
    outside: u64,
    /// Why the file could not be read (to the end).
    error: Option<String>,
}

/// Reads every input and prints the findings in input order. Problems with inputs are reported on stderr
/// and counted; only a failure to write findings is returned.
fn scan_all(
    sources: &Sources,
    options: ReaderOptions,
    engine: &Engine,
    out: &mut dyn FindingWriter,
    summary: &mut Summary,
    progress: &Progress,
) -> io::Result<()> {
    let window = sources.window;
    let s3 = sources.s3();
    // The threshold rules' windows span every file of the command (files are time-ordered; the windows slide
    // over event times, so files read in parallel still count together).
    let windows = Windows::new();
    // Findings of the current file printed in parts so far (for the "printed before the error" note).
    let mut printed_in_parts = 0usize;
    let mut print = |file: &LogFile, findings: Vec<Finding>, summary: &mut Summary| {
        for finding in findings {
            summary.add_finding(&finding.rule_id);
            out.write(file, finding)?;
        }
        out.flush()
    };
    parallel_read::run_streaming(
        parallel_read::counted(sources.discovery(), progress),
        sources.jobs,
        |file, emit| scan_file(file, s3, options, engine, &windows, window, emit),
        |streamed| {
            let item = match streamed {
                Streamed::Part(file, findings) => {
                    printed_in_parts += findings.len();
                    return print(&file, findings, summary);
                }
                Streamed::Item(item) => item,
            };
            match item {
                Item::File(file, scan) => {
                    let name = file.name();
                    let printed = printed_in_parts + scan.findings.len();
                    printed_in_parts = 0;
                    print(&file, scan.findings, summary)?;
                    if window.is_set() {
                        summary.add_outside_window(scan.outside);
                    }
                    if let Some(stats) = &scan.stats {
                        report_unevaluated(progress, &name, stats);
                        summary.add_file(stats);
                    }
                    if let Some(error) = scan.error {
                        report_failure(progress, &name, &error, printed);
                        summary.add_failed();
                    }
                }
                Item::Skipped(reason) => summary.add_skipped(reason),
                Item::Failed { name, error } => {
                    progress.println(format!("error: {name}: {error}"));
                    summary.add_failed();
                }
            }
            progress.done(|| {
                format!(
                    "{} records, {} findings",
                    summary.records,
                    summary.total_findings()
                )
            });
            Ok::<(), io::Error>(())
        },
    )?;
    // The bar goes before a table is printed, so clearing it cannot erase the table's last lines.
    progress.finish();
    out.finish()
}

/// Reads one file through the rules, passing its findings to `emit` in parts of [`FINDINGS_PER_PART`] as they
/// are found; the last ones (fewer than a part) come back in [`FileScan::findings`]. Findings found before a
/// read error are kept (each came from a complete record).
fn scan_file(
    file: &LogFile,
    s3: Option<&S3>,
    options: ReaderOptions,
    engine: &Engine,
    windows: &Windows,
    window: Window,
    emit: &mut dyn FnMut(Vec<Finding>),
) -> FileScan {
    let mut scan = FileScan {
        findings: Vec::new(),
        stats: None,
        outside: 0,
        error: None,
    };
    let mut reader = match source::open_with(file, s3, options) {
        Ok(reader) => reader,
        Err(e) => {
            scan.error = Some(e.to_string());
            return scan;
        }
    };
    // The same per-file scan as the Lambda: a time window only decides which records are evaluated.
    let result = scan_log_windowed(
        &mut reader,
        engine,
        windows,
        |record| {
            !window.is_set()
                || window.contains_event_time(record.get("eventTime").and_then(|t| t.as_str()))
        },
        |finding| {
            scan.findings.push(finding);
            if scan.findings.len() == FINDINGS_PER_PART {
                emit(std::mem::replace(
                    &mut scan.findings,
                    Vec::with_capacity(FINDINGS_PER_PART),
                ));
            }
            Ok::<(), Infallible>(())
        },
    )
    .inspect(|stats| scan.outside = stats.filtered_out)
    .map_err(|e| match e {
        ScanError::Read(e) => e,
        ScanError::Consumer(never) => match never {},
    });
    match result {
        Ok(stats) => scan.stats = Some(stats),
        Err(e) => scan.error = Some(e.to_string()),
    }
    scan
}

/// Prints `error: <file>: <error>`.
fn report_failure(progress: &Progress, name: &str, error: &str, findings: usize) {
    // Findings printed before a read error stay valid (each came from a complete record); say so, so the
    // error is not taken to mean "nothing in this file".
    let before = match findings {
        0 => String::new(),
        1 => " (1 finding printed before the error)".to_owned(),
        n => format!(" ({n} findings printed before the error)"),
    };
    progress.println(format!("error: {name}: {error}{before}"));
}

/// One warning per unevaluated record kept as a sample, and a count of the others. Each is also printed as
/// an `unevaluated-record` finding on stdout; the warning says so for a person reading stderr.
fn report_unevaluated(progress: &Progress, name: &str, stats: &ScanStats) {
    for m in &stats.malformed_samples {
        progress.println(format!(
            "warning: {name}: record {} at decompressed byte {} could not be evaluated ({}): {} (reported as an {} finding)",
            m.index,
            m.offset,
            m.reason,
            m.error,
            rules::UNEVALUATED_RECORD
        ));
    }
    let more = stats.unevaluated - stats.malformed_samples.len() as u64;
    if more > 0 {
        progress.println(format!(
            "warning: {name}: {more} more records could not be evaluated (each reported as an {} finding)",
            rules::UNEVALUATED_RECORD
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::Bound;
    use cloudtrail::LogReader;
    use rules::scan_log;

    const LOG: &str = r#"{"Records":[
        {"eventID":"1","eventTime":"2024-01-15T12:00:00Z","eventName":"GetBucketPolicy","errorCode":"AccessDenied",
         "sourceIPAddress":"192.0.2.1","userIdentity":{"type":"IAMUser"}},
        42,
        {"eventID":"2","eventTime":"2024-01-16T12:00:00Z","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn",
         "userIdentity":{"type":"Root"}},
        {"eventID":"3","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","userIdentity":{"type":"Root"}}
    ]}"#;

    fn engine(config: &str) -> Engine {
        let cfg = rules::RulesConfig::parse(config, "t.toml").unwrap();
        Engine::from_config(&cfg, "2026-01-01")
            .unwrap()
            .retain_ids(&[
                "cis-4.1-unauthorized-api-calls",
                "cis-4.3-root-account-usage",
            ])
            .unwrap()
    }

    fn windowed(engine: &Engine, window: Window) -> (FileScan, ScanStats) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.json");
        std::fs::write(&path, LOG).unwrap();
        let mut parts = Vec::new();
        let mut scan = scan_file(
            &LogFile::Local(path),
            None,
            ReaderOptions::default(),
            engine,
            &Windows::new(),
            window,
            &mut |p| parts.push(p),
        );
        assert!(parts.is_empty(), "a handful of findings fits in one part");
        let stats = scan.stats.take().expect("the file reads");
        (scan, stats)
    }

    fn plain(engine: &Engine) -> (Vec<Finding>, ScanStats) {
        let mut reader = LogReader::new(LOG.as_bytes(), ReaderOptions::default()).unwrap();
        let mut findings = Vec::new();
        let stats = scan_log(&mut reader, engine, |f| {
            findings.push(f);
            Ok::<(), Infallible>(())
        })
        .unwrap();
        (findings, stats)
    }

    /// With a window that holds every timed record, the windowed scan is `scan_log`, finding for finding.
    #[test]
    fn a_window_holding_everything_is_the_plain_pipeline() {
        let config = "[[exclusions]]\nid = \"old\"\nreason = \"r\"\nexpires = \"2024-01-01\"\n\
                      match = { eventName = \"GetBucketPolicy\" }\n\
                      [[exclusions]]\nid = \"drill\"\nreason = \"r\"\nmatch = { eventID = \"2\" }\n";
        let engine = engine(config);
        let (want, want_stats) = plain(&engine);
        let window = Window::new(Some(Bound::parse("2000-01-01").unwrap()), None).unwrap();
        let (got, got_stats) = windowed(&engine, window);
        let json = |f: &[Finding]| serde_json::to_string(f).unwrap();
        // Record 3 has no eventTime: outside any window. Record 1 (`42`) is an unevaluated-record finding,
        // whatever the window.
        assert_eq!(want.len(), 3, "record 3 is a finding without a window");
        assert_eq!(want[1].rule_id, rules::UNEVALUATED_RECORD);
        assert_eq!(want[2].event_id.as_deref(), Some("3"));
        assert_eq!(json(&got.findings), json(&want[..2]));
        assert!(want[0]
            .note
            .as_deref()
            .unwrap()
            .contains("expired on 2024-01-01"));
        assert_eq!(got_stats.records, want_stats.records);
        assert_eq!(got_stats.unevaluated, 1);
        assert_eq!(got_stats.malformed_samples[0].index, 1);
        assert_eq!(got_stats.malformed_samples[0].reason, "not_an_object");
        assert_eq!(got_stats.suppressed_by, want_stats.suppressed_by);
        assert_eq!(got_stats.suppressed, 1);
        assert_eq!(got.outside, 1);
    }

    #[test]
    fn a_file_with_many_findings_passes_them_on_in_parts_in_order() {
        let n = 2 * FINDINGS_PER_PART + 88;
        let records: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"eventID":"{i}","eventName":"GetBucketPolicy","errorCode":"AccessDenied","sourceIPAddress":"192.0.2.1"}}"#
                )
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.json");
        std::fs::write(&path, format!(r#"{{"Records":[{}]}}"#, records.join(","))).unwrap();
        let mut parts: Vec<Vec<Finding>> = Vec::new();
        let scan = scan_file(
            &LogFile::Local(path),
            None,
            ReaderOptions::default(),
            &engine(""),
            &Windows::new(),
            Window::default(),
            &mut |p| parts.push(p),
        );
        assert!(scan.error.is_none());
        let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
        assert_eq!(sizes, [FINDINGS_PER_PART, FINDINGS_PER_PART]);
        assert_eq!(scan.findings.len(), 88);
        let ids: Vec<String> = parts
            .into_iter()
            .flatten()
            .chain(scan.findings)
            .map(|f| f.event_id.unwrap())
            .collect();
        let want: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        assert_eq!(ids, want);
    }

    #[test]
    fn records_outside_the_window_are_not_evaluated() {
        let engine = engine("");
        let window = Window::new(None, Some(Bound::parse("2024-01-15").unwrap())).unwrap();
        let (scan, stats) = windowed(&engine, window);
        let ids: Vec<&str> = scan
            .findings
            .iter()
            .map(|f| f.event_id.as_deref().unwrap_or(&f.rule_id))
            .collect();
        assert_eq!(
            ids,
            ["1", rules::UNEVALUATED_RECORD],
            "`42` is never outside"
        );
        assert_eq!(stats.records, 4);
        assert_eq!(scan.outside, 2);
    }
}
