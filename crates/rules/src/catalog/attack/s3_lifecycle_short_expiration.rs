//! An S3 lifecycle rule that deletes objects within days.

use super::common::{is_call, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Objects expiring after this many days or fewer make a lifecycle rule "short".
pub const MAX_DAYS: u64 = 7;

/// Fires on a successful `PutBucketLifecycle` (eventSource `s3.amazonaws.com`; no `errorCode`, no
/// `errorMessage`) one of whose rules (`requestParameters.LifecycleConfiguration.Rule`, one object or a list)
/// is not `Disabled` and expires objects after at most 7 days: `Expiration.Days` or
/// `NoncurrentVersionExpiration.NoncurrentDays` ≤ 7 (a number, or a string holding one).
///
/// Which bucket holds a trail's logs is not in the record, so the rule fires for any bucket; a short expiration
/// is set rarely (once, when a scratch bucket is made), so that is tolerable, and one on a log bucket is what
/// matters. Expirations by date (`Expiration.Date`) and transitions do not fire.
///
/// Code, not a pattern: the rules may be a list, and the day counts are compared as numbers.
pub const RULE: Rule = Rule {
    id: "s3-lifecycle-short-expiration",
    title: "S3 lifecycle rule deletes objects within a week",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1562.008" },
        Control { framework: "MITRE ATT&CK", id: "T1485" },
        Control { framework: "Stratus Red Team", id: "aws.defense-evasion.cloudtrail-lifecycle-rule" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["PutBucketLifecycle"]),
        detect,
    },
    rationale: "A one-day expiration on the bucket a trail writes to deletes the audit log the day after it is \
                written, quietly, without stopping the trail; on a data bucket it is a slow, scheduled deletion.",
    next_steps: "Check whether the bucket (requestParameters.bucketName) is a trail's, a log bucket or a scratch \
                 bucket; if it holds logs or data, restore the intended lifecycle configuration and check object \
                 versioning and backups for what was already expired.",
};

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    if !is_call(record, "s3.amazonaws.com", &["PutBucketLifecycle"]) || !succeeded(record) {
        return None;
    }
    let rules = record
        .get("requestParameters")?
        .get("LifecycleConfiguration")?
        .get("Rule")?;
    let short = |rule: Node<'_>| {
        rule.get("Status").and_then(|s| s.as_str()) != Some("Disabled")
            && [("Expiration", "Days"), ("NoncurrentVersionExpiration", "NoncurrentDays")]
                .iter()
                .any(|(block, key)| {
                    rule.get(block)
                        .and_then(|b| b.get(key))
                        .and_then(|d| d.as_number_text().or_else(|| d.as_str()))
                        .and_then(|d| d.trim().parse::<u64>().ok())
                        .is_some_and(|d| d <= MAX_DAYS)
                })
    };
    let fires = match rules.as_array() {
        Some(mut list) => list.any(short),
        None => rules.as_object().is_some_and(short),
    };
    fires.then_some(Hit::PLAIN)
}
