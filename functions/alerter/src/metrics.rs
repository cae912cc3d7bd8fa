//! CloudWatch Embedded Metric Format (EMF): one JSON line per invocation, printed on stdout, which CloudWatch
//! Logs turns into metrics in the `trailwarden` namespace (no PutMetricData call, no extra permission).
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use crate::summary::Summary;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// The namespace of every metric.
pub const NAMESPACE: &str = "trailwarden";

/// Metric name, unit and value, in the order they are emitted.
fn metrics(summary: &Summary, now: DateTime<Utc>) -> Vec<(&'static str, &'static str, Value)> {
    let skipped: u64 = summary.skipped.values().sum();
    let mut m = vec![
        ("LogFiles", "Count", json!(summary.objects)),
        ("FailedLogFiles", "Count", json!(summary.failed_objects)),
        ("SkippedObjects", "Count", json!(skipped)),
        ("Records", "Count", json!(summary.records)),
        ("MalformedRecords", "Count", json!(summary.malformed)),
        ("UnevaluatedRecords", "Count", json!(summary.unevaluated)),
        ("Findings", "Count", json!(summary.findings)),
        ("Suppressed", "Count", json!(summary.suppressed)),
        ("Published", "Count", json!(summary.published)),
        ("StormFolded", "Count", json!(summary.storm_folded)),
        ("BytesRead", "Bytes", json!(summary.bytes)),
    ];
    // Detection lag: from the oldest event read to now (CloudTrail's delivery delay plus ours).
    if let Some(lag) = summary
        .earliest_event_time
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| (now - t.with_timezone(&Utc)).num_milliseconds() as f64 / 1000.0)
    {
        m.push(("LagSeconds", "Seconds", json!(lag.max(0.0))));
    }
    m
}

/// The EMF line for one invocation.
pub fn emf_line(summary: &Summary, function_name: &str, now: DateTime<Utc>) -> String {
    let values = metrics(summary, now);
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
    let name = if function_name.is_empty() {
        "local"
    } else {
        function_name
    };
    doc.insert("FunctionName".into(), json!(name));
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
        let mut s = Summary {
            objects: 2,
            records: 100,
            unevaluated: 2,
            findings: 7,
            published: 6,
            bytes: 4096,
            earliest_event_time: Some("2026-11-23T10:00:00Z".into()),
            ..Summary::default()
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
    fn no_event_time_means_no_lag_metric() {
        let v: Value =
            serde_json::from_str(&emf_line(&Summary::default(), "", Utc::now())).unwrap();
        assert!(v.get("LagSeconds").is_none());
        assert_eq!(v["FunctionName"], "local");
    }
}
