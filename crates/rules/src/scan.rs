//! The per-file scan shared by the Lambda and the CLI: one log file through the log reader → per-record parse →
//! rules → findings, with the file's statistics.

use crate::engine::Outcome;
use crate::unevaluated::{self, Recovered, Unevaluated};
use crate::{engine::Engine, finding::Finding, threshold::Windows};
use cloudtrail::{Dom, LogReader, Node, ReadError, RecordError};
use serde::Serialize;
use std::collections::BTreeMap;

/// How many unevaluated records (and suppressed findings) are kept with details; the rest are only counted.
pub const MALFORMED_SAMPLES: usize = 20;

/// A record that could not be evaluated (see [`crate::unevaluated`]): it did not parse (broken structure,
/// nesting over the limit, over the size cap), it is not a JSON object, or the file ends inside it. Each one
/// is also an `unevaluated-record` finding.
#[derive(Debug, Clone, Serialize)]
pub struct MalformedRecord {
    /// Position in the `Records` array.
    pub index: usize,
    /// Decompressed byte offset of the element.
    pub offset: u64,
    /// `syntax`, `too_deep`, `oversized`, `not_an_object` or `truncated`.
    pub reason: String,
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
    /// Records that could not be evaluated: each is also an `unevaluated-record` finding (counted in
    /// [`ScanStats::findings`] too).
    pub unevaluated: u64,
    /// The same count as [`ScanStats::unevaluated`], under its former name (kept while callers switch).
    pub malformed: u64,
    /// Details of the first [`MALFORMED_SAMPLES`] unevaluated records.
    pub malformed_samples: Vec<MalformedRecord>,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Records a filter left out (see [`scan_log_filtered`]).
    pub filtered_out: u64,
    /// The earliest and latest `eventTime` seen (ISO 8601 UTC, which orders as text).
    pub earliest_event_time: Option<String>,
    pub latest_event_time: Option<String>,
    /// Events that matched a threshold rule's filter (and no exclusion) and were counted toward it.
    #[serde(default)]
    pub threshold_events: u64,
    /// Threshold-rule events that were not counted (a state cap was full, or no valid `eventTime`): never
    /// forgotten silently (see [`crate::threshold`]).
    #[serde(default)]
    pub threshold_uncounted: u64,
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
/// memory does not grow with the file. A record that cannot be evaluated becomes an `unevaluated-record`
/// finding (see [`crate::unevaluated`]), is counted (with details for the first few), and the rest of the
/// file is still evaluated; a file-level error stops the scan (after the finding for a record the file ends
/// inside of).
pub fn scan_log<E>(
    reader: &mut LogReader<'_>,
    engine: &Engine,
    on_finding: impl FnMut(Finding) -> Result<(), E>,
) -> Result<ScanStats, ScanError<E>> {
    scan_log_filtered(reader, engine, |_| true, on_finding)
}

/// [`scan_log`] that evaluates only the records `keep` accepts (e.g. a `--since/--until` window); the others
/// are counted in [`ScanStats::filtered_out`]. `keep` never sees an unevaluated record: its finding is always
/// passed on (no filter, exclusion or profile applies to it).
pub fn scan_log_filtered<E>(
    reader: &mut LogReader<'_>,
    engine: &Engine,
    keep: impl FnMut(Node<'_>) -> bool,
    on_finding: impl FnMut(Finding) -> Result<(), E>,
) -> Result<ScanStats, ScanError<E>> {
    scan_log_windowed(reader, engine, &Windows::new(), keep, on_finding)
}

/// [`scan_log_filtered`] with the threshold rules' windows kept in `windows`, so they span every file scanned
/// with the same [`Windows`] (the function: one invocation; `trailwarden scan`: the whole command).
/// [`scan_log_filtered`] keeps them for one file. A threshold rule's matching events are counted there, and
/// its finding (with [`Finding::threshold`]) is passed on when a window reaches the count.
pub fn scan_log_windowed<E>(
    reader: &mut LogReader<'_>,
    engine: &Engine,
    windows: &Windows,
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
                if let Some(offset) = ends_inside_a_record(&e) {
                    // The file ends inside record number `stats.records`: that record is unevaluated too.
                    let index = usize::try_from(stats.records).unwrap_or(usize::MAX);
                    let unevaluated = Unevaluated {
                        index,
                        offset,
                        reason: unevaluated::REASON_TRUNCATED,
                        error: &e.to_string(),
                    };
                    stats.records += 1;
                    report_unevaluated(
                        &mut stats,
                        unevaluated,
                        &Recovered::default(),
                        &mut on_finding,
                    )?;
                }
                return Err(ScanError::Read(e));
            }
        };
        stats.records += 1;
        let (index, offset) = (rec.raw.index, rec.raw.offset);
        let recovered = rec.recovered;
        let Some(value) = object_or_unevaluated(
            rec.parsed,
            index,
            offset,
            &mut stats,
            &mut on_finding,
            || recovered.unwrap_or_default(),
        )?
        else {
            continue;
        };
        if !keep(value) {
            stats.filtered_out += 1;
            continue;
        }
        evaluate_record(value, engine, windows, &mut stats, &mut on_finding)
            .map_err(ScanError::Consumer)?;
    }
    stats.bytes = reader.bytes_read();
    Ok(stats)
}

