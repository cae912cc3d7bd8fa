//! `trailwarden scan PATH…`: every log file through the rules, findings on stdout, summary on stderr.

use super::EXIT_ERROR;
use crate::cli::{Format, ScanArgs};
use crate::inputs::{self, Input, Inputs};
use crate::output::{self, FindingWriter};
use crate::ruleset::{self, Config};
use crate::summary::Summary;
use anyhow::Context;
use rules::{scan_log, Engine, ScanError, ScanStats};
use std::fmt::Display;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(args.selection.config.as_deref())?;
    let flag = args.selection.profile.map(Into::into);
    let today = ruleset::today();
    let engine = config.engine(flag, &today)?;
    let engine = ruleset::narrow(engine, &args.rules, &config, config.profile(flag))?;
    warn_expired(&engine, &today);
    let format = args.format.unwrap_or_else(Format::for_stdout);
    let mut out = output::writer(format, io::stdout().lock());
    let mut summary = Summary::new(&engine);

    match scan_all(&args.paths, &engine, out.as_mut(), &mut summary) {
        Ok(()) => {}
        // The reader of our output went away (`trailwarden scan … | head`): it has what it wanted, so stop
        // quietly, like other command-line tools do when SIGPIPE ends them.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e).context("writing findings to stdout failed"),
    }

    if summary.files_scanned == 0 && summary.failed == 0 {
        eprintln!("warning: no log files (.json.gz or .json) found in the given paths");
    }
    eprint!("{summary}");
    Ok(if summary.failed > 0 {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// One warning per exclusion whose expiry date has passed: it no longer suppresses anything newer.
fn warn_expired(engine: &Engine, today: &str) {
    for x in engine.expired_exclusions(today) {
        eprintln!(
            "warning: exclusion {} expired on {} and no longer applies to later events",
            x.id,
            x.expires.as_deref().unwrap_or("?")
        );
    }
}

/// Walks the inputs and scans each file. Problems with inputs are reported on stderr and counted; only a
/// failure to write findings is returned.
fn scan_all(
    paths: &[PathBuf],
    engine: &Engine,
    out: &mut dyn FindingWriter,
    summary: &mut Summary,
) -> io::Result<()> {
    for input in Inputs::new(paths) {
        match input {
            Input::File(path) => {
                scan_file(&path, engine, out, summary)?;
                out.flush()?;
            }
            Input::Skipped(reason) => summary.add_skipped(reason),
            Input::Error { path, error } => {
                eprintln!("error: {}: {error}", path.display());
                summary.add_failed();
            }
        }
    }
    out.finish()
}

/// Scans one file, passing its findings to `out` as they are found. A file that cannot be opened or read
/// is reported and counted; only a failure to write findings is returned.
fn scan_file(
    path: &Path,
    engine: &Engine,
    out: &mut dyn FindingWriter,
    summary: &mut Summary,
) -> io::Result<()> {
    let mut reader = match inputs::open_log(path) {
        Ok(reader) => reader,
        Err(e) => {
            report_failure(path, e, 0, summary);
            return Ok(());
        }
    };
    let mut findings = 0u64;
    let scanned = scan_log(&mut reader, engine, |finding| {
        findings += 1;
        summary.add_finding(&finding.rule_id);
        out.write(path, finding)
    });
    match scanned {
        Ok(stats) => {
            report_malformed(path, &stats);
            summary.add_file(&stats);
        }
        Err(ScanError::Read(e)) => report_failure(path, e, findings, summary),
        Err(ScanError::Consumer(e)) => return Err(e),
    }
    Ok(())
}

/// Prints `error: <path>: <error>` and counts the file as failed.
fn report_failure(path: &Path, error: impl Display, findings: u64, summary: &mut Summary) {
    // Findings printed before a read error stay valid (each came from a complete record); say so, so the
    // error is not taken to mean "nothing in this file".
    let before = match findings {
        0 => String::new(),
        1 => " (1 finding printed before the error)".to_owned(),
        n => format!(" ({n} findings printed before the error)"),
    };
    eprintln!("error: {}: {error}{before}", path.display());
    summary.add_failed();
}

/// One warning per malformed record kept as a sample, and a count of the others.
fn report_malformed(path: &Path, stats: &ScanStats) {
    let path = path.display();
    for m in &stats.malformed_samples {
        eprintln!(
            "warning: {path}: malformed record {} at decompressed byte {} skipped: {}",
            m.index, m.offset, m.error
        );
    }
    let more = stats.malformed - stats.malformed_samples.len() as u64;
    if more > 0 {
        eprintln!("warning: {path}: {more} more malformed records skipped");
    }
}
