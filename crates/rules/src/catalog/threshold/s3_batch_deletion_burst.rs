//! Burst of S3 batch deletions (`DeleteObjects`): a threshold rule (see [`crate::threshold`]).

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity, threshold::Threshold};

/// Fires when one principal makes at least 3 successful `DeleteObjects` calls on one bucket within 10 minutes.
/// Each call deletes up to 1,000 objects (or object versions) and its record names none of them
/// (`requestParameters.delete` is empty), so calls are what can be counted: three are up to 3,000 objects, the
/// shape of Stratus Red Team's s3-ransomware-batch-deletion (ListObjectVersions, then DeleteObjects in batches
/// until the bucket is empty). S3 data events only: without a trail that logs them, this rule sees nothing.
/// Calls by AWS services for you, and lifecycle expirations (not API calls), do not count.
///
/// False positives: clean-up jobs that empty prefixes in batches (build caches, temporary exports); exclude their
/// role for their bucket. (`s3-object-deletion-burst` counts the one-by-one form.)
///
/// Threshold: at least 3 events within 10 minutes per userIdentity.arn + requestParameters.bucketName.
///
/// Filter: `{ ($.eventSource = "s3.amazonaws.com") && ($.eventName = "DeleteObjects") && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }`
pub const RULE: Rule = Rule {
    id: "s3-batch-deletion-burst",
    title: "Burst of S3 batch deletions",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1485" }, Control { framework: "Stratus Red Team", id: "aws.impact.s3-ransomware-batch-deletion" }],
    detection: Detection::Threshold(Threshold {
        filter: r#"{ ($.eventSource = "s3.amazonaws.com") && ($.eventName = "DeleteObjects") && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }"#,
        group_by: &["userIdentity.arn", "requestParameters.bucketName"],
        window_minutes: 10,
        count: 3,
        distinct: &[],
    }),
    rationale: "Ransomware against S3 empties a bucket a thousand objects at a time with DeleteObjects, usually after \
                listing every version and copying the data out (Stratus Red Team s3-ransomware-batch-deletion); \
                three batch deletions in one bucket by one principal within minutes are up to 3,000 objects gone.",
    next_steps: "Check the principal, source IP and user agent; look for ListObjectVersions and GetObject by it just \
                 before (exfiltration) and a new object afterwards (a ransom note); if unexplained, revoke its \
                 credentials, restore from noncurrent versions or backups, and protect the bucket with Object Lock \
                 or MFA delete.",
};
