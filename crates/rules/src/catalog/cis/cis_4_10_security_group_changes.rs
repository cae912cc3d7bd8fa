//! CIS 4.10: security group changes.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.10 / v1.4–v5.0 4.10 / v6.0–v7.0 5.10, Security Hub CloudWatch.10:
/// "Ensure a log metric filter and alarm exist for security group changes" (v5.0+: "Ensure security group
/// changes are monitored").
///
/// Pattern: the CIS v5.0+ text, verbatim from PRW-5.0 4.10 (remediation and audit text, identical) and
/// PRW-6.0/PRW-7.0 5.10:
/// `{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }`
///
/// Versions: v1.2 to v4.0 and Security Hub (SH-2023 l.1100, WDX l.525) have the first six terms only,
/// `{($.eventName=AuthorizeSecurityGroupIngress) || … || ($.eventName=DeleteSecurityGroup)}`; v5.0 appends
/// `|| ($.eventName = ModifySecurityGroupRules)` (cis-controls.md "Differences" 4; PRW-5.0 notes "AWS has
/// recently introduced a new API, ModifySecurityGroupRules"). The v5.0+ text is a strict superset, so it also
/// satisfies the older controls' intent; Security Hub CloudWatch.10 checks for its own exact text, which this
/// rule's text is not (this only matters to someone copying the pattern into a metric filter).
///
/// Known false positives and gaps: load balancers, EKS, EMR, Lambda-in-VPC and IaC create and edit security
/// groups all the time. Failed attempts match too. Not covered: attaching a group to an instance or interface
/// (`ModifyNetworkInterfaceAttribute`, `ModifyInstanceAttribute`) and rule-description updates.
///
/// Severity: medium. An ingress rule from `0.0.0.0/0` to SSH, RDP or a database exposes hosts directly, but
/// most hits are automation; the rule content decides.
pub const RULE: Rule = Rule {
    id: "cis-4.10-security-group-changes",
    title: "Security group changed",
    severity: Severity::Medium,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.10" },
        Control { framework: "CIS v1.4-v5.0", id: "4.10" },
        Control { framework: "CIS v6.0-v7.0", id: "5.10" },
        Control { framework: "Security Hub", id: "CloudWatch.10" },
        Control { framework: "Stratus Red Team", id: "aws.exfiltration.ec2-security-group-open-port-22-ingress" },
    ],
    detection: Detection::Pattern(
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }",
    ),
    rationale: "Security groups are the firewall in front of every instance, database and interface in a VPC. One added \
                rule can open SSH, RDP or a database port to the internet; attackers also open egress or ingress to \
                reach a foothold or move data out.",
    next_steps: "Read requestParameters (groupId, ipPermissions / securityGroupRuleSet, cidrIp, fromPort-toPort): look for \
                 0.0.0.0/0 or ::/0 on administrative or database ports and for unknown CIDRs; check which resources use \
                 the group (ec2 describe-network-interfaces --filters Name=group-id,Values=…); confirm with the owner or \
                 the deployment pipeline; revoke an unintended rule at once.",
};