/// A parsed record, when it is a JSON object the rules can evaluate; otherwise (it did not parse, or it is not an
/// object) it is reported as unevaluated and `None` comes back. `recover` gives the top-level fields a cheap scan
/// found, for a record that did not parse. The one step after parsing for a log file's record
/// ([`scan_log_windowed`]) and a lone one ([`crate::scan_record::scan_record`]) alike.
pub(crate) fn object_or_unevaluated<'v, E>(
    parsed: Result<Node<'v>, RecordError>,
    index: usize,
    offset: u64,
    stats: &mut ScanStats,
    on_finding: &mut impl FnMut(Finding) -> Result<(), E>,
    recover: impl FnOnce() -> Recovered,
) -> Result<Option<Node<'v>>, ScanError<E>> {
    let (reason, error, recovered) = match parsed {
        Ok(v) if v.is_object() => return Ok(Some(v)),
        Ok(_) => (
            unevaluated::REASON_NOT_AN_OBJECT,
            "the element is not a JSON object".to_owned(),
            Recovered::default(),
        ),
        Err(e) => (e.reason(), e.to_string(), recover()),
    };
    let unevaluated = Unevaluated {
        index,
        offset,
        reason,
        error: &error,
    };
    report_unevaluated(stats, unevaluated, &recovered, on_finding)?;
    Ok(None)
}

/// Counts an unevaluated record (with details for the first [`MALFORMED_SAMPLES`]) and passes its finding on.
fn report_unevaluated<E>(
    stats: &mut ScanStats,
    u: Unevaluated<'_>,
    recovered: &Recovered,
    on_finding: &mut impl FnMut(Finding) -> Result<(), E>,
) -> Result<(), ScanError<E>> {
    stats.unevaluated += 1;
    stats.malformed = stats.unevaluated;
    stats.findings += 1;
    if stats.malformed_samples.len() < MALFORMED_SAMPLES {
        stats.malformed_samples.push(MalformedRecord {
            index: u.index,
            offset: u.offset,
            reason: u.reason.to_owned(),
            error: u.error.to_owned(),
        });
    }
    on_finding(Finding::unevaluated(
        u.index, u.offset, u.reason, u.error, recovered,
    ))
    .map_err(ScanError::Consumer)
}

/// The decompressed offset where the file ends, when it ends inside a record (rather than between records
/// or before the `Records` array).
fn ends_inside_a_record(e: &ReadError) -> Option<u64> {
    match e {
        ReadError::Truncated { offset, inside } if *inside == "a record" => Some(*offset),
        _ => None,
    }
}

