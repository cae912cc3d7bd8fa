//! `trailwarden scan PATH…`: every log file through the rules, findings on stdout, summary on stderr.

use super::EXIT_ERROR;
use crate::cli::{Format, ScanArgs};
use crate::inputs::{Input, Inputs};
use crate::output::{self, FindingWriter};
use crate::summary::Summary;
use anyhow::{anyhow, Context};
use cloudtrail::{LogReader, ReaderOptions};
use rules::{scan_log, Engine, EngineError, ScanError, ScanStats};
use std::fmt::Display;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let engine = engine_for(&args.rules)?;
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

/// The engine for `--rules`, or every built-in rule.
fn engine_for(ids: &[String]) -> anyhow::Result<Engine> {
    let engine = if ids.is_empty() {
        Engine::builtin()
    } else {
        Engine::with_ids(ids)
    };
    engine.map_err(|e| match e {
        EngineError::UnknownRule { id } => {
            let valid: Vec<&str> = rules::BUILTIN.iter().map(|r| r.id).collect();
            anyhow!(
                "unknown rule id {id:?} in --rules; valid ids: {}",
                valid.join(", ")
            )
        }
        other => anyhow::Error::new(other).context("the built-in rules failed to compile"),
    })
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
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => {
            report_failure(path, format_args!("cannot open: {e}"), 0, summary);
            return Ok(());
        }
    };
    let mut reader = match LogReader::new(file, ReaderOptions::default()) {
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
