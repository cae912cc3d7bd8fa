//! CIS 4.7: disabling or scheduled deletion of customer-created KMS keys.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.7 / v1.4–v5.0 4.7 / v6.0–v7.0 5.7, Security Hub CloudWatch.7:
/// "Ensure a log metric filter and alarm exist for disabling or scheduled deletion of customer created CMKs".
///
/// Pattern (SH-2023 l.758, WDX l.450, AWSREF), verbatim:
/// `{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}`
///
/// Versions: unchanged from v1.2 to v7.0 apart from spacing; Level 2 from v1.4.
///
/// Known false positives and gaps: the pattern cannot tell customer-managed from AWS-managed keys (AWS-managed
/// keys cannot be disabled or deleted anyway, so in practice every hit is a customer key). Failed attempts
/// match too. Not covered: `DeleteImportedKeyMaterial`, `PutKeyPolicy` locking everyone out, `DisableKeyRotation`,
/// and deletion of keys in other services (CloudHSM). The `eventSource` guard means only KMS's own events count.
///
/// Severity: high. A disabled or deleted key makes everything encrypted with it unreadable: data destruction
/// and ransom ("encrypt, then delete the key") go through these two calls, and deletion becomes irreversible
/// after the 7–30 day waiting period.
pub const RULE: Rule = Rule {
    id: "cis-4.7-cmk-disable-or-scheduled-deletion",
    title: "KMS key disabled or scheduled for deletion",
    severity: Severity::High,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.7" },
        Control { framework: "CIS v1.4-v5.0", id: "4.7" },
        Control { framework: "CIS v6.0-v7.0", id: "5.7" },
        Control { framework: "Security Hub", id: "CloudWatch.7" },
    ],
    detection: Detection::Pattern(
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
    ),
    rationale: "Data encrypted under a KMS key is unreadable while the key is disabled and lost for good once the key is \
                deleted. Disabling or scheduling deletion of a key in use breaks applications at once and is a known \
                extortion and sabotage technique.",
    next_steps: "Identify the key (requestParameters.keyId, resources) and what it encrypts (key alias, tags, CloudTrail \
                 Decrypt callers); confirm the change with the key's owner; if unplanned, run kms cancel-key-deletion \
                 and kms enable-key right away (possible during the pending-deletion window of 7–30 days), then review \
                 the key policy and the caller's other activity.",
};
