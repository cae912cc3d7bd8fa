//! Failed console sign-in as the root user.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a root console sign-in that failed: `ConsoleLogin` by `userIdentity.type = Root` with
/// `responseElements.ConsoleLogin = "Failure"` (a wrong password; the record carries
/// `errorMessage: "Failed authentication"`).
///
/// Pattern: `{ ($.eventName = "ConsoleLogin") && ($.userIdentity.type = "Root") && ($.responseElements.ConsoleLogin = "Failure") }`
///
/// Medium: one failure is usually the owner mistyping; a series, or failures from unknown addresses, means
/// someone knows the root e-mail address and is guessing.
pub const RULE: Rule = Rule {
    id: "root-console-login-failure",
    title: "Failed root console sign-in",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1110" },
        Control { framework: "MITRE ATT&CK", id: "T1078.004" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventName = "ConsoleLogin") && ($.userIdentity.type = "Root") && ($.responseElements.ConsoleLogin = "Failure") }"#,
    ),
    rationale: "Someone tried the root user's password and got it wrong. The root e-mail address is the only \
                other thing needed, so repeated failures are a password-guessing attempt on the one identity that \
                no IAM policy can restrict.",
    next_steps: "Ask the account owner whether they tried to sign in; look at the source IP and how many failures \
                 came from it; make sure root has MFA and a long unique password; if failures continue from unknown \
                 addresses, consider changing the root e-mail address to an unguessable alias.",
};
