//! A principal of another, untrusted account was denied access to this account.

use super::common::{error_code, external_caller, external_caller_fields, ExternalCaller};
use crate::catalog::events::{is_denied_error_code, DENIED_ERROR_CODE_PREFIXES, DENIED_ERROR_CODE_SUFFIXES};
use crate::{rule::Context, rule::Control, rule::Detection, rule::FieldPrefilter, rule::FieldValue, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a call **denied for lack of permission** whose caller belongs to another, untrusted account: the
/// same caller test as `external-principal-access` (`userIdentity.accountId` ≠ `recipientAccountId`, not a
/// trusted account, not an AWS service, not an `AwsVpceEvent`), with an `errorCode` that starts with
/// `AccessDenied` (`AccessDenied`, `AccessDeniedException`) or ends with `UnauthorizedOperation` (EC2's
/// `Client.UnauthorizedOperation`), the denial codes CIS 4.1 uses (`catalog::events::is_denied_error_code`).
///
/// Unauthenticated denials (account `anonymous` / `ANONYMOUS_PRINCIPAL`) do not fire: they are internet
/// scanners guessing bucket names, the noise fivexl's rules also drop.
///
/// Code, not a pattern: it compares two fields of the record and consults the trusted accounts.
pub const RULE: Rule = Rule {
    id: "external-principal-access-denied",
    title: "Denied access attempt from an untrusted external account",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1078.004" },
        Control { framework: "MITRE ATT&CK", id: "T1580" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::Fields(prefilter),
        detect,
    },
    rationale: "A principal of an account you do not trust tried to use a resource of this account and was refused. \
                Denials from outside are how reconnaissance looks (probing role names, bucket names, keys), and \
                how a partner integration looks when its access was removed.",
    next_steps: "Identify the calling account (userIdentity.accountId) and what it tried (eventName, resources); if \
                 it is a known partner, add it to the trusted accounts or fix its access; otherwise look for other \
                 attempts from the same account or source IP, and check no policy grants it access elsewhere.",
};

/// What it can match: a call by an external caller ([`external_caller_fields`]) denied by one of the
/// denied error codes.
fn prefilter(context: &Context) -> FieldPrefilter {
    let mut fields = external_caller_fields(context);
    let denied = DENIED_ERROR_CODE_PREFIXES
        .iter()
        .map(|s| FieldValue::Prefix((*s).to_owned()))
        .chain(
            DENIED_ERROR_CODE_SUFFIXES
                .iter()
                .map(|s| FieldValue::Suffix((*s).to_owned())),
        )
        .collect();
    fields.push(("errorCode", denied));
    FieldPrefilter::fields(fields, false)
}

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    if !is_denied_error_code(error_code(record)?) {
        return None;
    }
    match external_caller(record, &context.trusted_accounts)? {
        ExternalCaller::Account => Some(Hit::PLAIN),
        ExternalCaller::Anonymous => None,
    }
}
