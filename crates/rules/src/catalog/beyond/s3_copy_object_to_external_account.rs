//! An S3 object copied into a bucket of another, untrusted account.

use super::common::{event_name, event_source, id_at, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful S3 `CopyObject` data event (eventSource `s3.amazonaws.com`; no `errorCode`, no
/// `errorMessage`) that copies between buckets of **different accounts into an account that is neither the
/// recipient nor trusted**:
/// * the destination bucket is `requestParameters.bucketName`; its owner is the `accountId` of the
///   `resources[]` entry of type `AWS::S3::Bucket` whose ARN is `arn:<partition>:s3:::<that bucket>`;
/// * the source bucket(s) are the other `AWS::S3::Bucket` entries of `resources[]` with an `accountId`;
/// * it fires when the destination owner differs from a source owner, is not `recipientAccountId` and is not
///   one of the configured trusted accounts.
///
/// Limits, all of which make the rule abstain rather than guess:
/// * `CopyObject` is a data event: nothing is logged unless the trail records S3 data events for the bucket.
/// * CloudTrail lists the bucket owner's `accountId` in `resources[]` for successful calls, but removes it in
///   some cross-account cases ("Redacting bucket owner account IDs for data events called by other accounts",
///   CloudTrail User Guide); a bucket entry without `accountId` cannot be attributed.
/// * Copies within one bucket, or records whose `resources[]` lack the source or destination bucket, do not
///   fire; nor does `UploadPartCopy` (multipart copies), nor do S3 Batch Operations or replication, which are
///   logged differently.
///
/// Code, not a pattern: it relates array elements to a request field and to each other.
pub const RULE: Rule = Rule {
    id: "s3-copy-object-to-external-account",
    title: "S3 object copied to another account's bucket",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1537" }],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["CopyObject"]),
        detect,
    },
    rationale: "CopyObject moves data server-side, inside S3: no download, no egress traffic to notice. Copying \
                from a bucket of one account into a bucket owned by an account you do not trust is how data is \
                exfiltrated to an attacker-controlled account.",
    next_steps: "Identify the source object (requestParameters x-amz-copy-source) and the destination bucket and \
                 its account; decide whether that account is one of yours (then add it to the trusted accounts); \
                 if not, treat the object as leaked, find how the caller got write access to the destination and \
                 read access to the source, and look for other copies by the same principal.",
};

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    if event_name(record) != Some("CopyObject")
        || event_source(record) != Some("s3.amazonaws.com")
        || !succeeded(record)
    {
        return None;
    }
    let destination = id_at(record, &["requestParameters", "bucketName"])?;
    let recipient = id_at(record, &["recipientAccountId"])?;
    let buckets = record.get("resources")?.as_array()?;
    let owned_buckets = || {
        buckets.clone().filter_map(|r| {
            if r.get("type")?.as_str()? != "AWS::S3::Bucket" {
                return None;
            }
            let name = r.get("ARN")?.as_str()?.split_once(":::")?.1;
            Some((name, id_at(r, &["accountId"])?))
        })
    };
    let (_, destination_owner) = owned_buckets().find(|(name, _)| *name == destination)?;
    if destination_owner == recipient || context.trusted_accounts.contains(destination_owner) {
        return None;
    }
    owned_buckets()
        .any(|(name, owner)| name != destination && owner != destination_owner)
        .then_some(Hit::PLAIN)
}
