//! S3 objects written with a customer-provided encryption key (SSE-C).

use super::common::{is_call, str_at, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful `CopyObject`, `PutObject` or `CreateMultipartUpload` data event (eventSource
/// `s3.amazonaws.com`; no `errorCode`, no `errorMessage`) whose request names a customer-provided key algorithm
/// (`requestParameters.x-amz-server-side-encryption-customer-algorithm` present): the object is encrypted with
/// a key AWS does not keep.
///
/// Needs S3 data events in the trail. False positives: the rare applications that use SSE-C on purpose
/// (exclude their roles or buckets).
///
/// Code, not a pattern: the field name contains hyphens, which the filter-pattern selector syntax does not take.
pub const RULE: Rule = Rule {
    id: "s3-object-encrypted-with-customer-key",
    title: "S3 object encrypted with a customer-provided key (SSE-C)",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1486" },
        Control { framework: "Stratus Red Team", id: "aws.impact.s3-ransomware-client-side-encryption" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["CopyObject", "PutObject", "CreateMultipartUpload"]),
        detect,
    },
    rationale: "Rewriting objects in place with SSE-C and a key only the attacker holds is S3 ransomware: the objects \
                are still there, unreadable without the key, and AWS cannot recover them (the Codefinger campaign).",
    next_steps: "Identify the bucket and keys (requestParameters.bucketName, key) and the caller; revoke the caller's \
                 credentials; restore earlier object versions if versioning is on; block SSE-C with a bucket policy \
                 denying s3:PutObject when s3:x-amz-server-side-encryption-customer-algorithm is present.",
};

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    (is_call(
        record,
        "s3.amazonaws.com",
        &["CopyObject", "PutObject", "CreateMultipartUpload"],
    ) && succeeded(record)
        && str_at(
            record,
            &["requestParameters", "x-amz-server-side-encryption-customer-algorithm"],
        )
        .is_some_and(|a| !a.is_empty()))
    .then_some(Hit::PLAIN)
}
