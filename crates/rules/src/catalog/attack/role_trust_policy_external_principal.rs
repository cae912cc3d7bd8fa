//! A role's trust policy lets another account, or anyone, assume it.

use super::common::{is_call, policy_document, policy_grant, recipient, succeeded, Grant};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful `UpdateAssumeRolePolicy` (its `requestParameters.policyDocument`) or `CreateRole` (its
/// `requestParameters.assumeRolePolicyDocument`), eventSource `iam.amazonaws.com`, no `errorCode`, no
/// `errorMessage`, whose trust policy has an `Allow` statement with
/// * the principal `*` (or `{"AWS": "*"}`) and no `Condition`: anyone can assume the role (note "assumable by
///   anyone (*)"), or
/// * an AWS principal (account id, or IAM/STS ARN) of an account that is neither the recipient account nor a
///   configured trusted account.
///
/// `Service` and `Federated` principals, the account's own principals and trusted accounts do not fire. A `*`
/// restricted by a `Condition` (e.g. `aws:PrincipalOrgID`) does not fire: the condition decides, and reading it
/// is beyond this rule.
///
/// Code, not a pattern: the policy is a JSON document inside a string, parsed and walked statement by statement.
pub const RULE: Rule = Rule {
    id: "role-trust-policy-external-principal",
    title: "Role made assumable from another account",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1098.003" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.iam-backdoor-role" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.iam-create-backdoor-role" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["UpdateAssumeRolePolicy", "CreateRole"]),
        detect,
    },
    rationale: "A trust policy naming an outside account is a door into this account that survives every password \
                and key rotation: the other account assumes the role whenever it wants, with the role's permissions.",
    next_steps: "Read the trust policy (requestParameters.policyDocument or assumeRolePolicyDocument) and identify the \
                 outside account; if it is not a known partner, remove it from the trust policy, add it to \
                 [trusted_accounts] if it is, and look for AssumeRole calls into the role from that account.",
};

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    let field = match record.get("eventName")?.as_str()? {
        "UpdateAssumeRolePolicy" => "policyDocument",
        "CreateRole" => "assumeRolePolicyDocument",
        _ => return None,
    };
    if !is_call(record, "iam.amazonaws.com", &["UpdateAssumeRolePolicy", "CreateRole"]) || !succeeded(record) {
        return None;
    }
    let policy = policy_document(record.get("requestParameters")?.get(field)?)?;
    match policy_grant(&policy, recipient(record), context)? {
        Grant::Anyone => Some(Hit::noted("assumable by anyone (*)")),
        Grant::OtherAccount => Some(Hit::PLAIN),
    }
}
