//! An IAM Roles Anywhere trust anchor created or changed.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `CreateTrustAnchor` or `UpdateTrustAnchor` (eventSource `rolesanywhere.amazonaws.com`;
/// no `errorCode`, no `errorMessage`).
///
/// Pattern: `{ ($.eventSource = "rolesanywhere.amazonaws.com") && (($.eventName = "CreateTrustAnchor") || ($.eventName = "UpdateTrustAnchor")) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
pub const RULE: Rule = Rule {
    id: "rolesanywhere-trust-anchor-changed",
    title: "IAM Roles Anywhere trust anchor created or changed",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1098.001" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.rolesanywhere-create-trust-anchor" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "rolesanywhere.amazonaws.com") && (($.eventName = "CreateTrustAnchor") || ($.eventName = "UpdateTrustAnchor")) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "A trust anchor makes a certificate authority a source of AWS credentials: whoever holds a certificate \
                it signed gets role sessions through a Roles Anywhere profile, from anywhere, without any IAM user \
                or access key.",
    next_steps: "Identify the certificate authority (requestParameters.source) and the profiles and roles it can \
                 reach (CreateProfile, roleArns); if not planned, disable and delete the trust anchor and look for \
                 CreateSession calls that used it.",
};
