//! CIS 4.1: unauthorized API calls.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.1 / v1.4–v5.0 4.1 / v6.0–v7.0 5.1, Security Hub CloudWatch.2:
/// "Ensure a log metric filter and alarm exist for unauthorized API calls".
///
/// Pattern: the CIS v4.0+ text, verbatim:
/// `{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && ($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }`
///
/// With CloudWatch's precedence (`&&` binds tighter than `||`) it reads
/// `*UnauthorizedOperation || (AccessDenied* && source != delivery.logs.amazonaws.com && eventName != HeadBucket)`:
/// the two exclusions apply to `AccessDenied*` only, exactly as CloudWatch evaluates the benchmark's text.
///
/// Not shipped: the CIS v1.4–v3.0 text
/// `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`
/// joins its `!=` terms with `||`, so taken literally it matches nearly every event (anything not from
/// delivery.logs, or any event not named HeadBucket). It is a benchmark-text error; alerting on it would page
/// for every API call. The v1.2 / Security Hub text differs from ours only by lacking the two exclusions.
pub const RULE: Rule = Rule {
    id: "cis-4.1-unauthorized-api-calls",
    title: "Unauthorized API call",
    severity: Severity::Medium,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.1" },
        Control { framework: "CIS v1.4-v5.0", id: "4.1" },
        Control { framework: "CIS v6.0-v7.0", id: "5.1" },
        Control { framework: "Security Hub", id: "CloudWatch.2" },
        Control { framework: "Stratus Red Team", id: "aws.credential-access.ec2-get-password-data" },
        Control { framework: "Stratus Red Team", id: "aws.discovery.ec2-download-user-data" },
        Control { framework: "Stratus Red Team", id: "aws.execution.ec2-launch-unusual-instances" },
    ],
    detection: Detection::Pattern(
        "{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && ($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }",
    ),
    rationale: "A call was refused for lack of permission. One denial is often a misconfigured tool; a burst of them, \
                or denials for sensitive actions, is how stolen credentials look while an attacker maps what they can do.",
    next_steps: "Check who the principal is and whether the source IP and user agent are expected for it; look for other \
                 denied calls by the same access key in the last hour; if the caller is unknown, disable the key.",
};
