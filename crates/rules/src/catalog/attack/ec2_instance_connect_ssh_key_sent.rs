//! An SSH key pushed to an instance through EC2 Instance Connect.

use super::common::{is_call, made_by_aws_service, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful `SendSSHPublicKey` (eventSource `ec2-instance-connect.amazonaws.com`; no `errorCode`,
/// no `errorMessage`) that a principal made itself, not an AWS service on its behalf. The instance and OS user
/// are `requestParameters.instanceId` and `instanceOSUser`.
///
/// Medium severity: teams that use Instance Connect as their SSH access will see it for every login; exclude
/// their roles. Keys pushed to many instances by one principal within minutes are a threshold rule's job.
///
/// Code, not a pattern: it excludes service-invoked calls.
pub const RULE: Rule = Rule {
    id: "ec2-instance-connect-ssh-key-sent",
    title: "SSH key pushed to an instance with EC2 Instance Connect",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1098.004" },
        Control { framework: "MITRE ATT&CK", id: "T1021.004" },
        Control { framework: "Stratus Red Team", id: "aws.lateral-movement.ec2-instance-connect" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["SendSSHPublicKey"]),
        detect,
    },
    rationale: "Instance Connect installs a caller-chosen SSH public key on the instance for 60 seconds: whoever holds \
                ec2-instance-connect:SendSSHPublicKey can log in to the instance as any OS user it names.",
    next_steps: "Check the instance and OS user (requestParameters.instanceId, instanceOSUser) and whether the caller \
                 administers that instance; look for the SSH login in the instance's auth log; if unexpected, \
                 isolate the instance and revoke the caller's credentials.",
};

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    (is_call(record, "ec2-instance-connect.amazonaws.com", &["SendSSHPublicKey"])
        && succeeded(record)
        && !made_by_aws_service(record))
    .then_some(Hit::PLAIN)
}
