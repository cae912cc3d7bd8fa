//! CloudWatch Embedded Metric Format (EMF): one JSON line per invocation, printed on stdout, which CloudWatch
//! Logs turns into metrics in the `trailwarden` namespace (no PutMetricData call, no extra permission).
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use crate::report::Report;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// The namespace of every metric.
pub const NAMESPACE: &str = "trailwarden";

/// Metric name, unit and value, in the order they are emitted.
fn metrics(report: &Report, now: DateTime<Utc>) -> Vec<(&'static str, &'static str, Value)> {
    let skipped: u64 = report.skipped.values().sum();
    let mut m = vec![
        ("LogFiles", "Count", json!(report.objects)),
        ("FailedLogFiles", "Count", json!(report.failed_objects)),
        ("SkippedObjects", "Count", json!(skipped)),
        ("Records", "Count", json!(report.records)),
        ("MalformedRecords", "Count", json!(report.malformed)),
        ("UnevaluatedRecords", "Count", json!(report.unevaluated)),
        ("Findings", "Count", json!(report.findings)),
        ("Suppressed", "Count", json!(report.suppressed)),
        ("Published", "Count", json!(report.published)),
        ("StormFolded", "Count", json!(report.storm_folded)),
        ("BytesRead", "Bytes", json!(report.bytes)),
        ("Deduplicated", "Count", json!(report.deduplicated)),
        ("DedupUnavailable", "Count", json!(report.dedup_unavailable)),
        (
            "DedupMarkUnauthenticated",
            "Count",
            json!(report.dedup_mark_unauthenticated),
        ),
        (
            "ForeignEventsRefused",
            "Count",
            json!(report.foreign_events_refused),
        ),
        ("Archived", "Count", json!(report.archived)),
        ("ArchiveFailed", "Count", json!(report.archive_failed)),
    ];
    // Detection lag: from the oldest event read from a log file to now (CloudTrail's delivery delay plus ours).
    if let Some(lag) = lag_seconds(report.earliest_event_time.as_deref(), now) {
        m.push(("LagSeconds", "Seconds", json!(lag)));
    }
    m
}

/// Seconds from `event_time` (RFC 3339) to `now`, never negative.
fn lag_seconds(event_time: Option<&str>, now: DateTime<Utc>) -> Option<f64> {
    event_time
        .and_then(cloudtrail::vocab::event_time)
        .map(|t| ((now - t).num_milliseconds() as f64 / 1000.0).max(0.0))
}

/// The EMF lines of an invocation: [`emf_line`] (every metric by `FunctionName`), then one line per path a
/// record came by with `LagSeconds` by `FunctionName` and `Path` (`s3`: from the oldest record of the log
/// files read; `eventbridge`: from the oldest record EventBridge delivered).
pub fn emf_lines(report: &Report, function_name: &str, now: DateTime<Utc>) -> Vec<String> {
    let mut lines = vec![emf_line(report, function_name, now)];
    for (path, time) in [
        ("s3", report.earliest_event_time.as_deref()),
        (
            "eventbridge",
            report.eventbridge_earliest_event_time.as_deref(),
        ),
    ] {
        let Some(lag) = lag_seconds(time, now) else {
            continue;
        };
        lines.push(
            json!({
                "_aws": {
                    "Timestamp": now.timestamp_millis(),
                    "CloudWatchMetrics": [{
                        "Namespace": NAMESPACE,
                        "Dimensions": [["FunctionName", "Path"]],
                        "Metrics": [{"Name": "LagSeconds", "Unit": "Seconds"}],
                    }],
                },
                "FunctionName": function_label(function_name),
                "Path": path,
                "LagSeconds": lag,
            })
            .to_string(),
        );
    }
    lines
}

fn function_label(function_name: &str) -> &str {
    if function_name.is_empty() {
        "local"
    } else {
        function_name
    }
}

/// The EMF line for one invocation.
pub fn emf_line(report: &Report, function_name: &str, now: DateTime<Utc>) -> String {
    let values = metrics(report, now);
    let mut doc = serde_json::Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": now.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["FunctionName"]],
                "Metrics": values.iter().map(|(name, unit, _)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
            }],
        }),
    );
    doc.insert("FunctionName".into(), json!(function_label(function_name)));
    for (metric, _, value) in values {
        doc.insert(metric.into(), value);
    }
    Value::Object(doc).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_declares_every_metric_it_carries() {
        let mut s = Report {
            objects: 2,
            records: 100,
            unevaluated: 2,
            findings: 7,
            published: 6,
            bytes: 4096,
            earliest_event_time: Some("2026-11-23T10:00:00Z".into()),
            ..Report::default()
        };
        s.skipped.insert("digest".into(), 3);
        let now = DateTime::parse_from_rfc3339("2026-11-23T10:05:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let line = emf_line(&s, "trailwarden-alerter", now);
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        let declared = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "trailwarden");
        assert_eq!(v["_aws"]["Timestamp"], now.timestamp_millis());
        assert_eq!(v["FunctionName"], "trailwarden-alerter");
        for m in declared["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            assert!(
                v.get(name).is_some_and(Value::is_number),
                "{name} declared but missing"
            );
        }
        assert_eq!(v["Records"], 100);
        assert_eq!(v["SkippedObjects"], 3);
        assert_eq!(v["UnevaluatedRecords"], 2);
        assert_eq!(v["LagSeconds"], 330.0);
    }

    #[test]
    fn lag_per_path_on_lines_of_their_own_and_the_dedup_counters() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T10:05:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let s = Report {
            eventbridge_records: 1,
            eventbridge_earliest_event_time: Some("2026-11-23T10:05:27.5Z".into()),
            deduplicated: 2,
            dedup_unavailable: 1,
            foreign_events_refused: 4,
            dedup_mark_unauthenticated: 3,
            ..Report::default()
        };
        let lines = emf_lines(&s, "fn", now);
        assert_eq!(lines.len(), 2, "no log file read: no s3 lag line");
        let main: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(
            (
                main["Deduplicated"].as_u64(),
                main["DedupUnavailable"].as_u64()
            ),
            (Some(2), Some(1))
        );
        assert_eq!(main["ForeignEventsRefused"].as_u64(), Some(4));
        assert_eq!(main["DedupMarkUnauthenticated"].as_u64(), Some(3));
        assert_eq!(
            main["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["FunctionName"]])
        );
        assert!(
            main.get("LagSeconds").is_none(),
            "the FunctionName-only lag stays the log files'"
        );
        let eb: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(eb["Path"], "eventbridge");
        assert_eq!(eb["LagSeconds"], 2.5);
        assert_eq!(eb["FunctionName"], "fn");
        let directive = &eb["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Dimensions"], json!([["FunctionName", "Path"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "LagSeconds", "Unit": "Seconds"}])
        );

        let both = Report {
            earliest_event_time: Some("2026-11-23T10:00:30Z".into()),
            ..s
        };
        let lines = emf_lines(&both, "fn", now);
        let paths: Vec<(String, f64)> = lines[1..]
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|v| {
                (
                    v["Path"].as_str().unwrap().to_owned(),
                    v["LagSeconds"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            paths,
            [("s3".to_owned(), 300.0), ("eventbridge".to_owned(), 2.5)]
        );
    }

    #[test]
    fn no_event_time_means_no_lag_metric() {
        let v: Value = serde_json::from_str(&emf_line(&Report::default(), "", Utc::now())).unwrap();
        assert!(v.get("LagSeconds").is_none());
        assert_eq!(v["FunctionName"], "local");
    }
}
