//! IAM user created.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `CreateUser` (eventSource `iam.amazonaws.com`; successful = no `errorCode` and no
/// `errorMessage`).
///
/// Pattern: `{ ($.eventSource = "iam.amazonaws.com") && ($.eventName = "CreateUser") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
///
/// Medium: in an account where people sign in through IAM Identity Center or federation, a new IAM user (with
/// its long-lived credentials) is unusual and a classic persistence step; where IAM users are still created
/// routinely, add an exclusion for the provisioning principal.
pub const RULE: Rule = Rule {
    id: "iam-user-created",
    title: "IAM user created",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1136.003" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.iam-create-admin-user" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "iam.amazonaws.com") && ($.eventName = "CreateUser") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "A new IAM user is a new long-lived identity: once it has an access key or a password it works from \
                anywhere, outlives the session that created it and survives the revocation of the creator's \
                credentials. Creating one is a standard way to keep access to a compromised account.",
    next_steps: "Check who created the user and whether a ticket or pipeline explains it; look at what followed for \
                 that user (CreateAccessKey, CreateLoginProfile, AttachUserPolicy, AddUserToGroup); if unexplained, \
                 deactivate its keys, delete its login profile and investigate the creator.",
};
