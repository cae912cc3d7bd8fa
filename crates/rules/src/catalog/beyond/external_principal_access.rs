//! A principal of another, untrusted account successfully called into this account.

use super::common::{external_caller, external_caller_fields, succeeded, succeeded_fields, ExternalCaller};
use crate::{rule::Context, rule::Control, rule::Detection, rule::FieldPrefilter, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a **successful** call (no `errorCode`, no `errorMessage`) whose caller belongs to another account
/// than the one the event was delivered to: `userIdentity.accountId` ≠ `recipientAccountId`, both present,
/// and the caller's account is not one of the configured trusted accounts. Calls made by AWS services
/// (`userIdentity.type = AWSService`, `userIdentity.invokedBy` present, or an `AwsServiceEvent`) never fire,
/// nor do VPC endpoint network events (`AwsVpceEvent`, see `vpce-cross-account-access`).
///
/// Such records exist for services with resource-based policies (S3 and its data events, KMS, STS
/// `AssumeRole` into your roles, Lambda, SQS, SNS, Secrets Manager…): they are how another account's use of
/// what you shared shows up in your trail. An unauthenticated S3 request (account `anonymous` /
/// `ANONYMOUS_PRINCIPAL`) is reported with the note "anonymous (unauthenticated) request".
///
/// The finding's `account_id` is the recipient account and its `principal` the caller's ARN (or principal id);
/// the caller's account id is `userIdentity.accountId` in the attached record. Some AWS-owned accounts call
/// without `invokedBy` (for example when a service assumes one of your roles from its own account): list them
/// as trusted accounts or add an exclusion.
///
/// Code, not a pattern: it compares two fields of the record and consults the trusted accounts.
pub const RULE: Rule = Rule {
    id: "external-principal-access",
    title: "Access from an untrusted external account",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1078.004" }],
    detection: Detection::Code {
        prefilter: Prefilter::Fields(prefilter),
        detect,
    },
    rationale: "Someone outside your accounts, and outside the partners you listed as trusted, just used a resource \
                of this account successfully: a role they could assume, a bucket, key, queue or secret whose policy \
                lets them in. Either a grant is broader than intended, or a policy was changed to let an attacker's \
                account in.",
    next_steps: "Identify the calling account (userIdentity.accountId in the record) and the resource; decide \
                 whether that account should have access; if yes, add it to the trusted accounts; if not, find and \
                 tighten the resource or trust policy that allowed it, and review what else that account did.",
};

const ANONYMOUS: &str = "anonymous (unauthenticated) request";

/// What it can match: a successful call by an external caller ([`external_caller_fields`]).
fn prefilter(context: &Context) -> FieldPrefilter {
    let mut fields = external_caller_fields(context);
    fields.extend(succeeded_fields());
    FieldPrefilter::fields(fields, false).broad(
        "any successful call whose caller's account differs from the recipient account: EventBridge \
         cannot compare two fields, so every successful call not invoked by a service is selected",
    )
}

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    let caller = external_caller(record, &context.trusted_accounts)?;
    if !succeeded(record) {
        return None;
    }
    Some(match caller {
        ExternalCaller::Account => Hit::PLAIN,
        ExternalCaller::Anonymous => Hit::noted(ANONYMOUS),
    })
}
