//! CIS 4.2: Management Console sign-in without MFA (the benchmark's base pattern).

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.2 / v1.4–v5.0 4.2 / v6.0–v7.0 5.2, Security Hub CloudWatch.3 (the pattern it
/// checked until 2022-05): "Ensure a log metric filter and alarm exist for Management Console sign-in without MFA".
///
/// Pattern (SH-2020 l.1005, WDX l.325, PRW-1.4 4.2 primary text), verbatim:
/// `{($.eventName="ConsoleLogin") && ($.additionalEventData.MFAUsed !="Yes")}`
///
/// Versions: the text is the benchmark's primary pattern from v1.2 to v7.0. Since v1.4 the benchmark also
/// offers an alternative "to reduce false positives in case Single Sign-On (SSO) is used", which Security Hub
/// CloudWatch.3 has checked since 2022-05: that is [`super::cis_4_2_console_signin_without_mfa_iam_user`].
/// The AWSREF variant (`… && ($.responseElements.ConsoleLogin != "Failure") && ($.additionalEventData.SamlProviderArn NOT EXISTS)`)
/// is not shipped.
///
/// Semantics worth knowing: `!=` on a missing field is false in CloudWatch, so a `ConsoleLogin` record without
/// `additionalEventData.MFAUsed` does not match.
///
/// Known false positives (cis-controls.md "Differences" 2): every IAM Identity Center (SSO), SAML and
/// assumed-role console login carries `MFAUsed: "No"` (MFA happens at the identity provider), and so do failed
/// sign-ins, so this fires on all of them (amazon-archives/aws-security-benchmark #40,
/// terraform-aws-modules/terraform-aws-cloudwatch #45, binbashar/le-tf-infra-aws #441/#456). In a federated
/// organization it fires on nearly every human login.
///
/// Severity: low. Most hits in a federated organization are MFA'd at the identity provider; the IAM-user
/// variant (medium) and beyond-CIS `console-login-without-mfa` carry the actionable signal, which is why the
/// `recommended` profile leaves this base rule out.
pub const RULE: Rule = Rule {
    id: "cis-4.2-console-signin-without-mfa",
    title: "Console sign-in without MFA",
    severity: Severity::Low,
    profiles: &[Profile::Cis],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.2" },
        Control { framework: "CIS v1.4-v5.0", id: "4.2" },
        Control { framework: "CIS v6.0-v7.0", id: "5.2" },
        Control { framework: "Security Hub", id: "CloudWatch.3" },
    ],
    detection: Detection::Pattern(
        r#"{($.eventName="ConsoleLogin") && ($.additionalEventData.MFAUsed !="Yes")}"#,
    ),
    rationale: "A console session opened with only a password is one phishing page or password reuse away from an \
                attacker. CloudTrail marks every console sign-in without an AWS MFA check, which includes federated \
                (SSO, SAML) logins whose MFA happened at the identity provider and failed attempts, so this benchmark \
                rule is broad by design.",
    next_steps: "Check the identity type first: for an AssumedRole/SAML/AWSReservedSSO login confirm the identity provider \
                 enforces MFA and move on; for an IAM user or root, check whether the sign-in succeeded \
                 (responseElements.ConsoleLogin), whether the source IP and browser are expected for that person, and \
                 whether the user has an MFA device; enforce MFA for the user and review what the session did next.",
};
