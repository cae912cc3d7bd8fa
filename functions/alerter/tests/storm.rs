//! Storm control: the budget is per rule and principal, critical and `unevaluated-record` findings are never
//! folded, and a flood of invented principals stops at the rule's ceiling. Findings come from the real rules
//! evaluated on records.

mod common;

use alerter::alert::Alert;
use alerter::storm::{never_folded, Admission, StormControl, STORM_CEILING_FACTOR};
use common::finding;
use rules::unevaluated::Recovered;
use rules::{AlertSettings, Finding, Severity, UNEVALUATED_RECORD};

const BUCKET: &str = "trailwarden-logs";
const KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/f.json.gz";
const DENIED: &str = "cis-4.1-unauthorized-api-calls";
const STOPPED: &str = "cloudtrail-stopped-or-deleted";

fn arn(who: &str) -> String {
    format!("arn:aws:iam::111122223333:user/{who}")
}

/// An AccessDenied call by `who` (CIS 4.1, medium).
fn denied(i: usize, who: &str) -> Alert {
    let raw = format!(
        r#"{{"eventID":"e{i:05}","eventName":"ListBuckets","eventSource":"s3.amazonaws.com","eventTime":"2024-01-15T12:00:00Z","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.1","recipientAccountId":"111122223333","awsRegion":"us-east-1","userIdentity":{{"type":"IAMUser","arn":"{}"}}}}"#,
        arn(who)
    );
    Alert::new(finding(DENIED, &raw), BUCKET, KEY)
}

/// A StopLogging by `who` (critical).
fn stopped(i: usize, who: &str) -> Alert {
    let raw = format!(
        r#"{{"eventID":"s{i:05}","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventTime":"2024-01-15T12:00:00Z","recipientAccountId":"111122223333","awsRegion":"us-east-1","userIdentity":{{"type":"IAMUser","arn":"{}"}}}}"#,
        arn(who)
    );
    Alert::new(finding(STOPPED, &raw), BUCKET, KEY)
}

fn storm() -> StormControl {
    StormControl::new(AlertSettings::default(), "invocation-1")
}

#[test]
fn a_noisy_caller_cannot_use_up_another_callers_alerts() {
    let mut s = storm();
    let noisy: Vec<Admission> = (0..50).map(|i| s.admit(&denied(i, "noisy"))).collect();
    assert_eq!(
        noisy.iter().filter(|a| **a == Admission::Send).count(),
        10,
        "the noisy caller's first 10"
    );
    assert!(noisy[..10].iter().all(|a| *a == Admission::Send));
    assert!(noisy[10..].iter().all(|a| *a == Admission::Fold));
    // Same rule, another principal: sent on its own, not folded into the noisy caller's storm.
    assert_eq!(s.admit(&denied(50, "quiet")), Admission::Send);
    // And the noisy caller is still folded.
    assert_eq!(s.admit(&denied(51, "noisy")), Admission::Fold);

    assert_eq!(s.folded(), 41);
    let summaries = s.digests();
    assert_eq!(summaries.len(), 1);
    let summary = &summaries[0];
    assert_eq!(summary.rule_id, DENIED);
    assert_eq!(summary.count, 41);
    assert_eq!(summary.sent_individually, 11);
    assert_eq!(summary.top_principals, vec![(arn("noisy"), 41)]);
    assert_eq!(summary.files, vec![(BUCKET.to_owned(), KEY.to_owned())]);
}

#[test]
fn each_principal_has_its_own_budget_per_rule() {
    let settings = AlertSettings {
        storm_limits: [(DENIED.to_owned(), 2)].into_iter().collect(),
        ..AlertSettings::default()
    };
    let mut s = StormControl::new(settings, "invocation-1");
    let admitted: Vec<Admission> = ["a", "b", "a", "b", "a", "c", "b"]
        .iter()
        .enumerate()
        .map(|(i, who)| s.admit(&denied(i, who)))
        .collect();
    use Admission::{Fold, Send};
    assert_eq!(admitted, [Send, Send, Send, Send, Fold, Send, Fold]);
    let summary = &s.digests()[0];
    assert_eq!(summary.sent_individually, 5);
    assert_eq!(summary.top_principals, vec![(arn("a"), 1), (arn("b"), 1)]);
}

