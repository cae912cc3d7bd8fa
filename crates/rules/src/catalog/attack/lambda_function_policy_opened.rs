//! A Lambda function's resource policy opened to anyone or another account.

use super::common::{is_call, is_outside, principal_account, recipient, str_at, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// The `AddPermission` event names Lambda logs (the API version is part of the name).
const EVENTS: &[&str] = &["AddPermission20150331v2", "AddPermission20150331", "AddPermission"];

/// Fires on a successful `AddPermission20150331v2` / `AddPermission20150331` / `AddPermission` (eventSource
/// `lambda.amazonaws.com`; no `errorCode`, no `errorMessage`) whose `requestParameters.principal` is
/// * `*` without `requestParameters.principalOrgID`: anyone may call the function (note "open to anyone (*)"),
/// * or an account id or IAM/STS ARN of an account that is neither the recipient account nor trusted.
///
/// Service principals (`s3.amazonaws.com`, `events.amazonaws.com`, …), the account's own principals and
/// trusted accounts do not fire.
///
/// Code, not a pattern: it reads the account out of the principal and consults the trusted accounts.
pub const RULE: Rule = Rule {
    id: "lambda-function-policy-opened",
    title: "Lambda function made invocable by anyone or another account",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1098" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.lambda-backdoor-function" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(EVENTS),
        detect,
    },
    rationale: "A resource policy statement with an outside principal lets that principal invoke (or, with other \
                actions, change) the function with its execution role's permissions: a backdoor that no IAM user \
                or key in this account reveals.",
    next_steps: "Read the statement (requestParameters.statementId, action, principal); if the principal is not \
                 expected, remove it (RemovePermission), review the function's recent invocations and the caller's \
                 other activity.",
};

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    if !is_call(record, "lambda.amazonaws.com", EVENTS) || !succeeded(record) {
        return None;
    }
    let principal = str_at(record, &["requestParameters", "principal"])?.trim();
    if principal == "*" {
        return str_at(record, &["requestParameters", "principalOrgID"])
            .is_none()
            .then_some(Hit::noted("open to anyone (*)"));
    }
    principal_account(principal)
        .is_some_and(|a| is_outside(a, recipient(record), context))
        .then_some(Hit::PLAIN)
}
