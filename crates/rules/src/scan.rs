//! The pipeline shared by the Lambda and the CLI: log reader → per-record parse → rules → findings.

use crate::engine::Outcome;
use crate::{Engine, Finding};
use cloudtrail::{Dom, LogReader, Node, ReadError};
use serde::Serialize;
use std::collections::BTreeMap;

/// How many malformed records are kept with details; the rest are only counted.
pub const MALFORMED_SAMPLES: usize = 20;

/// A record that could not be evaluated: the element is not JSON, or not a JSON object.
#[derive(Debug, Clone, Serialize)]
pub struct MalformedRecord {
    /// Position in the `Records` array.
    pub index: usize,
    /// Decompressed byte offset of the element.
    pub offset: u64,
    pub error: String,
}

/// A finding an exclusion suppressed (kept for logs: ids only, never the record).
#[derive(Debug, Clone, Serialize)]
pub struct SuppressedFinding {
    pub rule_id: String,
    pub exclusion_id: String,
    pub event_id: Option<String>,
}

/// Counters for one log file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanStats {
    pub records: u64,
    pub findings: u64,
    /// Findings suppressed by exclusions.
    pub suppressed: u64,
    /// Suppressed findings per exclusion id.
    pub suppressed_by: BTreeMap<String, u64>,
    /// Details of the first [`MALFORMED_SAMPLES`] suppressed findings.
    pub suppressed_samples: Vec<SuppressedFinding>,
    pub malformed: u64,
    /// Details of the first [`MALFORMED_SAMPLES`] malformed records.
    pub malformed_samples: Vec<MalformedRecord>,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Records a filter left out (see [`scan_log_filtered`]).
    pub filtered_out: u64,
    /// The earliest and latest `eventTime` seen (ISO 8601 UTC, which orders as text).
    pub earliest_event_time: Option<String>,
    pub latest_event_time: Option<String>,
}

/// Why a scan stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ScanError<E> {
    /// The log file itself is unusable.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The finding consumer refused a finding (e.g. the alert channel closed).
    #[error("finding consumer failed: {0}")]
    Consumer(E),
}

/// Evaluates every record of a log file. Each finding is passed to `on_finding` as soon as it is found, so
/// memory does not grow with the file. A malformed record is counted (with details for the first few) and
/// the rest of the file is still evaluated; a file-level error stops the scan.
pub fn scan_log<E>(
    reader: &mut LogReader<'_>,
    engine: &Engine,
    on_finding: impl FnMut(Finding) -> Result<(), E>,
) -> Result<ScanStats, ScanError<E>> {
    scan_log_filtered(reader, engine, |_| true, on_finding)
}

/// [`scan_log`] that evaluates only the records `keep` accepts (e.g. a `--since/--until` window); the others
/// are counted in [`ScanStats::filtered_out`].
pub fn scan_log_filtered<E>(
    reader: &mut LogReader<'_>,
    engine: &Engine,
    mut keep: impl FnMut(Node<'_>) -> bool,
    mut on_finding: impl FnMut(Finding) -> Result<(), E>,
) -> Result<ScanStats, ScanError<E>> {
    let mut stats = ScanStats::default();
    // One parser for the whole file: its tape and string arena are reused, so records cost no allocation.
    let mut dom = Dom::new();
    loop {
        let rec = match reader.next_parsed(&mut dom) {
            Ok(Some(rec)) => rec,
            Ok(None) => break,
            Err(e) => {
                stats.bytes = reader.bytes_read();
                return Err(ScanError::Read(e));
            }
        };
        stats.records += 1;
        let (index, offset) = (rec.raw.index, rec.raw.offset);
        let parsed = rec.parsed.map_err(|e| e.to_string()).and_then(|v| {
            if v.is_object() {
                Ok(v)
            } else {
                Err("the element is not a JSON object".to_owned())
            }
        });
        let value = match parsed {
            Ok(v) => v,
            Err(error) => {
                stats.malformed += 1;
                if stats.malformed_samples.len() < MALFORMED_SAMPLES {
                    stats.malformed_samples.push(MalformedRecord {
                        index,
                        offset,
                        error,
                    });
                }
                continue;
            }
        };
        if !keep(value) {
            stats.filtered_out += 1;
            continue;
        }
        if let Some(t) = value.get("eventTime").and_then(|t| t.as_str()) {
            replace_if(&mut stats.earliest_event_time, t, |t, e| t < e);
            replace_if(&mut stats.latest_event_time, t, |t, l| t > l);
        }
        for outcome in engine.evaluate(value) {
            match outcome {
                Outcome::Finding { rule, hit, expired } => {
                    stats.findings += 1;
                    let mut finding = Finding::new(rule, hit, value);
                    if let Some(x) = expired {
                        let note = format!(
                            "exclusion {} matched but expired on {}",
                            x.id,
                            x.expires.as_deref().unwrap_or("?")
                        );
                        finding.note = Some(match finding.note.take() {
                            Some(n) => format!("{n}; {note}"),
                            None => note,
                        });
                    }
                    on_finding(finding).map_err(ScanError::Consumer)?;
                }
                Outcome::Suppressed { rule, exclusion } => {
                    stats.suppressed += 1;
                    *stats.suppressed_by.entry(exclusion.id.clone()).or_default() += 1;
                    if stats.suppressed_samples.len() < MALFORMED_SAMPLES {
                        stats.suppressed_samples.push(SuppressedFinding {
                            rule_id: rule.id().to_owned(),
                            exclusion_id: exclusion.id.clone(),
                            event_id: value
                                .get("eventID")
                                .and_then(|id| id.as_str())
                                .map(str::to_owned),
                        });
                    }
                }
            }
        }
    }
    stats.bytes = reader.bytes_read();
    Ok(stats)
}

/// Sets `slot` to `t` when it is empty or `better(t, current)`, reusing the string's buffer: log files are in
/// time order, so the latest time changes on almost every record.
fn replace_if(slot: &mut Option<String>, t: &str, better: impl Fn(&str, &str) -> bool) {
    match slot {
        Some(current) if better(t, current) => {
            current.clear();
            current.push_str(t);
        }
        Some(_) => {}
        None => *slot = Some(t.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudtrail::ReaderOptions;

    #[test]
    fn earliest_and_latest_event_times_whatever_the_order() {
        let text = br#"{"Records":[
            {"eventTime":"2026-11-23T10:00:05Z"},{"eventTime":"2026-11-23T10:00:01Z"},
            {"eventName":"NoTime"},{"eventTime":"2026-11-23T10:00:09Z"},{"eventTime":"2026-11-23T10:00:03Z"}]}"#;
        let mut reader = LogReader::new(&text[..], ReaderOptions::default()).unwrap();
        let engine = Engine::builtin().unwrap();
        let stats = scan_log(&mut reader, &engine, |_| Ok::<_, ()>(())).unwrap();
        assert_eq!(stats.records, 5);
        assert_eq!(
            stats.earliest_event_time.as_deref(),
            Some("2026-11-23T10:00:01Z")
        );
        assert_eq!(
            stats.latest_event_time.as_deref(),
            Some("2026-11-23T10:00:09Z")
        );
    }
}
