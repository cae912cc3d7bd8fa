//! CIS 4.6: AWS Management Console authentication failures.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.6 / v1.4–v5.0 4.6 / v6.0–v7.0 5.6, Security Hub CloudWatch.6:
/// "Ensure a log metric filter and alarm exist for AWS Management Console authentication failures".
///
/// Pattern (SH-2023 l.644, WDX l.425, AWSREF), verbatim:
/// `{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}`
///
/// Versions: unchanged from v1.2 to v7.0 apart from spacing; Level 2 from v1.4.
///
/// Known false positives and gaps: every mistyped password alerts. The match is on the exact, case-sensitive
/// `errorMessage`, which CloudTrail writes for a wrong password of an existing IAM user or of root; a sign-in
/// with a user name that does not exist is logged with `errorMessage: "No username found in supplied account"`
/// and does not match, so spraying unknown user names goes unseen by this rule.
///
/// Severity: low. One failure is usually a typo; the signal is in volume (brute force, password spraying) or in
/// a failure for root, which the on-call can judge from the alert stream.
pub const RULE: Rule = Rule {
    id: "cis-4.6-console-authentication-failures",
    title: "Console authentication failure",
    severity: Severity::Low,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.6" },
        Control { framework: "CIS v1.4-v5.0", id: "4.6" },
        Control { framework: "CIS v6.0-v7.0", id: "5.6" },
        Control { framework: "Security Hub", id: "CloudWatch.6" },
    ],
    detection: Detection::Pattern(
        r#"{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}"#,
    ),
    rationale: "A console sign-in was refused because the password was wrong. Repeated failures for one user, or failures \
                spread over many users from the same source, are how brute-force and password-spraying attacks look; \
                a failure for root is someone trying the most powerful credential in the account.",
    next_steps: "Count failures for the same user name and source IP over the last hour; check whether the source IP and \
                 browser are known for that person and whether a successful ConsoleLogin followed from the same IP \
                 (possibly without MFA, see CIS 4.2); for root or a burst of failures, confirm with the user, make sure \
                 MFA is enforced and consider resetting the password.",
};
