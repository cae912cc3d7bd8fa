//! An access key created by the root user.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on every `CreateAccessKey` (eventSource `iam.amazonaws.com`) made by the root user
/// (`userIdentity.type = Root`), whatever `userIdentity.invokedBy` says and whatever the outcome: a root key
/// created from the console logs `invokedBy: signin.amazonaws.com`, which the other root rules exclude (there
/// it marks a service acting on the root user's behalf, not the root user's own change; they stay as they are),
/// and a failed attempt (denied by an SCP) is still someone trying.
///
/// Pattern: `{ ($.eventSource = "iam.amazonaws.com") && ($.eventName = "CreateAccessKey") && ($.userIdentity.type = "Root") }`
pub const RULE: Rule = Rule {
    id: "root-access-key-created",
    title: "Access key created by the root user",
    severity: Severity::Critical,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1098.001" },
        Control { framework: "MITRE ATT&CK", id: "T1078.004" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "iam.amazonaws.com") && ($.eventName = "CreateAccessKey") && ($.userIdentity.type = "Root") }"#,
    ),
    rationale: "A root access key is a permanent, unrestrictable credential for the whole account: no IAM policy or \
                permission boundary limits it. CIS asks that none exist; creating one is either a serious mistake \
                or an attacker making sure they keep the account.",
    next_steps: "Check requestParameters.userName (absent: the key is the root user's own); delete the key now \
                 (IAM > Security credentials as root), then check the root user's MFA devices, password and recent \
                 sign-ins, and whether the key was already used (its id in userIdentity.accessKeyId).",
};
