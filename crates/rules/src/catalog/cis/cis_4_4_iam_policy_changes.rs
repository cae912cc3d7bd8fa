//! CIS 4.4: IAM policy changes.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.4 / v1.4–v5.0 4.4 / v6.0–v7.0 5.4, Security Hub CloudWatch.4:
/// "Ensure a log metric filter and alarm exist for IAM policy changes".
///
/// Pattern (SH-2023 l.416, WDX l.375), verbatim:
/// `{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}`
///
/// Versions: the same sixteen event names from v1.2 to v7.0; the CIS text differs only in spacing (PRW-7.0 5.4
/// writes it without spaces).
///
/// Known false positives and gaps: there is no `eventSource` guard, so other services' same-named calls match
/// too: Organizations `CreatePolicy`/`DeletePolicy` (SCPs), Auto Scaling `DeletePolicy`, IoT
/// `CreatePolicy`/`CreatePolicyVersion`/`DeletePolicy`/`DeletePolicyVersion`. Failed attempts match as well
/// (no `errorCode` term). Infrastructure-as-code pipelines produce most hits. Not covered at all: trust-policy
/// changes (`UpdateAssumeRolePolicy`), `SetDefaultPolicyVersion`, permission boundaries, group membership
/// (`AddUserToGroup`) and new roles/users, which are common privilege-escalation and persistence steps.
///
/// Severity: medium. Every privilege escalation ends in a policy change, but so does every IaC deployment;
/// the principal, the policy (e.g. `AdministratorAccess`, `"Action": "*"`) and the target decide the urgency.
pub const RULE: Rule = Rule {
    id: "cis-4.4-iam-policy-changes",
    title: "IAM policy changed",
    severity: Severity::Medium,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.4" },
        Control { framework: "CIS v1.4-v5.0", id: "4.4" },
        Control { framework: "CIS v6.0-v7.0", id: "5.4" },
        Control { framework: "Security Hub", id: "CloudWatch.4" },
    ],
    detection: Detection::Pattern(
        "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}",
    ),
    rationale: "IAM policies decide who can do what. An attacker with limited IAM rights escalates by attaching a managed \
                policy, writing an inline policy or publishing a new policy version; a permissive policy left behind is \
                also how access persists after the original credentials are revoked.",
    next_steps: "Read requestParameters: which policy (policyArn, policyName, policyDocument) went to which user, group or \
                 role, and whether it grants broad rights (AdministratorAccess, IAMFullAccess, \"Action\": \"*\", \
                 iam:PassRole); check whether the caller is your deployment pipeline and the change matches a reviewed \
                 commit; check eventSource, since Organizations, Auto Scaling and IoT policy calls also match; if the \
                 change is unexplained, revert it and review everything else the caller did.",
};
