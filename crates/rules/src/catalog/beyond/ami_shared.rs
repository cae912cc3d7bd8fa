//! An AMI shared with another account or made public.

use super::common::ec2_shared_outside;
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful `ModifyImageAttribute` (eventSource `ec2.amazonaws.com`; no `errorCode`, no
/// `errorMessage`) that adds a launch permission, i.e. one of `requestParameters.launchPermission.add.items[*]`
/// has
/// * `group = "all"`: the image is now public (note "shared publicly (group all)"), or
/// * a `userId` (an account id) that is not the recipient account and not one of the configured trusted
///   accounts.
///
/// Removing permissions, a `group` other than `all`, grants only to trusted accounts, and grants to an
/// organization or organizational unit (`organizationArn`, `organizationalUnitArn`: inside your own
/// organization) do not fire.
///
/// Code, not a pattern: it looks at every element of the `items` array and consults the trusted accounts.
pub const RULE: Rule = Rule {
    id: "ami-shared",
    title: "AMI shared with another account",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1537" },
        Control { framework: "Stratus Red Team", id: "aws.exfiltration.ec2-share-ami" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["ModifyImageAttribute"]),
        detect,
    },
    rationale: "An image carries the disks of the instance it was made from. Once shared, the other account can \
                launch it, or copy it, and read everything on those disks; a public image is readable by anyone \
                (Stratus Red Team ec2-share-ami).",
    next_steps: "Identify the image (requestParameters.imageId) and which instance it was built from; check whether \
                 the receiving account is one of yours; if not, remove the launch permission, assume the data is \
                 copied and investigate the caller; enable Block Public Access for AMIs in the region.",
};

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    ec2_shared_outside(record, context, "ModifyImageAttribute", "launchPermission")
}
