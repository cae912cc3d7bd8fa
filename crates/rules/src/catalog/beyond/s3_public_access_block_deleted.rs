//! S3 bucket Block Public Access removed.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `DeleteBucketPublicAccessBlock` (eventSource `s3.amazonaws.com`; successful = no
/// `errorCode` and no `errorMessage`). The bucket is `requestParameters.bucketName`. The account-level block
/// (`DeleteAccountPublicAccessBlock`) is reported by `security-configuration-change`. A
/// `PutBucketPublicAccessBlock` that sets some flags to false is not covered.
///
/// Pattern: `{ ($.eventSource = "s3.amazonaws.com") && ($.eventName = "DeleteBucketPublicAccessBlock") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
///
/// ATT&CK has no technique for the change itself; it is the usual precursor of exposing a bucket, cited as
/// T1530 (Data from Cloud Storage).
pub const RULE: Rule = Rule {
    id: "s3-public-access-block-deleted",
    title: "S3 bucket public access block deleted",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1530" }],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "s3.amazonaws.com") && ($.eventName = "DeleteBucketPublicAccessBlock") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "Block Public Access is the guard that keeps a bucket private even if a policy or ACL says otherwise. \
                Without it, one PutBucketPolicy or PutObjectAcl makes the data readable by anyone on the internet; \
                attackers remove it before exposing or staging data.",
    next_steps: "Check whether the bucket is meant to be public (a website, public datasets); if not, restore the \
                 block (PutPublicAccessBlock with all four flags true); look for PutBucketPolicy, PutBucketAcl or \
                 PutObjectAcl on the bucket since; check the account-level block is still on.",
};
