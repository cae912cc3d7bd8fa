//! Temporary credentials issued with GetFederationToken.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `GetFederationToken` (eventSource `sts.amazonaws.com`; no `errorCode`, no
/// `errorMessage`).
///
/// Pattern: `{ ($.eventSource = "sts.amazonaws.com") && ($.eventName = "GetFederationToken") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
pub const RULE: Rule = Rule {
    id: "sts-federation-token-issued",
    title: "Federation token issued (GetFederationToken)",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1098.001" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.sts-federation-token" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "sts.amazonaws.com") && ($.eventName = "GetFederationToken") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "GetFederationToken turns an IAM user's access key into session credentials valid up to 36 hours, \
                which survive the deletion of the access key that created them: attackers use it to keep access \
                after the key is found and disabled. Modern applications rarely call it.",
    next_steps: "Identify the IAM user (userIdentity) and the federated user name (requestParameters.name); if not \
                 expected, revoke the user's sessions (an inline deny on aws:TokenIssueTime, or delete the user) \
                 since deleting the access key does not end them, and review calls made by \
                 arn:aws:sts::<account>:federated-user/<name>.",
};
