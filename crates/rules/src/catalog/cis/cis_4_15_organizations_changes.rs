//! CIS 4.15: AWS Organizations changes.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.4–v5.0 4.15 / v6.0–v7.0 5.15 (no v1.2 control, no Security Hub control):
/// "Ensure a log metric filter and alarm exists for AWS Organizations changes".
///
/// Pattern (PRW-1.4 … PRW-7.0; the v1.4 text, with quotes), verbatim:
/// `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`
///
/// Versions: new in v1.4; v4.0+ writes the same names without quotes, which means the same thing. Security Hub
/// has no control for it (cis-controls.md "Differences" 6).
///
/// Known false positives and gaps: account vending and SCP pipelines create accounts, OUs and policies
/// routinely. Failed attempts match too (a denied `LeaveOrganization` is still an attempt to escape the SCPs).
/// Most calls are logged only in the management account (us-east-1); a member's `LeaveOrganization` is logged
/// in the member account. Not covered: `CloseAccount`, delegated administrators
/// (`RegisterDelegatedAdministrator`), trusted service access (`EnableAWSServiceAccess` /
/// `DisableAWSServiceAccess`), resource policies.
///
/// Severity: high. Detaching an SCP, moving an account out of a guarded OU or leaving the organization
/// removes the guardrails of every account concerned at once.
pub const RULE: Rule = Rule {
    id: "cis-4.15-organizations-changes",
    title: "AWS Organizations changed",
    severity: Severity::High,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.4-v5.0", id: "4.15" },
        Control { framework: "CIS v6.0-v7.0", id: "5.15" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
    ),
    rationale: "The organization holds the guardrails of every account: service control policies, the OU structure and \
                membership itself. Detaching or weakening an SCP, moving an account to another OU or taking an account \
                out of the organization lifts those guardrails for everything in it.",
    next_steps: "Read the eventName and requestParameters (policyId and its content, targetId, accountId, source and \
                 destination OU) and check errorCode: a denied LeaveOrganization is still an attempt; confirm the \
                 change with the organization's administrators and the account-vending or SCP pipeline; if \
                 unexplained, re-attach the policy or move the account back and review the caller's session.",
};
