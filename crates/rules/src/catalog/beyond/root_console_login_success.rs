//! Successful console sign-in as the root user.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a root console sign-in that succeeded: `ConsoleLogin` by `userIdentity.type = Root` with
/// `responseElements.ConsoleLogin = "Success"`, whatever the MFA status (a root sign-in without MFA also fires
/// `console-login-without-mfa`).
///
/// Pattern: `{ ($.eventName = "ConsoleLogin") && ($.userIdentity.type = "Root") && ($.responseElements.ConsoleLogin = "Success") }`
///
/// Critical: an interactive root session can do anything, including closing the account, and should happen a
/// few times a year at most, announced in advance.
pub const RULE: Rule = Rule {
    id: "root-console-login-success",
    title: "Root user signed in to the console",
    severity: Severity::Critical,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1078.004" }],
    detection: Detection::Pattern(
        r#"{ ($.eventName = "ConsoleLogin") && ($.userIdentity.type = "Root") && ($.responseElements.ConsoleLogin = "Success") }"#,
    ),
    rationale: "Someone is now working as the root user in the console, with unlimited power over the account. \
                Legitimate root sign-ins are rare and planned (billing changes, closing the account, restoring a \
                locked-out administrator); an unannounced one means the root password, and possibly its MFA device, \
                is in someone else's hands.",
    next_steps: "Call the account owner now and confirm the sign-in; check the source IP, user agent and \
                 additionalEventData.MFAUsed; follow every root event after this sign-in; if it was not planned, \
                 reset the root password, re-register the MFA device, delete any root access keys and review IAM \
                 changes made since.",
};