#[test]
fn a_critical_rule_is_never_folded() {
    let mut s = storm();
    for i in 0..300 {
        let alert = stopped(i, "mallory");
        assert_eq!(alert.finding.severity, Severity::Critical);
        assert!(never_folded(&alert.finding));
        assert_eq!(s.admit(&alert), Admission::Send, "StopLogging #{i}");
    }
    assert_eq!(s.folded(), 0);
    assert!(s.digests().is_empty());
}

#[test]
fn critical_findings_do_not_spend_the_budget_of_other_rules_or_callers() {
    let mut s = storm();
    for i in 0..100 {
        assert_eq!(s.admit(&stopped(i, "mallory")), Admission::Send);
    }
    for i in 0..10 {
        assert_eq!(s.admit(&denied(i, "mallory")), Admission::Send);
    }
    assert_eq!(s.admit(&denied(10, "mallory")), Admission::Fold);
}

#[test]
fn an_unevaluated_record_is_never_folded() {
    let mut s = storm();
    for i in 0..300 {
        let recovered = Recovered {
            event_name: Some("StopLogging".to_owned()),
            event_source: Some("cloudtrail.amazonaws.com".to_owned()),
            event_id: Some(format!("u{i}")),
            user_arn: Some(arn("mallory")),
        };
        let f = Finding::unevaluated(
            i,
            100 * i as u64,
            "too_deep",
            "nesting over the limit",
            &recovered,
        );
        assert_eq!(f.rule_id, UNEVALUATED_RECORD);
        assert_eq!(
            f.severity,
            Severity::High,
            "not critical: exempt by its rule id"
        );
        let alert = Alert::new(f, BUCKET, KEY);
        assert_eq!(s.admit(&alert), Admission::Send, "unevaluated record #{i}");
    }
    assert_eq!(s.folded(), 0);
    assert!(s.digests().is_empty());
}

#[test]
fn a_flood_of_invented_principals_stops_at_the_rules_ceiling() {
    let mut s = storm();
    let ceiling = 10 * STORM_CEILING_FACTOR;
    let sent = (0..1000)
        .filter(|i| s.admit(&denied(*i, &format!("session-{i}"))) == Admission::Send)
        .count() as u64;
    assert_eq!(
        sent, ceiling,
        "one alert per invented principal, up to the ceiling"
    );
    assert_eq!(s.folded(), 1000 - ceiling);
    // Over the ceiling even a principal with budget left is folded, for this rule only.
    assert_eq!(s.admit(&denied(1000, "session-0")), Admission::Fold);
    assert_eq!(s.admit(&stopped(0, "session-0")), Admission::Send);
    let summary = &s.digests()[0];
    assert_eq!(summary.sent_individually, ceiling);
    assert_eq!(summary.count, 1000 - ceiling + 1);
    assert_eq!(
        summary.top_principals.len(),
        5,
        "the summary lists the top 5"
    );
}

#[test]
fn the_ceiling_follows_the_rules_limit() {
    let settings = AlertSettings {
        storm_limit: 3,
        ..AlertSettings::default()
    };
    let mut s = StormControl::new(settings, "invocation-1");
    let sent = (0..100)
        .filter(|i| s.admit(&denied(*i, &format!("p{}", i % 50))) == Admission::Send)
        .count() as u64;
    assert_eq!(sent, 3 * STORM_CEILING_FACTOR);
}

#[test]
fn oversized_principals_are_counted_in_bounded_memory_but_apart() {
    let mut s = storm();
    let long = "x".repeat(200_000);
    // Eleven findings each of two principals that share their first 200 000 bytes.
    for i in 0..11 {
        s.admit(&denied(i, &format!("{long}a")));
        s.admit(&denied(i, &format!("{long}b")));
    }
    let summary = &s.digests()[0];
    assert_eq!(summary.sent_individually, 20, "ten each: told apart");
    assert_eq!(summary.count, 2);
    assert_eq!(summary.top_principals.len(), 2);
    for (p, n) in &summary.top_principals {
        assert_eq!(*n, 1);
        assert!(p.len() <= 1024, "{} bytes", p.len());
        assert!(p.starts_with("arn:aws:iam::111122223333:user/xxx"), "{p}");
    }
    assert_ne!(summary.top_principals[0].0, summary.top_principals[1].0);
}
