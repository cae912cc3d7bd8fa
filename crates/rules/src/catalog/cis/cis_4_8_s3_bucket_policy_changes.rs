//! CIS 4.8: S3 bucket policy changes.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.8 / v1.4–v5.0 4.8 / v6.0–v7.0 5.8, Security Hub CloudWatch.8:
/// "Ensure a log metric filter and alarm exist for S3 bucket policy changes".
///
/// Pattern (SH-2023 l.872, WDX l.475), verbatim:
/// `{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}`
///
/// Versions: unchanged from v1.2 to v7.0 apart from spacing.
///
/// Known false positives and gaps: besides access (ACL, policy) it covers CORS, lifecycle and replication
/// changes, which IaC tools touch constantly. Failed attempts match too. The `eventSource` guard excludes S3 on
/// Outposts (`s3-outposts.amazonaws.com`). Not covered: `PutBucketPublicAccessBlock` /
/// `DeleteBucketPublicAccessBlock` (see beyond-CIS `s3-public-access-block-deleted`), `PutBucketOwnershipControls`,
/// `PutObjectAcl`, access points.
///
/// Severity: medium. A bucket policy or ACL change can make data public or grant another account access, but
/// most hits are deployments; the policy document decides.
pub const RULE: Rule = Rule {
    id: "cis-4.8-s3-bucket-policy-changes",
    title: "S3 bucket policy or configuration changed",
    severity: Severity::Medium,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.8" },
        Control { framework: "CIS v1.4-v5.0", id: "4.8" },
        Control { framework: "CIS v6.0-v7.0", id: "5.8" },
        Control { framework: "Security Hub", id: "CloudWatch.8" },
    ],
    detection: Detection::Pattern(
        "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}",
    ),
    rationale: "Bucket policies and ACLs decide who can read and write a bucket's data. One changed statement can expose \
                a bucket to the internet or to another account; replication can copy every new object elsewhere, and a \
                lifecycle rule can expire data silently.",
    next_steps: "Read requestParameters (bucketName and the policy, ACL, replication or lifecycle document): look for \
                 Principal \"*\", AllUsers/AuthenticatedUsers grants, foreign account ids or a replication destination \
                 outside the organization; check whether the caller is the expected pipeline; if exposure is \
                 unintended, restore the previous policy, confirm the account-level Block Public Access setting and \
                 review access logs for reads since the change.",
};
