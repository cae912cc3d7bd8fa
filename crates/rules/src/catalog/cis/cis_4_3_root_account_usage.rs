//! CIS 4.3: usage of the root account.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.3 (and 1.1) / v1.4–v5.0 4.3 (and v1.4 1.7) / v6.0–v7.0 5.3, Security Hub
/// CloudWatch.1: "Ensure a log metric filter and alarm exist for usage of 'root' account".
///
/// Pattern, unchanged from v1.2 to v7.0:
/// `{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`
///
/// Root calls made by an AWS service on the account's behalf (`invokedBy`) and service events are excluded
/// by the benchmark itself. Centralized root access sessions (`sts:AssumeRoot`) also match, as in CloudWatch.
pub const RULE: Rule = Rule {
    id: "cis-4.3-root-account-usage",
    title: "Root account used",
    severity: Severity::High,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.3" },
        Control { framework: "CIS v1.4-v5.0", id: "4.3" },
        Control { framework: "CIS v6.0-v7.0", id: "5.3" },
        Control { framework: "Security Hub", id: "CloudWatch.1" },
    ],
    detection: Detection::Pattern(
        r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#,
    ),
    rationale: "The root user can do anything, including closing the account, and cannot be limited by IAM policies. \
                Day-to-day work should never use it, so any root activity is either a rare, planned task or a compromise.",
    next_steps: "Confirm with the account owner that this root activity was planned; check the source IP and whether MFA \
                 was used; review every other root event in the same session; if unplanned, rotate the root password, \
                 check root MFA devices and remove any root access keys.",
};
