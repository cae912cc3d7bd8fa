//! An EBS snapshot shared with another account or made public.

use super::common::ec2_shared_outside;
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful `ModifySnapshotAttribute` (eventSource `ec2.amazonaws.com`; no `errorCode`, no
/// `errorMessage`) that adds a create-volume permission, i.e. one of
/// `requestParameters.createVolumePermission.add.items[*]` has
/// * `group = "all"`: the snapshot is now public (note "shared publicly (group all)"), or
/// * a `userId` (an account id) that is not the recipient account and not one of the configured trusted
///   accounts: anyone in that account can now create a volume from it and read the disk.
///
/// Removing permissions (`…remove.items`), a `group` other than `all`, and grants only to trusted accounts
/// (e.g. the organization's backup account) do not fire. With no trusted accounts configured, any account
/// grant fires.
///
/// Code, not a pattern: it looks at every element of the `items` array and consults the trusted accounts.
pub const RULE: Rule = Rule {
    id: "ebs-snapshot-shared",
    title: "EBS snapshot shared with another account",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1537" },
        Control { framework: "Stratus Red Team", id: "aws.exfiltration.ec2-share-ebs-snapshot" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["ModifySnapshotAttribute"]),
        detect,
    },
    rationale: "A shared snapshot is a copy of a whole disk that the other account can turn into a volume and mount: \
                databases, keys and files included. Sharing it with an unknown account, or with everyone, is one \
                API call that moves all of that data out without any network transfer to notice (Stratus Red Team \
                ec2-share-ebs-snapshot).",
    next_steps: "Identify the snapshot (requestParameters.snapshotId) and what volume and instance it came from; check \
                 whether the receiving account is one of yours; if not, remove the permission at once \
                 (ModifySnapshotAttribute with remove), assume the data is copied, and investigate the caller.",
};

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    ec2_shared_outside(
        record,
        context,
        "ModifySnapshotAttribute",
        "createVolumePermission",
    )
}
