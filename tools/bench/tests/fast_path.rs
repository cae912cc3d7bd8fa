//! The fast-path measurement's code path on a real moto_server with a tiny N: every measured event went through
//! the handler to SNS (moto holds each published message), in both modes, with the findings the rules give;
//! no timing is asserted (the figures belong to `make bench`).

use bench::fast_path::{measure, root_sign_in, sqs_batch_of_one, Latency, Opts};
use serde_json::Value;
use std::time::Duration;
use test_support::MotoServer;

#[test]
fn every_measured_event_is_published_through_sns_in_both_modes() {
    let moto = MotoServer::start().expect("moto_server (make tools)");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = Opts {
        events: 3,
        warmup: 1,
    };
    let report = runtime.block_on(measure(&moto.endpoint(), &opts)).unwrap();
    assert_eq!(report.events, 3);
    // A root console sign-in without MFA: the recommended profile's root rules find it.
    assert!(report.findings_per_event >= 1);
    for l in [
        &report.dedup_off,
        &report.dedup_on,
        &report.dedup_read,
        &report.dedup_write,
        &report.dedup_write_one,
    ] {
        assert_eq!(l.samples, 3);
        assert!(l.min_ms <= l.p50_ms && l.p50_ms <= l.p99_ms && l.p99_ms <= l.max_ms);
    }

    // moto's own record of the topic: every event of both modes (warm-up included) published its alerts once.
    let data: Value = serde_json::from_str(&moto.get("/moto-api/data.json").unwrap()).unwrap();
    let topic = data["sns"]["Topic"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            t["arn"]
                .as_str()
                .unwrap()
                .ends_with(":trailwarden-bench-alerts")
        })
        .unwrap();
    let sent = topic["sent_notifications"].as_array().unwrap();
    assert_eq!(sent.len(), 2 * (1 + 3) * report.findings_per_event);
    let event_ids: std::collections::BTreeSet<String> = sent
        .iter()
        .map(|n| {
            let structure: Value = serde_json::from_str(n[1].as_str().unwrap()).unwrap();
            let alert: Value =
                serde_json::from_str(structure["default"].as_str().unwrap()).unwrap();
            alert["event_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        event_ids.len(),
        2 * (1 + 3),
        "one distinct record per event"
    );
}

#[test]
fn the_batch_is_one_eventbridge_event_with_the_record_as_detail() {
    let record = root_sign_in(7);
    let batch = sqs_batch_of_one(&record, 7);
    let records = batch["Records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    let body: Value = serde_json::from_str(records[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["detail-type"], "AWS Console Sign In via CloudTrail");
    assert_eq!(body["detail"], record);
    assert_ne!(root_sign_in(8)["eventID"], record["eventID"]);
}

#[test]
fn percentiles_are_nearest_rank() {
    let samples: Vec<Duration> = (1..=200).rev().map(Duration::from_millis).collect();
    let l = Latency::of(&samples);
    assert_eq!(l.samples, 200);
    assert_eq!((l.p50_ms, l.p99_ms), (100.0, 198.0));
    assert_eq!((l.min_ms, l.max_ms), (1.0, 200.0));
    assert_eq!(l.mean_ms, 100.5);
}
