//! Another account's principal used one of this account's VPC endpoints.

use super::common::{error_code, event_type, id_at, identity_type};
use crate::{rule::Context, rule::Control, rule::Detection, rule::FieldPrefilter, rule::FieldValue, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a CloudTrail **network activity event** (`eventType = AwsVpceEvent`, `eventCategory =
/// NetworkActivity`) whose caller account (`userIdentity.accountId`) differs from the account the event was
/// delivered to (`recipientAccountId`) or from the VPC endpoint's owner (`vpcEndpointAccountId`), and is not a
/// configured trusted account. Allowed and denied calls both fire; a call refused by the endpoint policy
/// (`errorCode = VpceAccessDenied`) carries the note "denied by the VPC endpoint policy".
///
/// Network activity events go to the VPC endpoint owner ("the account ID in the `recipientAccountId` and
/// `vpcEndpointAccountId` fields is the same, which indicates the event was sent to the VPC endpoint owner. The
/// `accountId` in the `userIdentity` element is not the `vpcEndpointAccountId`, which indicates that the user
/// making the request is not the VPC endpoint owner": CloudTrail User Guide, "Network activity events"). For
/// callers of other accounts CloudTrail redacts the identity to `type: AWSAccount` with an `accountId`, which is
/// all this rule needs. AWS service callers (`type: AWSService`) are skipped. Records without a caller account
/// do not fire.
///
/// Code, not a pattern: it compares fields of the record with each other and consults the trusted accounts.
pub const RULE: Rule = Rule {
    id: "vpce-cross-account-access",
    title: "VPC endpoint used by another account",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1537" },
        Control { framework: "MITRE ATT&CK", id: "T1078.004" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::Fields(prefilter),
        detect,
    },
    rationale: "Credentials of an account you do not trust were used from inside your network, through your VPC \
                endpoint: either someone in your VPC is using outside credentials (a classic way to copy data to \
                an attacker's bucket or key without leaving the private network), or outside credentials reached \
                a workload of yours. Endpoint policies that restrict access to your organization's principals stop \
                both; denials show they are being tried.",
    next_steps: "Identify the calling account (userIdentity.accountId), the service and action, the endpoint \
                 (vpcEndpointId) and the source IP inside the VPC; find the workload with that IP; if the call was \
                 allowed, restrict the endpoint policy with aws:PrincipalOrgID or aws:PrincipalAccount and check \
                 what was read or written.",
};

const DENIED: &str = "denied by the VPC endpoint policy";

/// What it can match: an `AwsVpceEvent` whose caller's account is a non-empty string outside the trusted
/// accounts.
fn prefilter(context: &Context) -> FieldPrefilter {
    let untrusted = context
        .trusted_accounts
        .iter()
        .map(String::as_str)
        .chain([""]);
    FieldPrefilter::fields(
        vec![
            ("eventType", FieldValue::one_of(["AwsVpceEvent"])),
            ("userIdentity.accountId", FieldValue::anything_but(untrusted)),
        ],
        false,
    )
}

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    if event_type(record) != Some("AwsVpceEvent") || identity_type(record) == Some("AWSService") {
        return None;
    }
    let caller = id_at(record, &["userIdentity", "accountId"])?;
    let recipient = id_at(record, &["recipientAccountId"]);
    let owner = id_at(record, &["vpcEndpointAccountId"]);
    let foreign = recipient.is_some_and(|a| a != caller) || owner.is_some_and(|a| a != caller);
    if !foreign || context.trusted_accounts.contains(caller) {
        return None;
    }
    Some(if error_code(record) == Some("VpceAccessDenied") {
        Hit::noted(DENIED)
    } else {
        Hit::PLAIN
    })
}
