//! Account-wide discovery calls made with an EC2 instance's role credentials.

use super::common::{event_name, is_instance_session};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// The identity-enumeration calls a workload rarely needs and an intruder on an instance makes first.
const EVENTS: &[&str] = &["GetAccountAuthorizationDetails", "ListUsers", "GetAccountSummary"];

/// Fires on `GetAccountAuthorizationDetails`, `ListUsers` or `GetAccountSummary` (IAM), whatever the outcome
/// (denied discovery is still discovery), made with an EC2 instance's role credentials: `userIdentity.type =
/// AssumedRole`, ARN `…:assumed-role/<role>/i-<id>`, `userIdentity.sessionContext.ec2RoleDelivery` a non-empty
/// string.
///
/// Stratus Red Team's detonation also calls `ListRoles`, `ListDetectors`, `DescribeTrails`, `ListBuckets`,
/// `DescribeSnapshots` and `GetCallerIdentity`; those are left out because monitoring agents and ordinary
/// workloads on instances call them all day (on `make bench`'s busy-account mix, `ListRoles`, `ListDetectors`
/// and `DescribeTrails` from instance roles made 261 findings per 100,000 records). False positives left:
/// security and inventory tools running on instances (exclude their roles).
///
/// Code, not a pattern: "an instance session" is a test on the ARN's session name and the session context.
pub const RULE: Rule = Rule {
    id: "instance-role-discovery",
    title: "Account discovery from an EC2 instance's role",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1580" },
        Control { framework: "MITRE ATT&CK", id: "T1087.004" },
        Control { framework: "Stratus Red Team", id: "aws.discovery.ec2-enumerate-from-instance" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(EVENTS),
        detect,
    },
    rationale: "Applications on an instance call the few services they use; listing the account's users, or \
                downloading every IAM policy, from an instance is what an intruder with a shell on it does to learn \
                what the role can reach and whom to impersonate next.",
    next_steps: "Identify the instance (the session name is its id) and what runs on it; if no tool there should make \
                 these calls, isolate the instance, revoke the role's sessions and look at its other calls.",
};

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    (event_name(record).is_some_and(|n| EVENTS.contains(&n)) && is_instance_session(record))
        .then_some(Hit::PLAIN)
}
