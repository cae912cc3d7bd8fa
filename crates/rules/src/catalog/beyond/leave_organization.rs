//! An account tried to leave the AWS organization.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on **any** `LeaveOrganization` call (eventSource `organizations.amazonaws.com`), successful or not:
/// an attempt is itself the alert, since the call is never part of routine work and a failed attempt (blocked
/// by an SCP or missing permissions, as in the Stratus Red Team detonation) shows intent.
///
/// Pattern: `{ ($.eventSource = "organizations.amazonaws.com") && ($.eventName = "LeaveOrganization") }`
///
/// Critical: a member account that leaves is freed from every SCP, from the organization trail and from the
/// delegated security services (GuardDuty, Security Hub, Config aggregation) at once.
pub const RULE: Rule = Rule {
    id: "leave-organization",
    title: "Account tried to leave the organization",
    severity: Severity::Critical,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1666" },
        Control { framework: "Stratus Red Team", id: "aws.defense-evasion.organizations-leave" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "organizations.amazonaws.com") && ($.eventName = "LeaveOrganization") }"#,
    ),
    rationale: "Leaving the organization removes a member account from every service control policy, from the \
                organization trail and from centrally managed security tooling in one call, leaving an intruder \
                unconstrained and unobserved. It is never routine; even a denied attempt shows intent.",
    next_steps: "Check the error code: if it succeeded, contact AWS and the account's owner immediately and invite \
                 the account back; either way treat the caller as compromised, review its recent activity and keep \
                 (or add) an SCP denying organizations:LeaveOrganization.",
};
