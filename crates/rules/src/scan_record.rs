//! One CloudTrail record evaluated on its own, outside any log file: the record EventBridge delivered (the
//! function's fast path, directly or through SQS or SNS) as its JSON text.
//!
//! The semantics are exactly a log file's record's ([`crate::scan::scan_log_windowed`]): the same lenient
//! parser ([`Dom`]), the same per-record size cap (a record over it is not parsed; what a cheap scan recovers
//! of it goes into its finding), an `unevaluated-record` finding for a record that cannot be evaluated (broken
//! structure, nesting over the limit, over the cap, not a JSON object), exclusions, and the threshold rules'
//! windows kept in the caller's [`Windows`] (the function: one per invocation). What differs is only what a
//! file has and a lone record has not: the record is element 0 at offset 0, and no file-level error exists.

use crate::engine::Engine;
use crate::finding::Finding;
use crate::scan::{evaluate_record, object_or_unevaluated, ScanError, ScanStats};
use crate::threshold::Windows;
use cloudtrail::{recover_fields, Dom, RecordError};

/// Evaluates one record's JSON text (`text`, surrounding whitespace allowed) with `engine`, counting threshold
/// rules in `windows`; each finding is passed to `on_finding`. A record over `max_record_bytes` is not parsed
/// (as the log reader skips it) and, like any record that cannot be evaluated, becomes an `unevaluated-record`
/// finding. The counters are a log file's of one record ([`ScanStats::bytes`]: the record's size).
pub fn scan_record<E>(
    text: &[u8],
    engine: &Engine,
    windows: &Windows,
    max_record_bytes: usize,
    mut on_finding: impl FnMut(Finding) -> Result<(), E>,
) -> Result<ScanStats, ScanError<E>> {
    let text = text.trim_ascii();
    let mut stats = ScanStats {
        records: 1,
        bytes: text.len() as u64,
        ..ScanStats::default()
    };
    // A lone record has no file around it: it is element 0, at offset 0 of what was delivered.
    let (index, offset) = (0, 0);
    let mut dom = Dom::new();
    // Over the cap a record is not parsed, as the log reader skips it.
    let parsed = if text.len() > max_record_bytes {
        Err(RecordError::Oversized {
            bytes: text.len() as u64,
            limit: max_record_bytes,
        })
    } else {
        dom.parse(text).map_err(RecordError::from)
    };
    // The reader scans a record that did not parse as it streams past; here it is all in memory.
    let Some(value) =
        object_or_unevaluated(parsed, index, offset, &mut stats, &mut on_finding, || {
            recover_fields(text)
        })?
    else {
        return Ok(stats);
    };
    evaluate_record(value, engine, windows, &mut stats, &mut on_finding)
        .map_err(ScanError::Consumer)?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::scan_log_windowed;
    use cloudtrail::{LogReader, ReaderOptions};

    fn engine() -> Engine {
        Engine::with_ids(&[
            "cis-4.1-unauthorized-api-calls",
            "cis-4.3-root-account-usage",
        ])
        .unwrap()
    }

    /// The same record scanned alone and as the only record of a log file: the same findings (but for the
    /// position an unevaluated record's finding names) and the same counts (but for the bytes around it).
    fn both(record: &str, cap: usize) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
        let e = engine();
        let mut alone = Vec::new();
        let stats = scan_record::<()>(record.as_bytes(), &e, &Windows::new(), cap, |f| {
            alone.push(serde_json::to_value(&f).unwrap());
            Ok(())
        })
        .unwrap();
        let file = format!(r#"{{"Records":[{record}]}}"#);
        let options = ReaderOptions {
            max_uncompressed_bytes: None,
            max_record_bytes: Some(cap),
        };
        let mut reader = LogReader::new(file.as_bytes(), options).unwrap();
        let mut in_file = Vec::new();
        let file_stats = scan_log_windowed::<()>(
            &mut reader,
            &e,
            &Windows::new(),
            |_| true,
            |f| {
                in_file.push(serde_json::to_value(&f).unwrap());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            (
                stats.records,
                stats.findings,
                stats.unevaluated,
                stats.suppressed,
                &stats.earliest_event_time
            ),
            (
                file_stats.records,
                file_stats.findings,
                file_stats.unevaluated,
                file_stats.suppressed,
                &file_stats.earliest_event_time
            ),
            "{record}"
        );
        for f in &mut in_file {
            // In the file the element starts after `{"Records":[`, byte 12; alone, at byte 0.
            if let Some(offset) = f.pointer_mut("/record/unevaluated/offset") {
                assert_eq!(*offset, 12);
                *offset = 0.into();
                let note = f["note"]
                    .as_str()
                    .unwrap()
                    .replacen(" byte 12 ", " byte 0 ", 1);
                f["note"] = note.into();
            }
        }
        (alone, in_file)
    }

    #[test]
    fn a_record_alone_is_evaluated_as_the_same_record_of_a_log_file() {
        let root = r#"{"eventVersion":"1.08","eventID":"e1","eventTime":"2024-01-15T00:00:00Z","eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","eventType":"AwsConsoleSignIn","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"sourceIPAddress":"198.51.100.1","responseElements":{"ConsoleLogin":"Success"}}"#;
        let denied = r#"{"eventID":"e2","eventName":"ListBuckets","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"}}"#;
        let quiet =
            r#"{"eventID":"e3","eventName":"ListBuckets","userIdentity":{"type":"IAMUser"}}"#;
        for record in [root, denied, quiet] {
            let (alone, in_file) = both(record, 1 << 20);
            assert_eq!(alone, in_file, "{record}");
        }
        assert_eq!(both(root, 1 << 20).0.len(), 1);
    }

    #[test]
    fn a_record_that_cannot_be_evaluated_is_an_unevaluated_record_finding_as_in_a_file() {
        let deep = format!(
            "{{\"eventName\":\"StopLogging\",\"a\":{}1{}}}",
            "[".repeat(600),
            "]".repeat(600)
        );
        let big = format!(
            r#"{{"eventName":"StopLogging","eventID":"e9","pad":"{}"}}"#,
            "x".repeat(300)
        );
        for (record, cap, reason) in [
            ("[1,2]", 1 << 20, "not_an_object"),
            (deep.as_str(), 1 << 20, "too_deep"),
            (big.as_str(), 200, "oversized"),
        ] {
            let (alone, in_file) = both(record, cap);
            assert_eq!(alone.len(), 1, "{reason}");
            assert_eq!(alone[0]["rule_id"], crate::unevaluated::UNEVALUATED_RECORD);
            assert_eq!(alone[0]["record"]["unevaluated"]["reason"], reason);
            assert_eq!(alone, in_file, "{reason}");
        }
    }

    #[test]
    fn a_consumer_error_is_returned() {
        let denied = r#"{"eventID":"e2","eventName":"ListBuckets","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"}}"#;
        let r = scan_record(
            denied.as_bytes(),
            &engine(),
            &Windows::new(),
            1 << 20,
            |_| Err("gone"),
        );
        assert!(matches!(r, Err(ScanError::Consumer("gone"))));
    }
}
