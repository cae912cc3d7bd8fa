//! An S3 bucket policy that grants another account, or anyone, access.

use super::common::{is_call, policy_document, policy_grant, recipient, succeeded, Grant};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful `PutBucketPolicy` (eventSource `s3.amazonaws.com`; no `errorCode`, no `errorMessage`)
/// whose policy (`requestParameters.bucketPolicy`, an object, or a string holding the document) has an `Allow`
/// statement with
/// * the principal `*` (or `{"AWS": "*"}`) and no `Condition`: public (note "granted to anyone (*)"), or
/// * an AWS principal (account id, or IAM/STS ARN) of an account that is neither the recipient account nor a
///   configured trusted account.
///
/// Service principals (`cloudtrail.amazonaws.com`, `logging.s3.amazonaws.com`, …), the account's own
/// principals, trusted accounts and conditioned `*` statements (`aws:SourceVpce`, `aws:PrincipalOrgID`) do not
/// fire.
///
/// Code, not a pattern: the policy is walked statement by statement.
pub const RULE: Rule = Rule {
    id: "s3-bucket-policy-external-principal",
    title: "S3 bucket policy grants another account or anyone",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1537" },
        Control { framework: "MITRE ATT&CK", id: "T1530" },
        Control { framework: "Stratus Red Team", id: "aws.exfiltration.s3-backdoor-bucket-policy" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["PutBucketPolicy"]),
        detect,
    },
    rationale: "A bucket policy naming an outside account lets that account read (or write) the bucket with its own \
                credentials, which nothing in this account logs as a sign-in; a policy granting `*` makes the \
                bucket public.",
    next_steps: "Read the policy (requestParameters.bucketPolicy) and identify the outside principal; if it is not a \
                 known partner, restore the previous policy, check S3 data events or server access logs for reads by \
                 that account, and make sure Block Public Access is on.",
};

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    if !is_call(record, "s3.amazonaws.com", &["PutBucketPolicy"]) || !succeeded(record) {
        return None;
    }
    let policy = policy_document(record.get("requestParameters")?.get("bucketPolicy")?)?;
    match policy_grant(&policy, recipient(record), context)? {
        Grant::Anyone => Some(Hit::noted("granted to anyone (*)")),
        Grant::OtherAccount => Some(Hit::PLAIN),
    }
}
