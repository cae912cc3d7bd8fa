//! EBS encryption by default turned off.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `DisableEbsEncryptionByDefault` (eventSource `ec2.amazonaws.com`; successful = no
/// `errorCode` and no `errorMessage`). The setting is per region; the record's `awsRegion` says which.
///
/// Pattern: `{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "DisableEbsEncryptionByDefault") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
///
/// ATT&CK has no technique for weakening encryption defaults; it is cited as impairing a defence (T1562.001).
/// It also enables exfiltration: snapshots of unencrypted volumes can be shared with any account, while
/// volumes encrypted with the AWS-managed key cannot be shared at all.
pub const RULE: Rule = Rule {
    id: "ebs-default-encryption-disabled",
    title: "EBS encryption by default disabled",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1562.001" }],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "DisableEbsEncryptionByDefault") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "New EBS volumes and snapshot copies in this region will no longer be encrypted unless each request \
                asks for it. Unencrypted volumes break most compliance baselines, and their snapshots can be shared \
                with any account, which makes them an easy way to copy data out.",
    next_steps: "Check whether the change was planned; re-enable it (EnableEbsEncryptionByDefault) in the region; \
                 list volumes and snapshots created since then without encryption; look for \
                 ModifySnapshotAttribute calls sharing them.",
};
