//! Lambda function code replaced by an IAM user or the root user.

use super::common::{identity_type, is_call, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// The `UpdateFunctionCode` event names Lambda logs.
const EVENTS: &[&str] = &[
    "UpdateFunctionCode20150331v2",
    "UpdateFunctionCode20150331",
    "UpdateFunctionCode",
];

/// Fires on a successful `UpdateFunctionCode20150331v2` (or the older names; eventSource
/// `lambda.amazonaws.com`; no `errorCode`, no `errorMessage`) made with long-lived credentials: by an IAM user
/// (`userIdentity.type = IAMUser`) or the root user (`Root`).
///
/// Deployments are the norm for this call, and they run as roles (CI/CD pipelines with OIDC roles,
/// CloudFormation, CodeDeploy), so role sessions do not fire: an attacker holding a role's credentials is not
/// caught by this rule (the coverage map says so). Deployments still made with an IAM user's access keys fire;
/// exclude that user, or better, move it to a role.
///
/// Code, not a pattern: one pattern could say it, but the three event names and two identity types make an
/// unreadable one; the code says it directly.
pub const RULE: Rule = Rule {
    id: "lambda-code-updated-by-iam-user",
    title: "Lambda function code replaced by an IAM user",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1546" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.lambda-overwrite-code" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(EVENTS),
        detect,
    },
    rationale: "Replacing a function's code runs the attacker's code with the function's role on every invocation, \
                and keeps running after the attacker's own credentials are revoked.",
    next_steps: "Compare the new code (responseElements.codeSha256) with your last deployment; if it does not match, \
                 redeploy the known-good version, download the replaced code (GetFunction) for analysis and review \
                 the caller's other activity.",
};

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    (is_call(record, "lambda.amazonaws.com", EVENTS)
        && succeeded(record)
        && matches!(identity_type(record), Some("IAMUser" | "Root")))
    .then_some(Hit::PLAIN)
}
