//! Successful console sign-in without MFA.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a **successful** console sign-in (`ConsoleLogin` with `responseElements.ConsoleLogin = "Success"`)
/// whose `additionalEventData.MFAUsed` is not `"Yes"` (or is absent), except:
/// * IAM Identity Center (SSO) sessions: `userIdentity.arn` contains `AWSReservedSSO` (MFA is enforced by the
///   identity provider, not recorded here);
/// * SAML federation: `additionalEventData.SamlProviderArn` is present (same reason);
/// * sessions whose credentials were already MFA-authenticated:
///   `userIdentity.sessionContext.attributes.mfaAuthenticated = "true"` (e.g. switching into the console from
///   an MFA-authenticated role session).
///
/// This is the false-positive-free version of CIS 4.2 (see `cis-controls.md` §2: the benchmark's pattern fires
/// on every SSO, SAML and assumed-role sign-in, and on failures).
///
/// Pattern (the `NOT EXISTS || !=` pairs are how a filter pattern says "absent or different", because `!=` is
/// false on a missing field):
/// `{ ($.eventName = "ConsoleLogin") && ($.responseElements.ConsoleLogin = "Success") && ($.additionalEventData.MFAUsed NOT EXISTS || $.additionalEventData.MFAUsed != "Yes") && ($.additionalEventData.SamlProviderArn NOT EXISTS) && ($.userIdentity.arn NOT EXISTS || $.userIdentity.arn != "*AWSReservedSSO*") && ($.userIdentity.sessionContext.attributes.mfaAuthenticated NOT EXISTS || $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true") }`
pub const RULE: Rule = Rule {
    id: "console-login-without-mfa",
    title: "Console sign-in without MFA",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1078.004" },
        Control { framework: "Stratus Red Team", id: "aws.initial-access.console-login-without-mfa" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventName = "ConsoleLogin") && ($.responseElements.ConsoleLogin = "Success") && ($.additionalEventData.MFAUsed NOT EXISTS || $.additionalEventData.MFAUsed != "Yes") && ($.additionalEventData.SamlProviderArn NOT EXISTS) && ($.userIdentity.arn NOT EXISTS || $.userIdentity.arn != "*AWSReservedSSO*") && ($.userIdentity.sessionContext.attributes.mfaAuthenticated NOT EXISTS || $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true") }"#,
    ),
    rationale: "A person signed in to the console with a password alone. A leaked or guessed password is then enough \
                to take over the identity, and console access is where most damage is done quickly. Users who must \
                sign in with IAM passwords should be forced to use MFA.",
    next_steps: "Confirm the sign-in with the user; check the source IP and user agent against their usual ones; \
                 require an MFA device for the user (or an IAM policy that denies everything without \
                 aws:MultiFactorAuthPresent); if the sign-in is not theirs, reset the password and revoke sessions.",
};
