//! Burst of S3 object deletions: a threshold rule (see [`crate::threshold`]).

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity, threshold::Threshold};

/// Fires when one principal successfully deletes at least 50 distinct objects (`requestParameters.key`) of one
/// bucket within 10 minutes. `DeleteObjects` names none of the up to 1,000 objects it deletes, so each call counts
/// as one object of its own. S3 data events only: without a trail that logs them, this rule sees nothing.
/// Lifecycle expirations are not API calls and deletions by AWS services for you do not count.
///
/// False positives: a clean-up job deleting many objects by hand-written code; exclude its role for its bucket.
///
/// Threshold: at least 50 distinct requestParameters.key within 10 minutes per userIdentity.arn + requestParameters.bucketName.
///
/// Filter: `{ ($.eventSource = "s3.amazonaws.com") && (($.eventName = "DeleteObject") || ($.eventName = "DeleteObjects")) && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }`
pub const RULE: Rule = Rule {
    id: "s3-object-deletion-burst",
    title: "Burst of S3 object deletions",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1485" }, Control { framework: "Stratus Red Team", id: "aws.impact.s3-ransomware-individual-deletion" }],
    detection: Detection::Threshold(Threshold {
        filter: r#"{ ($.eventSource = "s3.amazonaws.com") && (($.eventName = "DeleteObject") || ($.eventName = "DeleteObjects")) && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }"#,
        group_by: &["userIdentity.arn", "requestParameters.bucketName"],
        window_minutes: 10,
        count: 50,
        distinct: &["requestParameters.key"],
    }),
    rationale: "Ransomware against S3 empties a bucket object by object (or version by version) after copying it, then leaves a ransom note (Stratus Red Team s3-ransomware-individual-deletion); a burst of deletions in one bucket by one principal is the moment to stop it.",
    next_steps: "Check the principal, source IP and user agent; look for earlier GetObject/ListObjectVersions by it (exfiltration) and a new object (ransom note); if unexplained, revoke its credentials, restore from versions or backups and enable Object Lock or MFA delete where it matters.",
};
