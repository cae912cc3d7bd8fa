//! CIS 4.11: network ACL changes.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.11 / v1.4–v5.0 4.11 / v6.0–v7.0 5.11, Security Hub CloudWatch.11:
/// "Ensure a log metric filter and alarm exist for changes to Network Access Control Lists (NACL)".
///
/// Pattern (SH-2023 l.1214, WDX l.550), verbatim:
/// `{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}`
///
/// Versions: unchanged from v1.2 to v7.0 apart from spacing; Level 2 from v1.4.
///
/// Known false positives and gaps: VPC creation by IaC creates and associates NACLs. Failed attempts match too.
/// No `eventSource` guard, but these names exist only in EC2.
///
/// Severity: medium. NACLs are subnet-wide; an allow-all entry or a swapped association exposes every host in
/// the subnet, though NACL edits are rarer than security-group edits and usually planned.
pub const RULE: Rule = Rule {
    id: "cis-4.11-nacl-changes",
    title: "Network ACL changed",
    severity: Severity::Medium,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.11" },
        Control { framework: "CIS v1.4-v5.0", id: "4.11" },
        Control { framework: "CIS v6.0-v7.0", id: "5.11" },
        Control { framework: "Security Hub", id: "CloudWatch.11" },
    ],
    detection: Detection::Pattern(
        "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}",
    ),
    rationale: "Network ACLs are the stateless filter on every subnet boundary. Adding an allow entry, deleting a deny entry \
                or moving a subnet to another ACL changes what can reach, or leave, every resource in that subnet at once.",
    next_steps: "Read requestParameters (networkAclId, ruleNumber, ruleAction, egress, cidrBlock, portRange) and look for \
                 allow rules from 0.0.0.0/0 or removed deny rules; find which subnets use the ACL (ec2 \
                 describe-network-acls); confirm with the network owner or pipeline; restore the previous entries if \
                 the change is not planned.",
};