/// Runs the rules over one parsed record (a JSON object) and counts what happened in `stats`: its
/// `eventTime` (earliest and latest), its findings (a threshold rule's only when its window is full, with the
/// threshold's note; an expired exclusion's note) and the findings exclusions suppressed.
///
/// The steps after a record parsed, for a log file's record ([`scan_log_windowed`]) and a lone one
/// ([`crate::scan_record::scan_record`]) alike.
pub(crate) fn evaluate_record<E>(
    value: Node<'_>,
    engine: &Engine,
    windows: &Windows,
    stats: &mut ScanStats,
    on_finding: &mut impl FnMut(Finding) -> Result<(), E>,
) -> Result<(), E> {
    if let Some(t) = value.get("eventTime").and_then(|t| t.as_str()) {
        replace_if(&mut stats.earliest_event_time, t, |t, e| t < e);
        replace_if(&mut stats.latest_event_time, t, |t, l| t > l);
    }
    for outcome in engine.evaluate(value) {
        match outcome {
            Outcome::Finding { rule, hit, expired } => {
                let mut threshold = None;
                if rule.threshold().is_some() {
                    // Counted toward the rule's window; a finding only when the window is full.
                    let seen = windows.observe_event(rule, value);
                    stats.threshold_uncounted += u64::from(!seen.counted);
                    stats.threshold_events += u64::from(seen.counted);
                    let Some(alert) = seen.alert else { continue };
                    threshold = Some((alert, seen.uncounted_before));
                }
                stats.findings += 1;
                let mut finding = Finding::new(rule, hit, value);
                if let Some((alert, uncounted)) = threshold {
                    let mut note = format!("threshold: {}", alert.summary());
                    if uncounted > 0 {
                        note.push_str(&format!(
                            "; {uncounted} matching events of this rule were not counted in this scan (state cap or no eventTime)"
                        ));
                    }
                    finding.note = Some(note);
                    finding.threshold = Some(alert);
                }
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
                on_finding(finding)?;
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
    Ok(())
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

    fn scan_text(text: &[u8], engine: &Engine) -> (Vec<Finding>, Result<ScanStats, String>) {
        let mut findings = Vec::new();
        let result = LogReader::new(text, ReaderOptions::default())
            .map_err(|e| e.to_string())
            .and_then(|mut reader| {
                scan_log_filtered(
                    &mut reader,
                    engine,
                    |_| false,
                    |f| {
                        findings.push(f);
                        Ok::<_, std::convert::Infallible>(())
                    },
                )
                .map_err(|e| e.to_string())
            });
        (findings, result)
    }

    const STOP: &str =
        r#"{"eventID":"stop","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com"}"#;

    #[test]
    fn every_record_that_cannot_be_evaluated_is_a_finding_no_filter_or_exclusion_hides() {
        // An exclusion of everything and a filter that keeps nothing: only unevaluated-record findings pass.
        let cfg = crate::config::RulesConfig::parse(
            "[[exclusions]]\nid = \"all\"\nreason = \"r\"\npattern = '{ $.eventName = \"*\" }'\n",
            "t.toml",
        )
        .unwrap();
        let engine = Engine::from_config(&cfg, "2026-01-01").unwrap();
        let text = format!(
            r#"{{"Records":[42,"s",null,[1],{{"eventName":"StopLogging","bad":}},{STOP}]}}"#
        );
        let (findings, stats) = scan_text(text.as_bytes(), &engine);
        let stats = stats.unwrap();
        assert!(findings.iter().all(Finding::is_unevaluated), "{findings:?}");
        let reasons: Vec<(usize, &str)> = stats
            .malformed_samples
            .iter()
            .map(|m| (m.index, m.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (0, "not_an_object"),
                (1, "not_an_object"),
                (2, "not_an_object"),
                (3, "not_an_object"),
                (4, "syntax")
            ]
        );
        assert_eq!(findings.len(), 5);
        assert_eq!(stats.records, 6);
        assert_eq!(stats.unevaluated, 5);
        assert_eq!(stats.malformed, 5, "the former name keeps the count");
        assert_eq!(stats.findings, 5);
        assert_eq!(stats.filtered_out, 1, "the filter saw only the StopLogging");
        let notes: Vec<&str> = findings.iter().filter_map(|f| f.note.as_deref()).collect();
        assert!(
            notes[0].starts_with(
                "record 0 at decompressed byte 12 could not be evaluated (not_an_object)"
            ),
            "{notes:?}"
        );
        // Distinct records, distinct ids.
        let mut ids: Vec<String> = findings.iter().map(Finding::id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 5);
    }

    #[test]
    fn a_file_that_ends_inside_a_record_reports_that_record_and_fails() {
        let engine = Engine::with_ids(&["cloudtrail-stopped-or-deleted"]).unwrap();
        let text =
            format!(r#"{{"Records":[{STOP},{{"eventName":"StopLogging","userAgent":"cut here"#);
        let (findings, result) = scan_text(text.as_bytes(), &engine);
        let err = result.unwrap_err();
        assert!(err.contains("ends early"), "{err}");
        let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, [crate::unevaluated::UNEVALUATED_RECORD]);
        let note = findings[0].note.as_deref().unwrap();
        assert!(note.starts_with("record 1 at decompressed byte"), "{note}");
        assert!(note.contains("(truncated)"), "{note}");
    }

    #[test]
    fn a_consumer_error_on_an_unevaluated_finding_stops_the_scan() {
        let engine = Engine::builtin().unwrap();
        let mut reader =
            LogReader::new(&br#"{"Records":[1,2]}"#[..], ReaderOptions::default()).unwrap();
        let mut seen = 0;
        let err = scan_log(&mut reader, &engine, |_| {
            seen += 1;
            Err("closed")
        })
        .unwrap_err();
        assert!(matches!(err, ScanError::Consumer("closed")));
        assert_eq!(seen, 1);
    }
}
