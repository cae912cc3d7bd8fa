//! CIS 4.2 (alternative pattern): successful IAM-user console sign-in without MFA.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.4+ 4.2 alternative / v6.0–v7.0 5.2, Security Hub CloudWatch.3 (the pattern it has
/// checked since 2022-05): "Ensure a log metric filter and alarm exist for Management Console sign-in without
/// MFA", variant "to reduce false positives in case Single Sign-On (SSO) is used".
///
/// Pattern (SH-2023 l.300, first in the Security Hub guide's history at `e7ee0c4`, 2022-05-19; PRW-1.4 4.2
/// "Or …"), verbatim:
/// `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`
///
/// Versions: CIS v1.2 has only the base pattern ([`super::cis_4_2_console_signin_without_mfa`]); from v1.4 the
/// benchmark lists this one as the alternative (still there in PRW-7.0 5.2), so it carries the v1.4+ control
/// ids and CloudWatch.3, not v1.2 3.2. (Security Hub maps CloudWatch.3 to its CIS v1.2.0 standard's 3.2, so in
/// Security Hub this variant is what passes "3.2"; the benchmark text of v1.2 never contained it.)
///
/// What it leaves out on purpose: federated (SSO, SAML) and assumed-role console logins (`userIdentity.type`
/// is `AssumedRole`), failed sign-ins, and root sign-ins (`type` is `Root`; root usage is CIS 4.3). A record
/// without `additionalEventData.MFAUsed` does not match (`!=` on a missing field is false in CloudWatch).
///
/// Severity: medium. A successful password-only session for a long-lived IAM user is a real exposure and, if
/// the login is unexpected, a likely account takeover; it is not high because most hits are a known user who
/// has not enrolled MFA yet.
pub const RULE: Rule = Rule {
    id: "cis-4.2-console-signin-without-mfa-iam-user",
    title: "IAM user console sign-in without MFA",
    severity: Severity::Medium,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.4-v5.0", id: "4.2" },
        Control { framework: "CIS v6.0-v7.0", id: "5.2" },
        Control { framework: "Security Hub", id: "CloudWatch.3" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#,
    ),
    rationale: "An IAM user opened a console session with a password alone. IAM user passwords are long-lived, reused \
                and phishable; without MFA, whoever knows the password has the user's full console access, and the \
                login looks exactly like the legitimate owner's.",
    next_steps: "Ask the user whether they signed in at this time from this source IP and browser; check whether the user \
                 has an MFA device at all (iam list-mfa-devices) and whether an MFA-enforcing policy applies; review the \
                 session's subsequent calls (same principal and source IP); if the login is not theirs, reset the \
                 password, deactivate the user's access keys and revoke active sessions.",
};
